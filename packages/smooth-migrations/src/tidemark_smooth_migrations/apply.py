"""`apply_migrations`: apply like ``migrate``, and restore the starting state on any failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder

from tidemark_core import (
    MIGRATION_LOCK,
    Key,
    OpenRun,
    Plan,
    TidemarkError,
    advisory_lock,
    applied_migrations,
    execute,
    history_context,
    integrations,
    migration_lock_timeout,
    refuse_irreversible,
    refuse_non_atomic,
    refuse_unresolved,
)
from tidemark_core.integrations import RecordedRelease, ReleaseRecorder, ReleaseRequest
from tidemark_core.journal import FAILED, ROLLED_BACK, SUCCEEDED
from tidemark_core.plan import REVERSE_ADVICE

from . import conf
from .exceptions import ApplyMigrationsError, ReleaseNotRecorded
from .lint.gate import refuse_unsafe
from .restore import (
    RESOLVE_ADVICE,
    Callback,
    Tracker,
    drop_recorder_table,
    fail,
    failure_message,
    lose_session,
    signals_raise,
)
from .target import target_applied_set


@dataclass(frozen=True)
class SaveRelease:
    """Record the release after a successful run (needs an app that records releases).

    Attributes:
        commit: The release's commit; None for the configured one or git ``HEAD``.
        tags: Tags to record besides the commit's git tags.
    """

    commit: str | None = None
    tags: Sequence[str] = ()


@dataclass
class ApplyResult:
    """What `apply_migrations` did or, with ``dry_run``, would do.

    Attributes:
        using: The database alias.
        start: The applied set before the run.
        target: The applied set the run aimed at.
        plan: The forward plan.
        applied: The applied set afterwards.
        atomic: Whether the plan ran (or would run) in one transaction.
        last_migration: The newest row of ``django_migrations`` before the run (what
            django-smooth-migrations names as "the last migration state"), if any.
        run: The id of the run in the run journal (``run #id``), once it started.
        refusal: For a dry run: why the real run would refuse to start (None: it would
            run).
        failed: ``app.name`` of the migration that failed, if one did.
        error: The error or interruption, as text, if any.
        traceback: Its traceback, if any.
        rolled_back: The labels of the steps undone by the rollback, in order.
        left_applied: What stays applied that was not applied at the start (irreversible
            steps run with ``allow_irreversible``, or a failed rollback).
        partial: For a failed non-atomic migration: its operations, of which those before
            the error stay in the database (Django does not record the migration).
        session_lost: The run lost its database session, and with it the migration lock:
            it stopped at once, without a rollback; the journal keeps the run open.
        retries: The lock timeouts met and tried again: one dict per retry (migration,
            attempt, blockers).
        saved_release: The release recorded after the run, with `save_release`.
    """

    using: str
    start: frozenset[Key]
    target: frozenset[Key]
    plan: Plan
    applied: frozenset[Key] = frozenset()
    atomic: bool = False
    last_migration: Key | None = None
    run: int | None = None
    refusal: str | None = None
    failed: str | None = None
    error: str | None = None
    traceback: str | None = None
    rolled_back: list[str] = field(default_factory=list)
    left_applied: frozenset[Key] = frozenset()
    partial: list[str] = field(default_factory=list)
    session_lost: bool = False
    retries: list[dict[str, Any]] = field(default_factory=list)
    saved_release: RecordedRelease | None = None

    @property
    def ok(self) -> bool:
        """Whether the run succeeded (or, for a dry run, would start)."""
        return self.error is None and self.refusal is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""

        def labels(keys: frozenset[Key]) -> list[str]:
            return [f"{app}.{name}" for app, name in sorted(keys)]

        data: dict[str, Any] = {
            "ok": self.ok,
            "database": self.using,
            "run": self.run,
            "atomic": self.atomic,
            "plan": self.plan.describe(),
            "irreversible": [step.label for step in self.plan.irreversible_steps()],
            "refused": self.refusal is not None,
            "failed": self.failed,
            "error": self.error if self.error is not None else self.refusal,
            "session_lost": self.session_lost,
            "rolled_back": self.rolled_back,
            "left_applied": labels(self.left_applied),
            "partial": self.partial,
            "retries": self.retries,
            "applied": labels(self.applied),
        }
        if self.saved_release is not None:
            data["saved_state"] = {
                "commit": self.saved_release.commit,
                "tags": list(self.saved_release.tags),
                "outcome": self.saved_release.outcome,
            }
        return data


def apply_migrations(
    app_label: str | None = None,
    migration_name: str | None = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
    allow_irreversible: bool = False,
    atomic: bool = False,
    dry_run: bool = False,
    progress_callback: Callback | None = None,
    lock_timeout: float | None = None,
    save_release: SaveRelease | None = None,
    lint: bool = False,
) -> ApplyResult:
    """Migrate like ``migrate``; on any failure, SIGINT or SIGTERM, restore the start.

    The migration advisory lock is held for the whole run, rollback included, so two
    deploys cannot interleave. The run is recorded in core's run journal before its first
    step and closed at its end; while an earlier run is interrupted (kill -9, a power cut,
    a lost session) and unresolved, nothing runs (see `resolve_run`). Before the first
    statement the plan is checked: a step that could not be undone refuses the run unless
    `allow_irreversible` or `atomic`. When a migration fails or the process is
    interrupted, every migration the run applied is unapplied (and any it unapplied is
    applied again) until the applied set equals the one it started from; a second signal
    during that rollback is deferred until it ends. A run that loses its database session
    loses the lock with it: it stops at once, without a rollback.

    Every statement runs with the lock and statement timeouts of the settings (see
    `conf.statement_limits`); an atomic migration that hits the lock timeout is tried
    again after a pause, and the sessions it waits for are reported as ``"lock_wait"``
    events.

    Args:
        app_label: Migrate only this app (and what it depends on), as ``migrate`` does.
        migration_name: With `app_label`: the target migration (a prefix), or ``zero``.
        using: The database alias.
        allow_irreversible: Run even when a step could not be undone. On failure, the
            rollback then stops at the last irreversible step, which stays applied.
        atomic: Run the whole plan in one transaction (every migration in it must be
            atomic): a failure or an interruption, even kill -9, then leaves the start as
            it was. Locks are held until the end of the plan.
        dry_run: Build and check the plan, change nothing; `ApplyResult.refusal` says
            why the real run would refuse to start.
        progress_callback: Receives progress events (see `Callback`).
        lock_timeout: Seconds to wait for another deploy's migration lock (default: the
            setting ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``).
        save_release: After a successful run, record the release under the same lock
            (with tidemark_migration_state installed). It is checked before anything runs.
        lint: Lint the migrations the plan applies, as one release (see
            `lint_migrations`), and refuse the run when the linter finds an error.

    Returns:
        What was done (or planned).

    Raises:
        InterruptedRun: An earlier run was interrupted and is unresolved; nothing ran.
        IrreversibleStepsError: The plan holds steps that could not be undone; nothing ran.
        PlanError: The target cannot be worked out (see `target_applied_set`), or
            `atomic` was asked for a non-atomic migration; nothing ran.
        LockNotAcquired: Another process holds the migration lock; nothing ran.
        UnsafeMigrationsError: With `lint`, the linter found errors; nothing ran.
        ReleaseNotRecorded: `save_release` cannot be honoured (nothing ran), or saving
            failed after a successful run (the message says how to save by hand).
        ApplyMigrationsError: A migration failed, the run was interrupted or it lost its
            session; the original error is its ``__cause__`` and its ``result`` says what
            was rolled back.
    """
    notify = progress_callback or (lambda *args, **kwargs: None)
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    recording = _prepare_release(save_release, using, (app_label, migration_name), dry_run)
    with (
        history_context(command="apply_migrations", database=using),
        advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout) as lock,
        signals_raise() as defer_signals,
    ):
        refuse_unresolved(using, advice=RESOLVE_ADVICE)
        result = _planned(app_label, migration_name, using, atomic)
        result.refusal = _refusal(result, allow_irreversible, lint, raising=not dry_run)
        if dry_run:
            return result
        run = OpenRun.begin(result.plan, lock=lock, command="apply_migrations", atomic=atomic)
        result.run = run.id
        _run(result, run, notify, timeout, defer_signals)
        release = ""
        try:
            if recording is not None:
                result.saved_release = _record_release(*recording)
                release = result.saved_release.commit
        finally:
            run.finish(SUCCEEDED, release=release)
    return result


def _planned(
    app_label: str | None, migration_name: str | None, using: str, atomic: bool
) -> ApplyResult:
    """The run's start, target and plan, read under the lock."""
    recorder = MigrationRecorder(connections[using])
    last = None
    if recorder.has_table():
        row = recorder.migration_qs.order_by("-id").first()
        last = (row.app, row.name) if row is not None else None
    start = applied_migrations(using)
    target = target_applied_set(app_label, migration_name, using=using)
    plan = Plan.build(target, using=using)
    return ApplyResult(using, start, target, plan, start, atomic=atomic, last_migration=last)


