"""The release history of a database alias: saved states, rollbacks and migration runs.

``rollback_migrations --list`` shows it: the states (the one in force marked), the
rollbacks, the runs of core's run journal (``apply_migrations`` and recoveries, failed and
interrupted ones included, with their automatic rollbacks), and damaged rows, each
explained.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from tidemark_core import Key, RunRecord, applied_migrations, runs
from tidemark_core.journal import RECOVERED, RESUMED, ROLLED_BACK, SUCCEEDED

from .exceptions import DamagedState
from .rollback import RollbackRecord, rollbacks
from .states import SavedState, current_state, damaged_states, saved_states

Entry = SavedState | RollbackRecord | RunRecord | DamagedState

ROLLBACK_COMMAND = "rollback_migrations"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment is not None else ""


def _moment(entry: Entry) -> tuple[datetime, int]:
    if isinstance(entry, SavedState):
        return (entry.created_at, 0)
    if isinstance(entry, DamagedState):
        assert entry.created_at is not None
        return (entry.created_at, 0)
    return (entry.started_at, 1)


def timeline(using: str = DEFAULT_DB_ALIAS) -> list[Entry]:
    """Saved states (at their creation), rollbacks and runs (at their start), oldest first.

    The runs are those of core's run journal other than rollbacks (a rollback's run is
    `RollbackRecord.run`); damaged state rows are listed as `DamagedState`.
    """
    journal = [run for run in runs(using) if run.command != ROLLBACK_COMMAND]
    entries: list[Entry] = [*saved_states(using), *damaged_states(using)]
    entries += [*rollbacks(using), *journal]
    return sorted(entries, key=_moment)


def _current(using: str) -> tuple[int | None, str]:
    """The id of the state in force, and a note when it cannot be read."""
    try:
        current = current_state(using)
    except DamagedState as error:
        return error.id, f"The state in force, #{error.id}, is damaged."
    return (current.id, "") if current is not None else (None, "No state saved yet.")


def run_details(run: RunRecord) -> str:
    """One line about a journal run: how it ended, or how far it got and what to do."""
    undone = len([line for line in run.done if line not in run.steps])
    error = run.error.splitlines()[0] if run.error else ""
    by = f"by {run.performed_by}"
    if run.alive:
        return f"{run.command} running now: {run.progress()}, {by}"
    if run.interrupted:
        return (
            f"{run.command} INTERRUPTED: {run.progress()}, {by}; resolve it with --recover "
            "or --resume"
        )
    if run.status in (RECOVERED, RESUMED):
        resolved = f"{run.status} by run #{run.resolved_by}"
        return f"{run.command} interrupted ({run.progress()}), {by}; {resolved}"
    if run.status == SUCCEEDED:
        return f"{run.command} succeeded, {len(run.steps)} step(s), {by}"
    if run.status == ROLLED_BACK:
        return f"{run.command} failed and was rolled back ({undone} step(s) undone), {by}: {error}"
    return f"{run.command} {run.status} ({undone} step(s) undone), {by}: {error}"


def _rollback_result(entry: RollbackRecord, journal: dict[int, RunRecord]) -> str:
    run = journal.get(entry.run) if entry.run is not None else None
    if run is None or entry.result != "running" or run.alive:
        return entry.result
    if run.resolved_by is not None:
        return f"interrupted, {run.status} by run #{run.resolved_by}"
    return "INTERRUPTED (resolve it with --recover or --resume)"


def history_lines(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``rollback_migrations --list``: newest first, the current state marked ``curr >>>``."""
    current, note = _current(using)
    journal = {run.id: run for run in runs(using)}
    row = "{:>8}  {:<19}  {:<8}  {:<40}  {}"
    lines = [
        f"Saved states and rollbacks of the database {using!r}, sorted from newer to older:",
        row.format("MARK    ", "TIMESTAMP v", "EVENT", "COMMIT", "TAGS / DETAILS"),
    ]
    for entry in reversed(timeline(using)):
        mark = "curr >>>" if _is_current(entry, current) else ""
        event, commit, details, moment = _line_fields(entry, journal)
        lines.append(row.format(mark, _when(moment), event, commit, details))
    lines.extend(_notes(using, current, note))
    return lines


