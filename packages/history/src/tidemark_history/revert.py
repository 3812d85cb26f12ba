"""Undo: restore a row to one event's values, or undo every change of one context.

Reverting writes the tracked rows only, through the ORM, inside a `context()` that says
what was reverted; the triggers record those writes as new events, like any other change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from .context import context as history_context
from .event import Event, Kind
from .exceptions import HistoryError, RevertConflict, RevertError
from .reading import state_spec
from .timeline import ContextRef, _context_id, with_descendants

if TYPE_CHECKING:
    from .tracking import EventSpec


def _describe(event: Event) -> str:
    return (
        f"{event.history_label} of {event.tracked_model().__name__} "
        f"{event.history_object_id} at {event.history_at:%Y-%m-%d %H:%M:%S} "
        f"(event {event.history_id})"
    )


def _needed(model: type[models.Model], values: dict[str, Any], *, creating: bool) -> list[str]:
    """The fields of `model` the values cannot fill (None where NULL is refused)."""
    missing = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or getattr(model_field, "generated", False):
            continue
        if model_field.name in values:
            if values[model_field.name] is None and not model_field.null:
                missing.append(model_field.name)
        elif creating and not (
            model_field.null
            or model_field.has_default()
            or model_field.has_db_default()
            or getattr(model_field, "auto_now", False)
            or getattr(model_field, "auto_now_add", False)
        ):
            missing.append(model_field.name)
    return missing


def _write(
    model: type[models.Model], pk: Any, values: dict[str, Any] | None, using: str, origin: str
) -> models.Model | None:
    """Make row `pk` hold `values` (None: make it absent); return the row."""
    manager = model._base_manager.using(using)
    row = manager.select_for_update().filter(pk=pk).first()
    if values is None:
        if row is not None:
            manager.filter(pk=pk).delete()
        return None
    missing = _needed(model, values, creating=row is None)
    if missing:
        raise RevertError(
            f"Cannot restore {model.__name__} {pk} from {origin}: it holds no value for "
            f"{missing}, which the row needs (fields tracking does not copy, or added "
            "after the event). Track those fields, or restore the row by hand."
        )
    attnames = {f.name: f.attname for f in model._meta.concrete_fields}
    if row is None:
        row = model(pk=pk, **{attnames[name]: value for name, value in values.items()})
        row.save(force_insert=True, using=using)
        return row
    for name, value in values.items():
        setattr(row, attnames[name], value)
    row.save(update_fields=list(values), using=using)
    return row


def revert_event(event: Event, *, using: str) -> models.Model:
    """The implementation of `Event.revert()`."""
    model = event.tracked_model()
    label = f"{event._meta.label_lower}:{event.history_id}"  # type: ignore[attr-defined]
    with transaction.atomic(using=using), history_context(reverted_event=label):
        row = _write(model, event.history_object_id, event.values(), using, _describe(event))
    assert row is not None
    return row


@dataclass
class Step:
    """One row `revert_context()` restores: to `values`, or deleted when `values` is None."""

    model: type[models.Model]
    pk: Any
    values: dict[str, Any] | None
    events: list[Event]
    current: dict[str, Any] | None = None

    @property
    def action(self) -> str:
        """``"delete"``, ``"re-create"`` or ``"update"``."""
        if self.values is None:
            return "delete"
        return "re-create" if self.current is None else "update"

    def __str__(self) -> str:
        return f"{self.action} {self.model._meta.label} {self.pk}"


@dataclass
class RevertPlan:
    """What `revert_context()` would do: the steps in order and the conflicting events."""

    context_id: uuid.UUID
    steps: list[Step] = field(default_factory=list)
    conflicts: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _state_before(first: Event) -> dict[str, Any] | None:
    """The row's values before `first` (None: it did not exist), or raise."""
    if first.kind is Kind.INSERT:
        return None
    if first.kind in (Kind.DELETE, Kind.BEFORE):
        return first.values()
    previous = first.previous
    if previous is None or previous.kind is Kind.BEFORE:
        raise RevertError(
            f"No recorded state of {first.tracked_model().__name__} "
            f"{first.history_object_id} before {_describe(first)}: it was tracked from a "
            "later change on (no baseline event)."
        )
    return None if previous.kind is Kind.DELETE else previous.values()


