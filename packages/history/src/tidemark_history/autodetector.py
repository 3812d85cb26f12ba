"""What ``makemigrations`` writes for event models: no migration drops recorded values.

When a field leaves a tracked model, Django's autodetector removes it from the event model
too, and its ``RemoveField`` would drop the event column with every value recorded in it.
Here that removal becomes a state-only one (``SeparateDatabaseAndState`` without a database
operation): the event model no longer has the field, the column and its values stay in the
event table, nullable, so the triggers' INSERTs leave it NULL. ``track(drop_removed_fields=True)``
restores the plain ``RemoveField``. Likewise a field added to an event model is added by
`AddEventField`, whose reversal (a rolled-back release) keeps the column and its values.

The mixin is put into the autodetector of ``makemigrations`` and ``migrate`` the way
django-pgtrigger puts its own there, and composes with it in either order.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemigrations, migrate
from django.db.migrations import operations
from pgtrigger.migrations import AddTrigger

from .operations import AddEventField
from .tracking import all_specs


def _kept_event_models() -> set[tuple[str, str]]:
    return {
        (spec.event_model._meta.app_label, spec.event_model._meta.model_name or "")
        for spec in all_specs()
        if not spec.drop_removed_fields
    }


class HistoryAutodetectorMixin:
    """Turns the ``RemoveField`` of an event model into a state-only removal."""

    def add_operation(
        self,
        app_label: str,
        operation: Any,
        dependencies: Any = None,
        beginning: bool = False,
    ) -> None:
        kept = (app_label, getattr(operation, "model_name_lower", "")) in _kept_event_models()
        if kept and type(operation) is operations.RemoveField:
            operation = operations.SeparateDatabaseAndState(
                state_operations=[operation], database_operations=[]
            )
        elif (
            kept
            and type(operation) is operations.AddField
            # A model created in the same migration gets its relations by AddField too.
            and (app_label, operation.model_name_lower) in getattr(self, "old_model_keys", ())
        ):
            operation = AddEventField(
                model_name=operation.model_name,
                name=operation.name,
                field=operation.field,
                preserve_default=operation.preserve_default,
            )
        super().add_operation(  # type: ignore[misc]
            app_label, operation, dependencies=dependencies, beginning=beginning
        )

    def generate_altered_fields(self) -> None:
        # pgtrigger installs replaced triggers last, after every field operation; a field
        # altered in the same migration (null to NOT NULL fills its NULL rows with the
        # default) would change rows while the tracked table has no capture trigger. The
        # capture triggers of tracked models go in first: columns are added, removed and
        # renamed by then, so the new triggers find the columns they copy.
        tracked = {
            (spec.holder._meta.app_label, spec.holder._meta.model_name) for spec in all_specs()
        }
        altered: dict[tuple[str, str], dict[str, list[Any]]] = getattr(self, "altered_triggers", {})
        for (app_label, model_name), triggers in altered.items():
            if (app_label, model_name) not in tracked:
                continue
            for trigger in triggers["added_triggers"]:
                self.add_operation(app_label, AddTrigger(model_name=model_name, trigger=trigger))
            triggers["added_triggers"] = []
        super().generate_altered_fields()  # type: ignore[misc]


def _with_mixin(autodetector: type) -> type:
    if issubclass(autodetector, HistoryAutodetectorMixin):
        return autodetector
    return type("MigrationAutodetector", (HistoryAutodetectorMixin, autodetector), {})


def install() -> None:
    """Put the mixin into the autodetector of ``makemigrations`` and ``migrate`` (one class:
    Django's check ``commands.E001`` wants the same in both)."""
    modules: tuple[Any, ...] = (makemigrations, migrate)
    autodetector = _with_mixin(modules[0].MigrationAutodetector)
    for module in modules:
        module.MigrationAutodetector = autodetector
        command: Any = module.Command
        command.autodetector = autodetector  # Django >= 5.2 reads it from here
