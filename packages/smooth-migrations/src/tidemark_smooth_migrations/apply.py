"""`apply_migrations`: apply like ``migrate``, and restore the starting state on any failure."""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder

from tidemark_core import (
    MIGRATION_LOCK,
    IrreversibleStepsError,
    Key,
    Plan,
    PlanError,
    Step,
    advisory_lock,
    applied_migrations,
    execute,
    history_context,
)

from .exceptions import ApplyMigrationsError

Callback = Callable[..., Any]
"""``callback(action, migration=None, fake=False, **extra)``: Django's executor events
(``"apply_start"``, ``"apply_success"``, ``"unapply_start"``, ``"unapply_success"``) and
these: ``"run_start"`` (``plan=``), ``"apply_failed"`` / ``"unapply_failed"`` (with the
migration), ``"rollback_start"`` (``error=`` the error as text), ``"rollback_failed"``
(``error=``)."""


class _Interrupted(KeyboardInterrupt):
    """Raised by the SIGINT/SIGTERM handler.

    A KeyboardInterrupt, so psycopg cancels the running statement on the server first.
    """


@dataclass
class ApplyResult:
    """What `apply_migrations` did or, with ``dry_run``, would do.

    Attributes:
        using: The database alias.
        start: The applied set before the run.
        target: The applied set the run aimed at.
        plan: The forward plan.
        applied: The applied set afterwards.
        failed: ``app.name`` of the migration that failed, if one did.
        error: The error or interruption, as text, if any.
        traceback: Its traceback, if any.
        rolled_back: The labels of the steps undone by the rollback, in order.
        left_applied: What stays applied that was not applied at the start (irreversible
            steps run with ``allow_irreversible``, or a failed rollback).
        partial: For a failed non-atomic migration: its operations, of which those before
            the error stay in the database (Django does not record the migration).
    """

    using: str
    start: frozenset[Key]
    target: frozenset[Key]
    plan: Plan
    applied: frozenset[Key] = frozenset()
    failed: str | None = None
    error: str | None = None
    traceback: str | None = None
    rolled_back: list[str] = field(default_factory=list)
    left_applied: frozenset[Key] = frozenset()
    partial: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""

        def labels(keys: frozenset[Key]) -> list[str]:
            return [f"{app}.{name}" for app, name in sorted(keys)]

        return {
            "database": self.using,
            "plan": self.plan.describe(),
            "irreversible": [step.label for step in self.plan.irreversible_steps()],
            "ok": self.error is None,
            "failed": self.failed,
            "error": self.error,
            "rolled_back": self.rolled_back,
            "left_applied": labels(self.left_applied),
            "partial": self.partial,
            "applied": labels(self.applied),
        }


