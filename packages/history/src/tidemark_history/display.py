"""What the admin shows of an event: who, why, and its diff field by field, as plain rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .event import Event, Kind

# Metadata keys shown as "who"; every other key is part of "why".
WHO_KEYS = ("user",)


@dataclass
class Change:
    """One field of a diff, with the field's verbose name."""

    field: str
    label: str
    old: Any
    new: Any


@dataclass
class EventRow:
    """One event as a row of the admin's tables."""

    event: Event
    who: str
    why: list[tuple[str, Any]]
    changes: list[Change]

    @property
    def model(self) -> type[models.Model]:
        return self.event.tracked_model()

    @property
    def model_name(self) -> str:
        """The tracked model's verbose name."""
        return str(self.model._meta.verbose_name)

    @property
    def key(self) -> str:
        """The event's name in URLs: ``<event model name>-<id>``."""
        return f"{self.event._meta.model_name}-{self.event.history_id}"  # type: ignore[attr-defined]

    @property
    def restores(self) -> bool:
        """Whether reverting to this event re-creates the row (a delete's last values)."""
        return self.event.kind is Kind.DELETE


def _verbose(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field the model no longer has keeps its name
        return name
    return str(getattr(field, "verbose_name", name))


def link_previous(events: list[Event]) -> None:
    """Set each event's `previous` from the list when it holds every event of its row.

    `events` is newest first (a page of one row's history), so the previous event of one
    is the next one of the same event model; the oldest of the page still asks.
    """
    older: dict[type[Event], Event] = {}
    for event in reversed(events):
        found = older.get(type(event))
        if found is not None:
            event.__dict__["previous"] = found
        older[type(event)] = event


def rows(events: Iterable[Event], *, diffs: bool = True) -> list[EventRow]:
    """The rows of `events`, resolving the users of their contexts in one query."""
    events = list(events)
    user_ids = {
        event.context.metadata.get("user")
        for event in events
        if event.context is not None and isinstance(event.context.metadata, dict)
    }
    user_ids.discard(None)
    users: dict[Any, Any] = {}
    if user_ids:
        user_model = get_user_model()
        try:
            users = user_model._default_manager.in_bulk(list(user_ids))
        except (ValueError, TypeError):  # ids of another shape than the user model's
            users = {}
    result = []
    for event in events:
        metadata = event.context.metadata if event.context is not None else {}
        metadata = metadata if isinstance(metadata, dict) else {}
        user_id = metadata.get("user")
        who = (
            str(users[user_id])
            if user_id in users
            else ("" if user_id is None else f"user {user_id}")
        )
        why = [(key, value) for key, value in metadata.items() if key not in WHO_KEYS]
        model = event.tracked_model()
        changes = (
            [
                Change(name, _verbose(model, name), old, new)
                for name, (old, new) in event.diff().items()
            ]
            if diffs
            else []
        )
        result.append(EventRow(event, who, why, changes))
    return result