def _is_current(entry: Entry, current: int | None) -> bool:
    return isinstance(entry, SavedState | DamagedState) and entry.id == current


def _line_fields(entry: Entry, journal: dict[int, RunRecord]) -> tuple[str, str, str, Any]:
    """EVENT, COMMIT, TAGS / DETAILS and the time of one line of ``--list``."""
    if isinstance(entry, SavedState):
        return ("state", entry.commit, ", ".join(entry.tags), entry.created_at)
    if isinstance(entry, DamagedState):
        problems = f"#{entry.id} is damaged: " + "; ".join(entry.problems)
        return ("damaged", entry.commit, problems, entry.created_at)
    if isinstance(entry, RunRecord):
        return ("run", entry.release, f"#{entry.id} {run_details(entry)}", entry.started_at)
    details = (
        f"{_rollback_result(entry, journal)}, from "
        f"{entry.from_commit[:12] if entry.from_commit else '?'}, "
        f"{len(entry.steps)} step(s), by {entry.performed_by}"
    )
    if entry.error:
        details += f": {entry.error}"
    return ("rollback", entry.to_commit, details, entry.started_at)


def _notes(using: str, current: int | None, note: str) -> list[str]:
    if current is None or note:
        return [note]
    state = current_state(using)
    assert state is not None
    if state.applied != applied_migrations(using):
        return [
            "The database's applied migrations differ from the current state "
            "(see `save_migrations_state --check`)."
        ]
    return []


def _keys(keys: frozenset[Key] | None) -> list[list[str]] | None:
    return None if keys is None else [list(key) for key in sorted(keys)]


def _run_data(run: RunRecord) -> dict[str, Any]:
    return {
        "event": "run",
        "id": run.id,
        "command": run.command,
        "status": run.state,
        "atomic": run.atomic,
        "performed_by": run.performed_by,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "steps": list(run.steps),
        "done": list(run.done),
        "running": run.running or None,
        "error": run.error,
        "release": run.release or None,
        "resolved_by": run.resolved_by,
    }


def _entry_data(entry: Entry, current: int | None, journal: dict[int, RunRecord]) -> dict[str, Any]:
    if isinstance(entry, RunRecord):
        return _run_data(entry)
    if isinstance(entry, DamagedState):
        return {
            "event": "damaged",
            "id": entry.id,
            "commit": entry.commit,
            "problems": list(entry.problems),
            "current": entry.id == current,
        }
    if isinstance(entry, SavedState):
        return {
            "event": "state",
            "commit": entry.commit,
            "tags": list(entry.tags),
            "created_at": entry.created_at.isoformat(),
            "saved_at": entry.saved_at.isoformat(),
            "django_version": entry.django_version,
            "applied": _keys(entry.applied),
            "current": entry.id == current,
        }
    return {
        "event": "rollback",
        "from_commit": entry.from_commit,
        "to_commit": entry.to_commit,
        "result": _rollback_result(entry, journal),
        "steps": list(entry.steps),
        "performed_by": entry.performed_by,
        "started_at": entry.started_at.isoformat(),
        "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
        "error": entry.error,
        "run": entry.run,
    }


def history_data(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """``rollback_migrations --list --json``: the same history, oldest first."""
    current, note = _current(using)
    journal = {run.id: run for run in runs(using)}
    state = None if note else current_state(using)
    return {
        "database": using,
        "current": state.commit if state is not None else None,
        "matches_current": state is not None and state.applied == applied_migrations(using),
        "interrupted": [run.id for run in journal.values() if run.interrupted],
        "entries": [_entry_data(entry, current, journal) for entry in timeline(using)],
    }