def _spec_events(spec: EventSpec, tree: list[uuid.UUID], using: str) -> dict[Any, list[Event]]:
    by_row: dict[Any, list[Event]] = {}
    events: Any = (
        spec.event_model._default_manager.using(using)
        .filter(history_context_id__in=tree)
        .order_by("history_at", "history_id")
    )
    for event in events:
        by_row.setdefault(event.history_object_id, []).append(event)
    return by_row


def plan_revert_context(context: ContextRef, *, using: str = "default") -> RevertPlan:
    """What `revert_context(context)` would do, without writing anything.

    Returns:
        The plan: one step per row the context changed (newest change first), the events
        of those rows recorded after the context (conflicts), and the rows that cannot be
        restored (problems).
    """
    from .reading import all_specs

    plan = RevertPlan(_context_id(context))
    # The context and every context derived from it: the nested blocks of a request.
    tree = with_descendants([plan.context_id], using)
    ordered: list[tuple[Any, Step]] = []
    tracked = {spec.tracked for spec in all_specs()}
    for model in tracked:
        try:
            spec = state_spec(model, need_deletes=True)
        except HistoryError:
            continue
        manager = spec.event_model._default_manager.using(using)
        for pk, row_events in _spec_events(spec, tree, using).items():
            first, last = row_events[0], row_events[-1]
            later = manager.filter(
                models.Q(history_at__gt=last.history_at)
                | models.Q(history_at=last.history_at, history_id__gt=last.history_id),
                history_object_id=pk,
            ).exclude(history_context_id__in=tree)
            plan.conflicts.extend(later.order_by("history_at", "history_id"))  # type: ignore[arg-type]
            try:
                values = _state_before(first)
            except RevertError as error:
                plan.problems.append(str(error))
                continue
            current = model._base_manager.using(using).filter(pk=pk).values().first()
            step = Step(model, pk, values, row_events, current)
            ordered.append(((last.history_at, last.history_id), step))
    plan.steps = [step for _key, step in sorted(ordered, key=lambda item: item[0], reverse=True)]
    return plan


@dataclass
class Reversion:
    """What `revert_context()` did: the steps it took, recorded in context `context_id`."""

    reverted: uuid.UUID
    steps: list[Step]
    context_id: uuid.UUID | None


def revert_context(
    context: ContextRef, *, force: bool = False, using: str = "default"
) -> Reversion:
    """Undo every tracked change made inside one context, newest first, atomically.

    The context's nested blocks (contexts whose ``parent`` leads to it) are part of it.

    Each row the context changed goes back to its state before the context: rows it
    inserted are deleted, rows it deleted are re-created, rows it updated get their
    earlier values back. The writes are recorded in a new context whose
    ``reverted_context`` is the id of `context`.

    Args:
        context: A `Context`, its id, or an entered ``history.context()`` block.
        force: Overwrite rows changed again after the context instead of refusing.
        using: The database alias.

    Raises:
        RevertConflict: When rows changed again after the context (and not `force`).
        RevertError: When a row has no recorded earlier state or an event lacks values
            the row needs, or the context changed nothing.
    """
    with transaction.atomic(using=using):
        plan = plan_revert_context(context, using=using)
        # Lock the rows, then plan again: a change committed in between is seen.
        for step in plan.steps:
            step.model._base_manager.using(using).select_for_update().filter(pk=step.pk).exists()
        plan = plan_revert_context(context, using=using)
        _refuse(plan, force)
        with history_context(reverted_context=str(plan.context_id)) as block:
            for step in plan.steps:
                _write(step.model, step.pk, step.values, using, f"context {plan.context_id}")
    return Reversion(plan.context_id, plan.steps, block.id)


def _refuse(plan: RevertPlan, force: bool) -> None:
    if plan.problems:
        raise RevertError(" ".join(plan.problems))
    if not plan.steps:
        raise RevertError(f"Context {plan.context_id} has no tracked change to revert.")
    if plan.conflicts and not force:
        listed = "; ".join(_describe(event) for event in plan.conflicts[:20])
        more = len(plan.conflicts) - 20
        raise RevertConflict(
            f"Rows changed by context {plan.context_id} changed again since: {listed}"
            + (f" and {more} more" if more > 0 else "")
            + ". Revert those changes first, or pass force=True to overwrite them.",
            plan.conflicts,
        )
