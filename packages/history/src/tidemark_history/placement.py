"""Where `track()` puts an event model and the triggers of a tracked model.

The event model goes to the tracked model's app, or to the app named by ``app_label`` (for
models of other apps: ``django.contrib.auth``'s ``User``, third-party models, whose
migrations are not the project's to write). The capture triggers are declared on the tracked
model when its app holds the event model; otherwise, and for the auto-created ``through``
model of a many-to-many field (which has no migration state of its own), on a proxy model in
the event model's app, so that ``makemigrations`` writes them into that app's migrations as
django-pgtrigger does for proxies.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from .exceptions import TrackingError


def event_app(model: type[models.Model], app_label: str | None) -> tuple[str, str]:
    """The app label and the module of the event model of `model`."""
    if app_label is None or app_label == model._meta.app_label:
        if model._meta.auto_created:
            # A through model's module is its creator's (Django's own models for auth).
            return model._meta.app_label, _models_module(model._meta.app_label)
        return model._meta.app_label, model.__module__
    if not isinstance(app_label, str) or app_label not in apps.app_configs:
        raise TrackingError(
            f"track(app_label={app_label!r}) on {model.__name__}: no installed app has that "
            f"label. Choose one of {sorted(apps.app_configs)}; the event model and the "
            "triggers' migrations go there."
        )
    return app_label, _models_module(app_label)


def _models_module(app_label: str) -> str:
    return f"{apps.app_configs[app_label].name}.models"


def trigger_holder(
    model: type[models.Model], app_label: str, module: str, event_name: str
) -> type[models.Model]:
    """The model the capture triggers are declared on: `model`, or a proxy of it."""
    if app_label == model._meta.app_label and not model._meta.auto_created:
        return model
    meta = type("Meta", (), {"proxy": True, "app_label": app_label})
    attrs: dict[str, Any] = {
        "__module__": module,
        "Meta": meta,
        "__doc__": f"Holds the triggers that record {model._meta.label} in {event_name}.",
    }
    proxy: type[models.Model] = type(f"{event_name}Triggers", (model,), attrs)
    return proxy
