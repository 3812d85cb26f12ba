"""``rollback_migrations --recover`` / ``--resume``: resolve a run that was interrupted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

from tidemark_core import (
    MIGRATION_LOCK,
    Resolution,
    advisory_lock,
    history_context,
    migration_lock_timeout,
    resolve_interrupted,
)
from tidemark_core.recovery import How

from .lineage import enter
from .listing import ROLLBACK_COMMAND
from .rollback import finish_rollback
from .states import lineage_model


def resolve_run(
    how: How,
    *,
    using: str = DEFAULT_DB_ALIAS,
    dry_run: bool = False,
    progress_callback: Callable[..., Any] | None = None,
    lock_timeout: float | None = None,
) -> Resolution:
    """Resolve the interrupted runs of `using` (see `tidemark_core.resolve_interrupted`).

    ``"recover"`` restores exactly the applied set the first interrupted run started from;
    ``"resume"`` finishes the plan of the last one. An interrupted ``rollback_migrations``
    among them is settled too: recovered, its rollback is recorded as failed; resumed, as
    succeeded, and its target comes into force in the release lineage.

    Raises:
        PlanError: The code cannot reach that applied set; nothing was changed.
        IrreversibleStepsError: A step to unapply is irreversible; nothing was changed.
        SessionLost: The session was lost on the way.
    """
    from .models import Rollback

    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with (
        advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout),
        history_context(command=f"rollback_migrations --{how}", database=using),
    ):
        resolution = resolve_interrupted(
            how,
            using=using,
            command=ROLLBACK_COMMAND,
            progress_callback=progress_callback,
            lock_timeout=timeout,
            dry_run=dry_run,
        )
        if resolution.run is None:
            return resolution
        ids = [run.id for run in resolution.resolved if run.command == ROLLBACK_COMMAND]
        rows = Rollback.objects.using(using).filter(run_id__in=ids, result=Rollback.Result.RUNNING)
        with transaction.atomic(using=using):
            for row in rows:
                if how == "resume":
                    finish_rollback(row, Rollback.Result.SUCCEEDED, resolution.applied, "")
                    enter(
                        lineage_model(),
                        using,
                        using,
                        row.to_state_id,
                        "rolled back",
                        rollback_id=row.pk,
                    )
                else:
                    text = f"Interrupted; recovered by run #{resolution.run.id}."
                    finish_rollback(row, Rollback.Result.FAILED, resolution.applied, text)
    return resolution