def target_applied_set(
    app_label: str | None = None,
    migration_name: str | None = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> frozenset[Key]:
    """The applied set ``migrate [app_label] [migration_name]`` would leave behind.

    Raises:
        PlanError: The app is not installed or has no migrations, the name matches no
            migration or several, the graph has conflicts, or the recorded history is
            inconsistent.
    """
    connection = connections[using]
    executor = MigrationExecutor(connection)
    loader = executor.loader
    try:
        loader.check_consistent_history(connection)
    except Exception as error:  # InconsistentMigrationHistory
        raise PlanError(str(error)) from error
    conflicts = loader.detect_conflicts()
    if conflicts:
        names = "; ".join(f"{', '.join(found)} in {app}" for app, found in conflicts.items())
        raise PlanError(
            f"Conflicting migrations detected ({names}). "
            "Run 'python manage.py makemigrations --merge' first."
        )
    if app_label is not None and app_label not in loader.migrated_apps:
        raise PlanError(f"App {app_label!r} is not installed or has no migrations.")
    if app_label is not None and migration_name is not None:
        if migration_name == "zero":
            targets: list[tuple[str, str | None]] = [(app_label, None)]
        else:
            try:
                migration = loader.get_migration_by_prefix(app_label, migration_name)
            except AmbiguityError as error:
                raise PlanError(
                    f"More than one migration matches {migration_name!r} in app "
                    f"{app_label!r}; give more of its name."
                ) from error
            except KeyError as error:
                raise PlanError(
                    f"No migration of app {app_label!r} matches {migration_name!r}."
                ) from error
            target: Key = (app_label, migration.name)
            if target not in loader.graph.nodes and target in loader.replacements:
                target = loader.replacements[target].replaces[-1]
            targets = [target]
    elif app_label is not None:
        targets = [key for key in loader.graph.leaf_nodes() if key[0] == app_label]
    else:
        targets = list(loader.graph.leaf_nodes())
    result = set(applied_migrations(using))
    for migration, backwards in executor.migration_plan(targets):
        keys = {(migration.app_label, migration.name), *migration.replaces}
        if backwards:
            result -= keys
        else:
            result |= keys
    return frozenset(result)


def apply_migrations(
    app_label: str | None = None,
    migration_name: str | None = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
    allow_irreversible: bool = False,
    dry_run: bool = False,
    progress_callback: Callback | None = None,
    lock_timeout: float = 60.0,
) -> ApplyResult:
    """Migrate like ``migrate``; on any failure, SIGINT or SIGTERM, restore the start.

    The migration advisory lock is held for the whole run, rollback included, so two
    deploys cannot interleave. Before the first statement the plan is checked: a step that
    could not be undone refuses the run unless `allow_irreversible`. When a migration
    fails or the process is interrupted, every migration the run applied is unapplied (and
    any it unapplied is applied again) until the applied set equals the one it started
    from; a second signal during that rollback is deferred until it ends.

    Args:
        app_label: Migrate only this app (and what it depends on), as ``migrate`` does.
        migration_name: With `app_label`: the target migration (a prefix), or ``zero``.
        using: The database alias.
        allow_irreversible: Run even when a step could not be undone. On failure, the
            rollback then stops at the last irreversible step, which stays applied.
        dry_run: Build and check the plan, change nothing.
        progress_callback: Receives progress events (see `Callback`).
        lock_timeout: Seconds to wait for another deploy's migration lock.

    Returns:
        What was done (or planned).

    Raises:
        IrreversibleStepsError: The plan holds steps that could not be undone; nothing ran.
        PlanError: The target cannot be worked out (see `target_applied_set`); nothing ran.
        LockNotAcquired: Another process holds the migration lock; nothing ran.
        ApplyMigrationsError: A migration failed or the run was interrupted; the original
            error is its ``__cause__`` and its ``result`` says what was rolled back.
    """
    notify = progress_callback or (lambda *args, **kwargs: None)
    with (
        history_context(command="apply_migrations", database=using),
        advisory_lock(MIGRATION_LOCK, using=using, timeout=lock_timeout),
        _signals_raise() as defer_signals,
    ):
        had_table = MigrationRecorder(connections[using]).has_table()
        start = applied_migrations(using)
        target = target_applied_set(app_label, migration_name, using=using)
        plan = Plan.build(target, using=using)
        result = ApplyResult(using, start, target, plan, applied=start)
        irreversible = [step for step in plan.forwards if step.irreversible]
        if irreversible and not allow_irreversible:
            raise IrreversibleStepsError(
                "These migrations could not be undone if a later one failed, so nothing was "
                "applied:\n- "
                + "\n- ".join(step.describe() for step in irreversible)
                + "\nGive their RunPython a reverse_code (RunPython.noop when there is nothing "
                "to undo) or their RunSQL a reverse_sql, or pass --allow-irreversible to "
                "accept that a failure after them cannot be fully rolled back.",
                tuple(irreversible),
            )
        if dry_run:
            return result
        tracker = _Tracker(notify)
        notify("run_start", plan=plan)
        try:
            result.applied = execute(plan, progress_callback=tracker, lock_timeout=lock_timeout)
        except PlanError:
            raise  # execute() checks before the first statement: nothing changed
        except (Exception, KeyboardInterrupt) as error:
            with defer_signals():
                _fail(result, error, tracker, notify, lock_timeout)
                if not had_table and not result.applied:
                    _drop_recorder_table(using)
            raise ApplyMigrationsError(_message(result), result) from error
    return result


class _Tracker:
    """Passes Django's events on and remembers the step that is running."""

    def __init__(self, notify: Callback) -> None:
        self.notify = notify
        self.running: tuple[Migration, bool] | None = None

    def __call__(self, action: str, migration: Migration | None = None, fake: bool = False) -> None:
        if action in ("apply_start", "unapply_start") and migration is not None:
            self.running = (migration, action == "unapply_start")
        elif action in ("apply_success", "unapply_success"):
            self.running = None
        self.notify(action, migration, fake)


def _fail(
    result: ApplyResult,
    error: BaseException,
    tracker: _Tracker,
    notify: Callback,
    lock_timeout: float,
) -> None:
    """Record the error, then restore the start (or as close as irreversible steps allow)."""
    using = result.using
    if isinstance(error, KeyboardInterrupt):
        result.error = f"Interrupted by {error.args[0] if error.args else 'SIGINT'}."
    else:
        result.error = f"{type(error).__name__}: {error}"
    result.traceback = "".join(traceback.format_exception(error))
    if tracker.running is not None:
        migration, backwards = tracker.running
        result.failed = f"{migration.app_label}.{migration.name}"
        notify("unapply_failed" if backwards else "apply_failed", migration)
        if not migration.atomic:
            result.partial = [operation.describe() for operation in migration.operations]
    tracker.running = None
    _close_broken_connection(using)
    goal = _reachable_start(result)
    notify("rollback_start", error=result.error)
    try:
        restore = Plan.build(goal, using=using)
        for step in restore.steps:
            result.rolled_back.append(step.describe())
        execute(restore, progress_callback=tracker, lock_timeout=lock_timeout)
    except (Exception, KeyboardInterrupt) as rollback_error:  # noqa: BLE001 - reported
        result.error += f"\nThe rollback failed too: {type(rollback_error).__name__}: "
        result.error += str(rollback_error)
        notify("rollback_failed", error=f"{type(rollback_error).__name__}: {rollback_error}")
    result.applied = applied_migrations(using)
    result.left_applied = result.applied - result.start


def _reachable_start(result: ApplyResult) -> frozenset[Key]:
    """The start, except what the rollback may not undo: irreversible steps and their past."""
    now = applied_migrations(result.using)
    forwards: list[Step] = list(result.plan.forwards)
    last = max(
        (i for i, step in enumerate(forwards) if step.irreversible and step.key in now),
        default=None,
    )
    if last is None:
        return result.start
    kept: set[Key] = set()
    for step in forwards[: last + 1]:
        if step.key in now:
            kept |= {step.key, *step.migration.replaces}
    return frozenset(result.start | kept)


def _drop_recorder_table(using: str) -> None:
    """On a database that was empty, the rollback leaves no django_migrations table either."""
    connection = connections[using]
    with connection.schema_editor() as editor:
        editor.delete_model(MigrationRecorder.Migration)


def _close_broken_connection(using: str) -> None:
    connection = connections[using]
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def _message(result: ApplyResult) -> str:
    where = f" in {result.failed}" if result.failed else ""
    text = f"apply_migrations failed{where} on database {result.using!r}: {result.error}"
    if result.left_applied:
        names = ", ".join(f"{app}.{name}" for app, name in sorted(result.left_applied))
        text += f"\nThese stay applied and could not be rolled back: {names}."
    elif result.applied == result.start:
        text += "\nThe applied migrations were restored to the state before the run."
    if result.partial:
        text += (
            f"\n{result.failed} is not atomic: the operations it ran before the error stay "
            "in the database, though it is not recorded as applied. Its operations:\n- "
            + "\n- ".join(result.partial)
        )
    return text


@contextmanager
def _signals_raise() -> Iterator[Callable[[], Any]]:
    """Turn SIGINT and SIGTERM into `_Interrupted`; yields a context that ignores them.

    The rollback runs inside that context: a second signal must not stop it half-way.
    """
    deferring = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not deferring.is_set():
            raise _Interrupted(signal.Signals(signum).name)

    @contextmanager
    def deferred() -> Iterator[None]:
        deferring.set()
        try:
            yield
        finally:
            deferring.clear()

    if threading.current_thread() is not threading.main_thread():
        yield deferred  # signal handlers can only be installed from the main thread
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield deferred
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
