"""What `apply_migrations` does when a run fails: restore the start, say what happened."""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder

from tidemark_core import Key, Plan, Step, applied_migrations, execute

if TYPE_CHECKING:
    from .apply import ApplyResult

Callback = Callable[..., Any]
"""``callback(action, migration=None, fake=False, **extra)``: see `apply_migrations`."""


class Interrupted(KeyboardInterrupt):
    """Raised by the SIGINT/SIGTERM handler.

    A KeyboardInterrupt, so psycopg cancels the running statement on the server first.
    """


class Tracker:
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


def fail(
    result: ApplyResult,
    error: BaseException,
    tracker: Tracker,
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


def drop_recorder_table(using: str) -> None:
    """On a database that was empty, the rollback leaves no django_migrations table either."""
    connection = connections[using]
    with connection.schema_editor() as editor:
        editor.delete_model(MigrationRecorder.Migration)


def _close_broken_connection(using: str) -> None:
    connection = connections[using]
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def failure_message(result: ApplyResult) -> str:
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
def signals_raise() -> Iterator[Callable[[], Any]]:
    """Turn SIGINT and SIGTERM into `Interrupted`; yields a context that ignores them.

    The rollback runs inside that context: a second signal must not stop it half-way.
    """
    deferring = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not deferring.is_set():
            raise Interrupted(signal.Signals(signum).name)

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
