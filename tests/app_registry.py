"""Unregister the models a test declared at run time, so the next one can declare its own."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps


def forget_models(app_label: str, names: Iterable[str] | None = None) -> None:
    """Forget models of `app_label`: from the app registry, pgtrigger's and history's.

    With `names`, only those models (by class name) and the event models history generated
    for them, as before a test declares a new version of them; else every model of the app.
    Only for test apps whose models the tests declare themselves (the history suite's
    ``evolve``, the docs suite's ``shop``). Needs ``pgtrigger`` and ``tidemark_history``.
    """
    import pgtrigger

    from tidemark_history.tracking import _specs

    registered = apps.all_models[app_label]
    chosen = (
        set(registered.values())
        if names is None
        else {model for model in registered.values() if model.__name__ in set(names)}
    )
    for model in list(chosen):
        chosen.update(spec.event_model for spec in _specs.get(model, []))
    if names is None:
        # Models of other apps tracked into this one (auth's User, a through model).
        for tracked, specs in list(_specs.items()):
            if any(spec.app_label == app_label for spec in specs):
                _specs.pop(tracked)
    for model in chosen:
        for uri, (owner, _trigger) in list(pgtrigger.registry._registry.items()):
            if owner is model:
                pgtrigger.registry.delete(uri)
        _specs.pop(model, None)
        registered.pop(model._meta.model_name, None)
    apps.clear_cache()
