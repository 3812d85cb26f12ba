"""Run a migration `Plan` with Django's executor, under the migration advisory lock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState, StateApps

from .conf import migration_lock_timeout
from .exceptions import PlanError, SessionLost
from .guard import BlockerWatch, StatementLimits, statement_limits
from .journal import OpenRun
from .locks import MIGRATION_LOCK, HeldLock, advisory_lock, retry_on_lock_timeout
from .plan import Key, Plan, Step, applied_migrations, refuse_irreversible

ProgressCallback = Callable[..., Any]
"""Django's executor callback: ``callback(action, migration=None, fake=False, **extra)``.

Besides Django's events, a run with `StatementLimits` sends ``"lock_wait"`` (``blockers``:
the sessions a statement waits for) and ``"lock_retry"`` (``attempt``, ``attempts``,
``delay``, ``blockers``, ``error``: a lock timeout, and the next try after ``delay`` s).
"""

_SUCCESSES = ("apply_success", "unapply_success")


def execute(
    plan: Plan,
    *,
    progress_callback: ProgressCallback | None = None,
    lock_timeout: float | None = None,
    exact_replacements: bool = False,
    run: OpenRun | None = None,
    limits: StatementLimits | None = None,
    atomic: bool = False,
) -> frozenset[Key]:
    """Run `plan`: unapply its backwards steps, then apply its forwards steps.

    Everything is checked before the first statement: the database must still be in the
    state the plan was built from, and no backwards step may be irreversible. The
    migration advisory lock is held throughout, so two deploys cannot interleave, and
    before each step the run checks that its session still holds it. The ``pre_migrate``
    and ``post_migrate`` signals are sent as ``migrate`` sends them.

    Each atomic migration commits together with its row in ``django_migrations`` (and
    with its step in the run journal), so an interruption at any point leaves every step
    either done and recorded or not done at all.

    Args:
        plan: The plan from `Plan.build`.
        progress_callback: Receives Django's executor progress events
            (``"apply_start"``, ``"apply_success"``, ``"unapply_start"``, ...), each
            success once its step is committed, and the events of `limits`.
        lock_timeout: Seconds to wait for another process's migration lock (default: the
            setting ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``).
        exact_replacements: Also forget the rows of squashed migrations that are applied
            in full but absent from the requested target, so the applied set is exactly
            the one asked for (a release saved before the squash existed has no such row;
            Django records it again at the next ``migrate``). By default such rows stay.
        run: The run's journal entry (`tidemark_core.journal.OpenRun`): each step is
            recorded in it as it starts and completes.
        limits: Lock and statement timeouts for every statement, and how often a
            migration that hit the lock timeout is tried (see `StatementLimits`).
        atomic: Run the whole plan in one transaction: an error or an interruption then
            leaves the start untouched. Every migration of the plan must be atomic.

    Returns:
        The applied set afterwards (equal to ``plan.target``).

    Raises:
        IrreversibleStepsError: A backwards step cannot run; nothing was changed.
        PlanError: The database changed since the plan was built, or `atomic` was asked
            for a plan with a non-atomic migration; nothing was changed.
        LockNotAcquired: Another process holds the migration lock.
        SessionLost: The session holding the lock is gone; the run stopped at once.
        Exception: Whatever a migration raised; the steps before it stay applied (each
            atomic migration is all-or-nothing on its own), unless `atomic`.
    """
    refuse_irreversible(
        plan.backwards, reason="These migrations cannot be unapplied, so nothing was changed"
    )
    if atomic:
        refuse_non_atomic(plan.steps)
    using = plan.using
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout) as lock:
        if applied_migrations(using) != plan.current:
            raise PlanError(
                f"The migrations applied on {using!r} changed since the plan was made "
                "(another deploy ran?). Build the plan again."
            )
        executor = _GuardedExecutor(plan, lock, progress_callback, run, limits or StatementLimits())
        with executor.guarded(), transaction.atomic(using=using) if atomic else nullcontext():
            state = executor.run_plan()
            _record_replacements(plan, exact=exact_replacements)
            emit_post_migrate_signal(
                0, False, using, plan=executor.django_plan, apps=_final_apps(state)
            )
    return applied_migrations(using)


def refuse_non_atomic(steps: tuple[Step, ...]) -> None:
    """Refuse one transaction for `steps` when one of them cannot run in a transaction.

    Raises:
        PlanError: Names the non-atomic migrations; nothing was changed.
    """
    blocked = [step.label for step in steps if not step.migration.atomic]
    if blocked:
        raise PlanError(
            "The plan cannot run in one transaction: these migrations are not atomic "
            f"(atomic = False): {', '.join(blocked)}. Nothing was changed; run it without "
            "--atomic."
        )


class _GuardedExecutor(MigrationExecutor):
    """Django's executor, one guarded step at a time.

    Before each step: the session must still hold the migration lock. Each atomic step
    runs in a transaction of its own, which also holds the row Django records for it and
    its journal entry, and is tried again after a lock timeout.
    """

    def __init__(
        self,
        plan: Plan,
        lock: HeldLock,
        notify: ProgressCallback | None,
        run: OpenRun | None,
        limits: StatementLimits,
    ) -> None:
        super().__init__(connections[plan.using], self._relay)
        self.loader = plan.loader
        self.plan = plan
        self.lock = lock
        self.notify = notify or (lambda *args, **kwargs: None)
        self.run = run
        self.limits = limits
        self.watch: BlockerWatch | None = None
        self.succeeded: tuple[Any, ...] | None = None
        self.django_plan = [(step.migration, step.backwards) for step in plan.steps]

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """The statement limits and the blocker watch, for the whole run."""
        if not (self.limits.lock_timeout or self.limits.statement_timeout):
            yield
            return
        with ExitStack() as stack:
            stack.enter_context(statement_limits(self.plan.using, self.limits))
            watch = BlockerWatch(self.plan.using, self.lock.backend_pid, self.notify)
            self.watch = stack.enter_context(watch)
            yield

    def run_plan(self) -> ProjectState:
        """``pre_migrate``, the backwards phase, the forwards phase; the final state."""
        plan, using = self.plan, self.plan.using
        emit_pre_migrate_signal(0, False, using, plan=self.django_plan)
        state = None
        for phase in (plan.backwards, plan.forwards):
            if phase:
                plan.loader.refresh_applied()
                state = self.migrate([], plan=[(step.migration, step.backwards) for step in phase])
        if state is None:
            plan.loader.refresh_applied()
            graph = plan.loader.graph
            state = plan.loader.project_state(
                [key for key in plan.loader.applied_migrations if key in graph.nodes]
            )
        return state

    def _relay(
        self, action: str, migration: Migration | None = None, fake: bool | None = False
    ) -> None:
        # A success is reported once the step's transaction has committed (see _step).
        if action in _SUCCESSES:
            self.succeeded = (action, migration, fake)
        else:
            self.notify(action, migration, fake)

    def apply_migration(
        self,
        state: ProjectState,
        migration: Migration,
        fake: bool = False,
        fake_initial: bool = False,
    ) -> ProjectState:
        retried = self._attempts(migration) > 1
        return self._step(  # type: ignore[no-any-return]
            migration,
            "Apply",
            lambda: super(_GuardedExecutor, self).apply_migration(
                state.clone() if retried else state, migration, fake, fake_initial
            ),
        )

    def unapply_migration(
        self, state: ProjectState, migration: Migration, fake: bool = False
    ) -> ProjectState:
        # Django's unapply() leaves `state` as it is, so an attempt can start over with it.
        return self._step(  # type: ignore[no-any-return]
            migration,
            "Unapply",
            lambda: super(_GuardedExecutor, self).unapply_migration(state, migration, fake),
        )

    def _attempts(self, migration: Migration) -> int:
        return self.limits.attempts if self._atomic(migration) else 1

    def _atomic(self, migration: Migration) -> bool:
        return bool(migration.atomic and self.connection.features.can_rollback_ddl)

    def _step(self, migration: Migration, verb: str, work: Callable[[], Any]) -> Any:
        line = f"{verb} {migration.app_label}.{migration.name}"
        if not self.lock.held():
            raise SessionLost(
                f"The database session of this run on {self.plan.using!r} was lost before "
                f"{line}: it no longer holds the migration lock, so it stopped there. Its "
                "journal entry stays open, so the next run refuses to start until it is "
                "resolved with --recover or --resume."
            )
        if self.run is not None:
            self.run.step_started(line)

        def attempt() -> Any:
            if self.watch is not None:
                self.watch.reset()
            result = work()
            if self.run is not None:
                self.run.step_done(line)
            return result

        self.succeeded = None
        result = retry_on_lock_timeout(
            attempt,
            attempts=self._attempts(migration),
            base_delay=self.limits.base_delay,
            max_delay=self.limits.max_delay,
            using=self.plan.using,
            atomic=self._atomic(migration),
            on_retry=lambda number, delay, error: self._retrying(migration, number, delay, error),
        )
        self._report_success()
        return result

    def _report_success(self) -> None:
        succeeded, self.succeeded = self.succeeded, None
        assert succeeded is not None  # Django reports the success of every step it runs
        self.notify(*succeeded)

    def _retrying(
        self, migration: Migration, number: int, delay: float, error: BaseException
    ) -> None:
        self.notify(
            "lock_retry",
            migration,
            attempt=number + 1,
            attempts=self.limits.attempts,
            delay=delay,
            blockers=list(self.watch.latest) if self.watch is not None else [],
            error=str(error).strip().splitlines()[0],
        )


def _final_apps(state: ProjectState) -> StateApps:
    """The models as the migrations leave them, for ``post_migrate`` receivers, as ``migrate``.

    Receivers such as contenttypes' then see that a model whose migrations were unapplied is
    gone, instead of querying its dropped table.
    """
    state.clear_delayed_apps_cache()
    final = state.apps
    # Re-render the models of apps without migrations, with their relations, as migrate does.
    with final.bulk_update():
        keys = []
        for model_state in final.real_models:
            key = (model_state.app_label, model_state.name_lower)
            keys.append(key)
            final.unregister_model(*key)
    final.render_multiple([ModelState.from_model(global_apps.get_model(*key)) for key in keys])
    return final


def _record_replacements(plan: Plan, *, exact: bool) -> None:
    """Make the rows of squashed migrations agree with what stays applied.

    Django records a squashed migration once all it replaces is applied, but does not
    forget it when one of the replaced migrations is unapplied on its own: such rows are
    always forgotten. With `exact`, so are rows absent from the requested target.
    """
    recorder = MigrationRecorder(connections[plan.using])
    applied = recorder.applied_migrations()
    for key, migration in plan.loader.replacements.items():
        if key not in applied:
            continue
        partial = not all(name in applied for name in migration.replaces)
        if partial or (exact and key not in plan.requested):
            recorder.record_unapplied(*key)
