"""Unregister the models a test declared at run time, so the next one can declare its own."""

from __future__ import annotations

from django.apps import apps


def forget_models(app_label: str) -> None:
    """Forget the models of `app_label`: the app registry's, pgtrigger's and history's.

    Only for test apps whose models are declared by the tests themselves (the history suite's
    ``evolve``, the docs suite's ``shop``). Needs ``pgtrigger`` and ``tidemark_history``
    installed.
    """
    import pgtrigger

    from tidemark_history.tracking import _specs

    for model in list(apps.all_models[app_label].values()):
        for uri, (registered, _trigger) in list(pgtrigger.registry._registry.items()):
            if registered is model:
                pgtrigger.registry.delete(uri)
        _specs.pop(model, None)
    apps.all_models[app_label].clear()
    apps.clear_cache()
