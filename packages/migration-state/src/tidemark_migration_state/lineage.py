"""The release lineage: which saved state is in force, and which one was before it.

Each time a state comes into force (a save, a save of it again, a rollback to it), a
`LineageEntry` records it with the entry that was in force before it. Rolling back to a
state that is in the lineage goes back along it, so the release rolled back from leaves
the lineage: after A, B, a rollback to A, then C, the release before C is A, not the
abandoned B. A state that is not in the lineage (a roll forward to a newer state) is
entered after the current one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone


def current_entry(model: Any, using: str, database: str) -> Any | None:
    """The latest lineage entry of `database` (the one in force), or None."""
    return model.objects.using(using).filter(database=database).order_by("id").last()


def enter(
    model: Any,
    using: str,
    database: str,
    state_id: int,
    cause: str,
    *,
    rollback_id: int | None = None,
    at: datetime | None = None,
) -> Any:
    """Record that the state `state_id` came into force; return the entry in force now.

    Nothing is recorded when it is already in force. Works on the `LineageEntry` model
    and on its historical version in migrations (`model`).
    """
    current = current_entry(model, using, database)
    if current is not None and current.state_id == state_id:
        return current
    previous = current
    entry = current
    while entry is not None:
        if entry.state_id == state_id:
            previous = entry.previous  # back along the lineage
            break
        entry = entry.previous
    return model.objects.using(using).create(
        database=database,
        state_id=state_id,
        previous=previous,
        cause=cause,
        rollback_id=rollback_id,
        at=at or timezone.now(),
    )


def backfill(state_model: Any, rollback_model: Any, model: Any, using: str) -> None:
    """The lineage of states saved before there was one: saves and rollbacks in order.

    Saves count at their creation, successful rollbacks at their end; a save that made an
    older state current again (its last save is the latest event) comes last.
    """
    states = state_model.objects.using(using)
    for database in sorted(set(states.values_list("database", flat=True))):
        events = [
            (state.created_at, 0, state.pk, "saved", None)
            for state in states.filter(database=database)
        ]
        events += [
            (row.finished_at, 1, row.to_state_id, "rolled back", row.pk)
            for row in rollback_model.objects.using(using).filter(
                database=database, result="succeeded", finished_at__isnull=False
            )
        ]
        entry = None
        for at, _, state_id, cause, rollback_id in sorted(events):
            entry = enter(model, using, database, state_id, cause, rollback_id=rollback_id, at=at)
        latest = states.filter(database=database).order_by("saved_at", "id").last()
        if entry is not None and latest.saved_at > entry.at:
            enter(model, using, database, latest.pk, "resumed", at=latest.saved_at)
