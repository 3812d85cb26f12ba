"""`Event`: the base class of every generated event model (diff, previous, context, revert).

`track()` derives each event model from `Event` and `models.Model`. `Event` is a plain
mixin rather than an abstract model, so `tidemark_history` stays importable before the app
registry is ready (an abstract model needs it).
"""

from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models

from .trackers import DeleteEvent, InsertEvent, Tracker, UpdateEvent

if TYPE_CHECKING:
    import datetime

    from .models import Context
    from .tracking import EventSpec


class Kind(Enum):
    """What an event's copied values are, according to the tracker that recorded it."""

    INSERT = "insert"  # the row as inserted
    UPDATE = "update"  # the row after an update
    BEFORE = "before"  # the row before an update (UpdateEvent(row="old"))
    DELETE = "delete"  # the row's last values before it was deleted
    SNAPSHOT = "snapshot"  # the row as it stood (manual events, baselines)

    @property
    def is_state(self) -> bool:
        """Whether the event's values are the row's state from then on."""
        return self in (Kind.INSERT, Kind.UPDATE, Kind.SNAPSHOT)


def kind_of(tracker: Tracker) -> Kind:
    """The `Kind` of the events `tracker` records (any other tracker records snapshots)."""
    declared = getattr(tracker, "kind", None)
    if isinstance(declared, Kind):
        return declared
    if isinstance(tracker, InsertEvent):
        return Kind.INSERT
    if isinstance(tracker, DeleteEvent):
        return Kind.DELETE
    if isinstance(tracker, UpdateEvent):
        return Kind.UPDATE if tracker.row == "new" else Kind.BEFORE
    return Kind.SNAPSHOT


class Event:
    """The base class of the event models `track()` generates.

    An event is one recorded change of one row of a tracked model: ``history_label`` (the
    tracker's label), ``history_at`` (when its transaction started), ``history_object_id``
    (the tracked row's primary key), ``history_context_id`` and a copy of the tracked
    fields. Use `isinstance(obj, history.Event)` to tell an event from another model.
    """

    history_spec: ClassVar[EventSpec]

    if TYPE_CHECKING:
        history_id: int
        history_at: datetime.datetime
        history_label: str
        history_object_id: Any
        history_context_id: Any
        history_context: Context | None
        pk: Any
        _state: Any

    @classmethod
    def tracked_model(cls) -> type[models.Model]:
        """The model whose changes this event model records."""
        return cls.history_spec.tracked

    @property
    def kind(self) -> Kind:
        """What the event's values are: the row inserted, updated, deleted, or before."""
        for tracker in self.history_spec.trackers:
            if tracker.label == self.history_label:
                return kind_of(tracker)
        return Kind.SNAPSHOT

    @property
    def context(self) -> Context | None:
        """The `Context` the event was recorded in (its metadata readable as attributes,
        ``event.context.user``), or None when it was recorded outside any context."""
        return self.history_context

    def values(self) -> dict[str, Any]:
        """The copied field values, by field name (a foreign key gives its raw id).

        Fields the tracked model no longer has are left out.
        """
        live = {field.name for field in self.tracked_model()._meta.concrete_fields}
        return {
            field.name: getattr(self, field.attname)
            for field in self.history_spec.tracked_fields
            if field.name in live
        }

    @cached_property
    def previous(self) -> Event | None:
        """The event of the same row recorded just before this one in this event model."""
        manager = type(self)._default_manager  # type: ignore[attr-defined]
        earlier = models.Q(history_at__lt=self.history_at) | models.Q(
            history_at=self.history_at, history_id__lt=self.history_id
        )
        found: Event | None = (
            manager.using(self._state.db)
            .filter(earlier, history_object_id=self.history_object_id)
            .order_by("-history_at", "-history_id")
            .first()
        )
        return found

    def diff(self) -> dict[str, tuple[Any, Any]]:
        """The fields this event changed: ``{field: (old, new)}``.

        An insert (or the first event of a row recorded before tracking started) diffs
        against nothing, so every field shows ``(None, value)``; a delete shows the row's
        last values as ``(value, None)``; any other event shows the fields whose value
        differs from the previous event of the same row.
        """
        current = self.values()
        if self.kind is Kind.DELETE:
            return {name: (value, None) for name, value in current.items()}
        previous = self.previous if self.kind is not Kind.INSERT else None
        if previous is None or previous.kind is Kind.DELETE:
            return {name: (None, value) for name, value in current.items()}
        before = previous.values()
        return {
            name: (before.get(name), value)
            for name, value in current.items()
            if before.get(name) != value
        }

    def as_instance(self) -> models.Model:
        """The tracked row as this event recorded it, as an unsaved-looking instance.

        Its primary key is the row's; fields the tracker does not copy are deferred, so
        reading one loads today's value from the live row.
        """
        from .reading import instance_columns

        model = self.tracked_model()
        names, columns = instance_columns(self.history_spec)
        row = [getattr(self, column) for column in columns]
        return model.from_db(self._state.db, names, row)

    def revert(self, *, using: str | None = None) -> models.Model:
        """Restore the tracked row to the values this event holds, in one transaction.

        The row is updated, or re-created when it was deleted; the write is recorded as
        history in a context whose ``reverted_event`` names this event. Fields the tracker
        does not copy keep their current values (and their defaults on a re-created row).

        Args:
            using: The database alias (default: the one the event was read from).

        Returns:
            The restored row.

        Raises:
            RevertError: When the event lacks a value the row needs (a field tracking
                does not copy and that has no default, or a value recorded as NULL for a
                field that does not allow it).
        """
        from .revert import revert_event

        return revert_event(self, using=using or self._state.db)
