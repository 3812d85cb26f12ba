"""``manage.py row_history``: every recorded change of one row, with who made it and where.

    manage.py row_history shop.product "name=Tide clock"

Reads what ``tidemark_history`` recorded: the row's events (``obj.history``, oldest first),
the fields each one changed, and the context each carries (``event.history_context``: the
request of ``HistoryMiddleware``, or the command that changed the row).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models


class Command(BaseCommand):
    help = "Show the recorded history of one row of a tracked model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="app_label.model_name, e.g. shop.product")
        parser.add_argument("lookup", help="FIELD=VALUE selecting one row, e.g. name=Tide clock")

    def handle(self, *args: Any, **options: Any) -> None:
        row = find_row(options["model"], options["lookup"])
        events = list(row.history.select_related("history_context").order_by("history_id"))
        fields = tracked_fields(row.history.model)
        self.stdout.write(
            f"History of {row._meta.label_lower} {row.pk}, {str(row)!r}: {len(events)} "
            "event(s), oldest first"
        )
        previous: models.Model | None = None
        for event in events:
            self.stdout.write(
                f"  {event.history_at:%Y-%m-%d %H:%M:%S} {event.history_label}: "
                f"{changes(fields, previous, event)}"
            )
            self.stdout.write(f"      {describe(event.history_context)}")
            previous = event


def find_row(label: str, lookup: str) -> Any:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as error:
        raise CommandError(f"{label!r}: {error}") from None
    field, _, value = lookup.partition("=")
    if not hasattr(model, "history"):
        raise CommandError(f"{label} is not tracked by tidemark_history.")
    try:
        return model.objects.get(**{field: value})
    except (model.DoesNotExist, model.MultipleObjectsReturned, ValueError) as error:
        raise CommandError(f"{label} {lookup}: {error}") from None


def tracked_fields(event_model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The copies of the row's fields in its event model (not the ``history_*`` columns)."""
    return [
        field
        for field in event_model._meta.concrete_fields
        if not field.name.startswith("history_")
    ]


def changes(fields: list[models.Field[Any, Any]], before: Any, after: Any) -> str:
    """``name: 'old' → 'new'; ...`` between two events; every value for the first one."""
    shown = []
    for field in fields:
        new = getattr(after, field.attname)
        if before is None:
            shown.append(f"{field.name}={value(new)}")
        elif getattr(before, field.attname) != new:
            old = getattr(before, field.attname)
            shown.append(f"{field.name}: {value(old)} → {value(new)}")
    return ", ".join(shown) if before is None else "; ".join(shown) or "no field changed"


def value(recorded: Any) -> str:
    """A recorded value as the sync's plan shows it: text quoted, numbers as they are."""
    return repr(recorded) if isinstance(recorded, str) else str(recorded)


def describe(context: Any) -> str:
    """Who and where: the request or the command recorded as the event's context."""
    if context is None:
        return "no context (a change made outside any request or Tidemark command)"
    metadata = dict(context.metadata)
    if "path" in metadata:
        user = get_user_model().objects.filter(pk=metadata.get("user")).first()
        who = f"user {user.get_username()!r}" if user is not None else "an anonymous user"
        return f"by {who}, request {metadata.get('method')} {metadata.get('path')}"
    command = metadata.pop("command", "?")
    details = ", ".join(f"{key}={value!r}" for key, value in metadata.items())
    return f"by the command {command} ({details})"
