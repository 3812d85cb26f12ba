"""The release history of a database alias: saved states and rollbacks, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from tidemark_core import Key, applied_migrations

from .rollback import RollbackRecord, rollbacks
from .states import SavedState, current_state, saved_states


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment is not None else ""


def timeline(using: str = DEFAULT_DB_ALIAS) -> list[SavedState | RollbackRecord]:
    """Saved states (at their creation) and rollbacks (at their start), oldest first."""
    entries: list[SavedState | RollbackRecord] = [*saved_states(using), *rollbacks(using)]

    def moment(entry: SavedState | RollbackRecord) -> tuple[datetime, int]:
        if isinstance(entry, SavedState):
            return (entry.created_at, 0)
        return (entry.started_at, 1)

    return sorted(entries, key=moment)


def history_lines(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``rollback_migrations --list``: newest first, the current state marked ``curr >>>``."""
    current = current_state(using)
    row = "{:>8}  {:<19}  {:<8}  {:<40}  {}"
    lines = [
        f"Saved states and rollbacks of the database {using!r}, sorted from newer to older:",
        row.format("MARK    ", "TIMESTAMP v", "EVENT", "COMMIT", "TAGS / DETAILS"),
    ]
    for entry in reversed(timeline(using)):
        if isinstance(entry, SavedState):
            mark = "curr >>>" if current is not None and entry.id == current.id else ""
            details = ", ".join(entry.tags)
            lines.append(row.format(mark, _when(entry.created_at), "state", entry.commit, details))
        else:
            details = (
                f"{entry.result}, from {entry.from_commit[:12] if entry.from_commit else '?'}, "
                f"{len(entry.steps)} step(s), by {entry.performed_by}"
            )
            if entry.error:
                details += f": {entry.error}"
            lines.append(
                row.format("", _when(entry.started_at), "rollback", entry.to_commit, details)
            )
    if current is None:
        lines.append("No state saved yet.")
    elif current.applied != applied_migrations(using):
        lines.append(
            "The database's applied migrations differ from the current state "
            "(see `save_migrations_state --check`)."
        )
    return lines


def _keys(keys: frozenset[Key] | None) -> list[list[str]] | None:
    return None if keys is None else [list(key) for key in sorted(keys)]


def history_data(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """``rollback_migrations --list --json``: the same history, oldest first."""
    current = current_state(using)
    entries: list[dict[str, Any]] = []
    for entry in timeline(using):
        if isinstance(entry, SavedState):
            entries.append(
                {
                    "event": "state",
                    "commit": entry.commit,
                    "tags": list(entry.tags),
                    "created_at": entry.created_at.isoformat(),
                    "saved_at": entry.saved_at.isoformat(),
                    "django_version": entry.django_version,
                    "applied": _keys(entry.applied),
                    "current": current is not None and entry.id == current.id,
                }
            )
        else:
            entries.append(
                {
                    "event": "rollback",
                    "from_commit": entry.from_commit,
                    "to_commit": entry.to_commit,
                    "result": entry.result,
                    "steps": list(entry.steps),
                    "performed_by": entry.performed_by,
                    "started_at": entry.started_at.isoformat(),
                    "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
                    "error": entry.error,
                }
            )
    return {
        "database": using,
        "current": current.commit if current is not None else None,
        "matches_current": current is not None and current.applied == applied_migrations(using),
        "entries": entries,
    }
