"""``apply_migrations --recover`` / ``--resume``: resolve a run that was interrupted."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from tidemark_core import Resolution, history_context, resolve_interrupted
from tidemark_core.recovery import How

from . import conf
from .restore import Callback


def resolve_run(
    how: How,
    *,
    using: str = DEFAULT_DB_ALIAS,
    dry_run: bool = False,
    progress_callback: Callback | None = None,
    lock_timeout: float | None = None,
) -> Resolution:
    """Resolve the interrupted runs of `using` (see `tidemark_core.resolve_interrupted`).

    ``"recover"`` restores exactly the applied set the first interrupted run started from;
    ``"resume"`` finishes the plan of the last one. The resolving run has the statement
    limits of ``apply_migrations`` and, with tidemark_history installed, the history
    context ``command="apply_migrations --recover"`` (or ``--resume``).

    Args:
        how: ``"recover"`` or ``"resume"``.
        using: The database alias.
        dry_run: Plan only.
        progress_callback: Receives the executor's events, and ``"resolve_start"`` with
            the runs and the plan before the first step.
        lock_timeout: Seconds to wait for the migration lock (default: the setting).

    Raises:
        PlanError: The code cannot reach that applied set; nothing was changed.
        IrreversibleStepsError: A step to unapply is irreversible; nothing was changed.
        SessionLost: The session was lost on the way.
    """
    with history_context(command=f"apply_migrations --{how}", database=using):
        return resolve_interrupted(
            how,
            using=using,
            command="apply_migrations",
            progress_callback=progress_callback,
            lock_timeout=lock_timeout,
            limits=conf.statement_limits(),
            dry_run=dry_run,
        )