def _refusal(
    result: ApplyResult, allow_irreversible: bool, lint: bool, *, raising: bool
) -> str | None:
    """Why the run must not start (raised, or returned for a dry run), or None."""
    try:
        if result.atomic:
            # One transaction undoes even irreversible steps, but needs atomic migrations.
            refuse_non_atomic(result.plan.steps)
        elif not allow_irreversible:
            refuse_irreversible(
                result.plan.forwards,
                reason="These migrations could not be undone if a later one failed, so "
                "nothing was applied",
                advice=f"{REVERSE_ADVICE}, or pass --allow-irreversible to accept that a "
                "failure after them cannot be fully rolled back (or --atomic, to run the "
                "plan in one transaction).",
            )
        if lint:
            # Every statement of the run gets the lock timeout of the settings (PG100).
            timeout = conf.statement_limits().lock_timeout is not None
            refuse_unsafe(result.plan, result.using, lock_timeout=timeout)
    except TidemarkError as error:
        if raising:
            raise
        return str(error)
    return None


def _run(
    result: ApplyResult,
    run: OpenRun,
    notify: Callback,
    timeout: float,
    defer_signals: Callable[[], AbstractContextManager[Any]],
) -> None:
    """Execute the plan; on failure, restore the start and raise `ApplyMigrationsError`."""
    using, lock = result.using, run.lock
    had_table = MigrationRecorder(connections[using]).has_table()
    tracker = Tracker(notify, result)
    notify("run_start", plan=result.plan)
    limits = conf.statement_limits()
    try:
        result.applied = execute(
            result.plan,
            progress_callback=tracker,
            lock_timeout=timeout,
            run=run,
            limits=limits,
            atomic=result.atomic,
        )
    except (Exception, KeyboardInterrupt) as error:
        if not lock.held():
            lose_session(result, error, tracker, notify)
        else:
            with defer_signals():
                fail(result, error, tracker, notify, timeout, run, limits)
                if not had_table and not result.applied and not result.session_lost:
                    drop_recorder_table(using)
            status = FAILED if result.left_applied else ROLLED_BACK
            run.finish(status, error=failure_message(result))
        raise ApplyMigrationsError(failure_message(result), result) from error


