"""System checks of Tidemark smooth migrations (ids ``tidemark_smooth_migrations.E0xx/W0xx``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Warning, register

from tidemark_core import postgresql_check
from tidemark_core.conf import check_core_settings, check_settings

from . import conf
from .decorators import is_backward_compatible, new_fields

register(check_core_settings)


@register()
def check_postgresql(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``tidemark_smooth_migrations.E001``: the databases it runs on are PostgreSQL."""
    return postgresql_check(
        "tidemark_smooth_migrations", "tidemark_smooth_migrations.E001", databases
    )


@register()
def check_settings_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_smooth_migrations.E002``: the app's settings have accepted values."""
    return check_settings(*conf.SETTINGS)


@register()
def check_new_fields_enforced(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_smooth_migrations.W001``: a model with a `new_field` is backward-compatible.

    Without `backward_compatible_model`, nothing requires a value for the new field, and
    rows saved without one break the next release's NOT NULL migration.
    """
    configs = app_configs or apps.get_app_configs()
    messages: list[CheckMessage] = []
    for config in configs:
        for model in config.get_models():
            fields = [field.name for field in new_fields(model) if field.model is model]
            if fields and not any(is_backward_compatible(cls) for cls in model.__mro__):
                messages.append(
                    Warning(
                        f"{model._meta.label} has new_field() fields ({', '.join(fields)}) "
                        "but is not decorated with @backward_compatible_model, so nothing "
                        "requires a value for them.",
                        hint="Decorate the model with @backward_compatible_model.",
                        obj=model,
                        id="tidemark_smooth_migrations.W001",
                    )
                )
    return messages
