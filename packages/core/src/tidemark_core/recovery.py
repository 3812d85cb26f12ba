"""Resolve interrupted runs: restore the applied set they started from, or finish them.

The run journal (`tidemark_core.journal`) keeps, for every run, the applied set before its
first step and the one it aimed at. When runs were interrupted, `resolve_interrupted`
brings the database to the start of the first of them (``recover``) or to the target of
the last (``resume``) with an exact `Plan`, as a run of its own, and marks them resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import DEFAULT_DB_ALIAS

from .conf import migration_lock_timeout
from .exceptions import PlanError
from .executor import ProgressCallback, execute
from .guard import StatementLimits
from .journal import (
    RECOVERED,
    RESUMED,
    SUCCEEDED,
    OpenRun,
    RunRecord,
    mark_resolved,
    unresolved_runs,
)
from .locks import MIGRATION_LOCK, advisory_lock
from .plan import Key, Plan, applied_migrations

How = Literal["recover", "resume"]


@dataclass(frozen=True)
class Resolution:
    """What `resolve_interrupted` did (or, with ``dry_run``, would do).

    Attributes:
        using: The database alias.
        how: ``"recover"`` or ``"resume"``.
        resolved: The interrupted runs it resolved (empty: there were none).
        plan: The plan that resolves them (None when there were none).
        run: The journal entry of the resolving run (None for a dry run or nothing to do).
        applied: The applied set afterwards (before, for a dry run).
    """

    using: str
    how: How
    resolved: tuple[RunRecord, ...]
    plan: Plan | None
    run: RunRecord | None
    applied: frozenset[Key]

    def summary(self) -> str:
        """What was (or, for a dry run, would be) done, in one sentence and the steps."""
        runs = ", ".join(f"#{run.id}" for run in self.resolved)
        done, goal = _WORDS[self.how]
        if not self.resolved:
            return f"No interrupted run on {self.using!r}: nothing to {self.how}."
        if self.run is None:
            assert self.plan is not None
            steps = "".join(f"\n  {line}" for line in self.plan.describe()) or " no step"
            return f"Run(s) {runs} would be {done}: the database would be brought to {goal}:{steps}"
        return f"Run(s) {runs} {done}: the database is at {goal}."

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "database": self.using,
            "how": self.how,
            "resolved": [run.id for run in self.resolved],
            "run": self.run.id if self.run is not None else None,
            "plan": self.plan.describe() if self.plan is not None else [],
            "executed": self.run is not None,
            "applied": [f"{app}.{name}" for app, name in sorted(self.applied)],
        }


_WORDS = {
    "recover": ("recovered", "the applied migrations it started from"),
    "resume": ("resumed", "its target"),
}


def resolve_interrupted(
    how: How,
    *,
    using: str = DEFAULT_DB_ALIAS,
    command: str,
    progress_callback: ProgressCallback | None = None,
    lock_timeout: float | None = None,
    limits: StatementLimits | None = None,
    dry_run: bool = False,
) -> Resolution:
    """Resolve the interrupted runs of `using`, under the migration lock.

    ``recover`` restores exactly the applied set the first interrupted run started from
    (the state before the interruptions); ``resume`` brings the database to the applied
    set the last one aimed at (it finishes that run's plan). Either is a run of its own,
    recorded in the journal as ``<command> --recover`` or ``--resume``, and marks the
    interrupted runs ``recovered`` or ``resumed``. With no interrupted run, nothing runs.

    Args:
        how: ``"recover"`` or ``"resume"``.
        using: The database alias.
        command: The command that resolves them, for the journal (``apply_migrations``).
        progress_callback: Receives ``"resolve_start"`` (``runs``, ``plan``, ``how``)
            before the first step, then the executor's events (see `execute`).
        lock_timeout: Seconds to wait for the migration lock (default: the setting).
        limits: The statement limits of the run (see `StatementLimits`).
        dry_run: Plan only.

    Raises:
        PlanError: The code cannot reach that applied set (the message says why), or a
            journal entry is damaged; nothing was changed.
        IrreversibleStepsError: A step to unapply is irreversible; nothing was changed.
        SessionLost: The session was lost on the way; the entries stay open.
        Exception: What a migration raised; the interrupted runs stay unresolved.
    """
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout) as lock:
        pending = tuple(unresolved_runs(using))
        if not pending:
            return Resolution(using, how, (), None, None, applied_migrations(using))
        damaged = [record for record in pending if record.damage]
        if damaged:
            raise PlanError(
                "The journal entries of these interrupted runs are damaged, so the applied "
                "sets they recorded are unknown:\n- "
                + "\n- ".join(record.describe() for record in damaged)
                + "\nBring the migrations to the state you want by hand, then delete the "
                f"entries: DELETE FROM tidemark_migration_runs WHERE id IN "
                f"({', '.join(str(record.id) for record in damaged)})."
            )
        goal = pending[0].start if how == "recover" else pending[-1].target
        plan = Plan.build(goal, using=using)
        if dry_run:
            return Resolution(using, how, pending, plan, None, plan.current)
        if progress_callback is not None:
            progress_callback("resolve_start", runs=list(pending), plan=plan, how=how)
        opened = OpenRun.begin(plan, lock=lock, command=f"{command} --{how}")
        with opened.failures():
            applied = execute(
                plan,
                progress_callback=progress_callback,
                lock_timeout=timeout,
                exact_replacements=True,
                run=opened,
                limits=limits,
            )
        opened.finish(SUCCEEDED)
        mark_resolved(pending, opened, RECOVERED if how == "recover" else RESUMED)
        return Resolution(using, how, pending, plan, opened.record(), applied)
