"""Roll a database back (or forward) to a saved state, recorded as a `Rollback` event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from tidemark_core import (
    MIGRATION_LOCK,
    REVERSE_ADVICE,
    Key,
    OpenRun,
    Plan,
    Step,
    advisory_lock,
    applied_migrations,
    execute,
    history_context,
    migration_lock_timeout,
    refuse_irreversible,
    refuse_unresolved,
    require_postgresql,
)
from tidemark_core.journal import SUCCEEDED, default_performer

from .exceptions import DamagedState, MigrationStateError
from .lineage import enter
from .states import SavedState, current_state, lineage_model, require_tables
from .wording import RESOLVE_ADVICE

if TYPE_CHECKING:
    from collections.abc import Callable

    from .models import Rollback

APP_LABEL = "tidemark_migration_state"


@dataclass(frozen=True)
class RollbackPlan:
    """The exact steps that bring a database to a saved state, checked before anything runs.

    Attributes:
        source: The current state when the plan was made (None when nothing is current).
        target: The state to restore.
        plan: Core's `Plan`; its target is `target.applied`, except that this app's own
            migrations stay as they are so the history is never dropped.
    """

    source: SavedState | None
    target: SavedState
    plan: Plan

    @property
    def using(self) -> str:
        """The database alias."""
        return self.plan.using

    def describe(self) -> list[str]:
        """One line per step, in order."""
        return self.plan.describe()

    def sql(self) -> list[tuple[Step, list[str]]]:
        """The SQL of each step, as ``sqlmigrate`` shows it."""
        return self.plan.sql()

    def check(self) -> None:
        """Refuse the plan when a backwards step is irreversible.

        Raises:
            IrreversibleStepsError: Lists every such migration; nothing was changed.
        """
        refuse_irreversible(
            self.plan.backwards,
            reason=f"Rollback to {self.target.label} refused before changing anything: these "
            "migrations cannot be unapplied",
            advice=f"{REVERSE_ADVICE} in the code you roll back from.",
        )


def plan_rollback(target: SavedState, *, using: str = DEFAULT_DB_ALIAS) -> RollbackPlan:
    """Plan the steps from the database's applied set to `target`'s.

    Raises:
        PlanError: The code cannot reach the target: it names migrations the code no
            longer has (squashed and deleted), apps no longer installed, or it is
            inconsistent. The message lists every offending migration, irreversible ones
            among those to unapply included; nothing is changed.
        MigrationStateError: `target` is a state of another database alias.
        InterruptedRun: A migration run on `using` was interrupted and is unresolved.
    """
    require_postgresql(using, feature="rollback_migrations")
    refuse_unresolved(using, advice=RESOLVE_ADVICE)  # previews refuse as the rollback would
    if target.database != using:
        raise MigrationStateError(
            f"The state {target.label} belongs to {target.database!r}, not {using!r}."
        )
    own = {key for key in applied_migrations(using) if key[0] == APP_LABEL}
    wanted = {key for key in target.applied if key[0] != APP_LABEL} | own
    try:
        source = current_state(using)
    except DamagedState:
        source = None  # a damaged state in force does not stop a rollback to a sound one
    return RollbackPlan(source, target, Plan.build(wanted, using=using))


@dataclass(frozen=True)
class RollbackRecord:
    """One rollback as recorded in the database.

    Attributes:
        id: The row's primary key.
        database: The alias.
        from_commit: The current state's commit when it started (None when unknown).
        to_commit: The target state's commit.
        to_tags: The target state's tags.
        applied_before: The applied set before.
        applied_after: The applied set after (None while running).
        steps: The plan's steps, one line each.
        performed_by: ``user@host`` (or what the caller passed).
        started_at: When it started.
        finished_at: When it ended (None while running).
        result: ``"running"``, ``"succeeded"`` or ``"failed"``.
        error: The error of a failed rollback.
        run: Its entry in core's run journal (``run #id``), if it has one.
    """

    id: int
    database: str
    from_commit: str | None
    to_commit: str
    to_tags: tuple[str, ...]
    applied_before: frozenset[Key]
    applied_after: frozenset[Key] | None
    steps: tuple[str, ...]
    performed_by: str
    started_at: datetime
    finished_at: datetime | None
    result: str
    error: str
    run: int | None = None

    @classmethod
    def from_model(cls, row: Rollback) -> RollbackRecord:
        """The value of a `Rollback` row."""
        return cls(
            id=row.pk,
            database=row.database,
            from_commit=row.from_state.commit if row.from_state is not None else None,
            to_commit=row.to_state.commit,
            to_tags=_tags(row.to_state.tags),
            applied_before=frozenset(tuple(pair) for pair in row.applied_before),
            applied_after=None
            if row.applied_after is None
            else frozenset(tuple(pair) for pair in row.applied_after),
            steps=tuple(row.steps),
            performed_by=row.performed_by,
            started_at=row.started_at,
            finished_at=row.finished_at,
            result=row.result,
            error=row.error,
            run=row.run_id,
        )


def _tags(value: Any) -> tuple[str, ...]:
    """Tags as stored, or none when the row was damaged by hand."""
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return tuple(value)
    return ()


def rollbacks(using: str = DEFAULT_DB_ALIAS) -> list[RollbackRecord]:
    """Every rollback run on the database alias `using`, oldest first."""
    from .models import Rollback

    require_tables(using)
    rows = (
        Rollback.objects.using(using)
        .filter(database=using)
        .select_related("from_state", "to_state")
        .order_by("started_at", "id")
    )
    return [RollbackRecord.from_model(row) for row in rows]


def rollback(
    target: SavedState,
    *,
    using: str = DEFAULT_DB_ALIAS,
    performed_by: str | None = None,
    progress_callback: Callable[..., Any] | None = None,
    lock_timeout: float | None = None,
) -> RollbackRecord:
    """Bring the database `using` to the exact applied set of the saved state `target`.

    Everything is checked before the first statement (an interrupted run nobody resolved,
    migrations and apps the code no longer has, irreversible steps), under the migration
    advisory lock. The rollback is recorded as an event and in core's run journal, the
    target comes into force in the release lineage, newer states are kept (so rolling
    forward again works), and rows changed by its migrations carry history context when
    ``tidemark_history`` is installed.

    Args:
        target: The state to restore (from `find_state` or `saved_states`).
        using: The database alias.
        performed_by: Who runs it; default ``user@host``.
        progress_callback: Receives Django's executor events (see `tidemark_core.execute`).
        lock_timeout: Seconds to wait for the migration lock (default: the setting).

    Returns:
        The recorded rollback (``result == "succeeded"``).

    Raises:
        InterruptedRun: An earlier run was interrupted and is unresolved; nothing ran.
        PlanError: The target cannot be reached with this code; nothing was changed.
        IrreversibleStepsError: A migration to unapply is irreversible; nothing was changed.
        LockNotAcquired: Another deploy or rollback holds the lock.
        SessionLost: The session holding the lock was lost; the rollback stopped at once
            and its journal entry stays open for the next run to report.
        Exception: What a migration raised; the rollback is recorded as failed with the
            applied set at that point.
    """
    from .models import Rollback

    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout) as lock:
        planned = plan_rollback(target, using=using)
        planned.check()
        source = planned.source
        opened = OpenRun.begin(
            planned.plan,
            lock=lock,
            command="rollback_migrations",
            release=target.commit,
            performed_by=performed_by,
        )
        row = Rollback.objects.using(using).create(
            database=using,
            from_state_id=source.id if source is not None else None,
            to_state_id=target.id,
            applied_before=[list(key) for key in sorted(planned.plan.current)],
            steps=planned.describe(),
            performed_by=performed_by or default_performer(),
            run_id=opened.id,
        )
        context = {"command": "rollback_migrations", "release": target.commit}
        if source is not None:
            context["rollback_from"] = source.commit

        def failed(text: str) -> None:
            finish_rollback(row, Rollback.Result.FAILED, applied_migrations(using), text)

        with opened.failures(also=failed), history_context(**context, database=using):
            after = execute(
                planned.plan,
                progress_callback=progress_callback,
                lock_timeout=timeout,
                exact_replacements=True,
                run=opened,
            )
        with transaction.atomic(using=using):
            finish_rollback(row, Rollback.Result.SUCCEEDED, after, "")
            enter(lineage_model(), using, using, target.id, "rolled back", rollback_id=row.pk)
            opened.finish(SUCCEEDED, release=target.commit)
    return RollbackRecord.from_model(row)


def finish_rollback(row: Rollback, result: str, applied: frozenset[Key], error: str) -> None:
    row.result = result
    row.applied_after = [list(key) for key in sorted(applied)]
    row.finished_at = timezone.now()
    row.error = error
    row.save(using=row.database, update_fields=["result", "applied_after", "finished_at", "error"])