def _prepare_release(
    save: SaveRelease | None,
    using: str,
    migrating: tuple[str | None, str | None],
    dry_run: bool,
) -> tuple[ReleaseRecorder, ReleaseRequest, str] | None:
    """The recorder, request and commit to record after the run, checked before it starts."""
    if save is None:
        return None
    if dry_run:
        raise ReleaseNotRecorded("A release is recorded after applying; a dry run applies nothing.")
    recorder = integrations.release_recorder()
    if recorder is None:
        raise ReleaseNotRecorded(
            "Saving the release state needs tidemark_migration_state in INSTALLED_APPS "
            "(pip install django-tidemark-migration-state)."
        )
    request = ReleaseRequest(using, save.commit, tuple(save.tags), *migrating)
    try:
        commit = recorder.prepare(request)
    except TidemarkError as error:
        raise ReleaseNotRecorded(f"{error} Nothing was applied.") from error
    return recorder, request, commit


def _record_release(
    recorder: ReleaseRecorder, request: ReleaseRequest, commit: str
) -> RecordedRelease:
    try:
        return recorder.record(request, commit)
    except (TidemarkError, DatabaseError) as error:
        raise ReleaseNotRecorded(
            f"The migrations were applied, but the release state was not saved: {error} "
            f"Save it with: manage.py save_migrations_state --commit {commit} "
            f"--database {request.using}"
        ) from error
