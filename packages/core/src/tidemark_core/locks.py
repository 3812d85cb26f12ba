"""Advisory locks across processes and hosts, `lock_timeout`, and retrying on lock timeouts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, Error, OperationalError, connections, transaction

from .exceptions import LockNotAcquired
from .postgres import require_postgresql

T = TypeVar("T")

MIGRATION_LOCK = "tidemark.migrations"
"""The advisory lock held while migrations run, shared by every Tidemark command."""

LOCK_NOT_AVAILABLE = "55P03"
"""SQLSTATE of ``lock_not_available``, raised when ``lock_timeout`` fires."""

_POLL_INTERVAL = 0.05


def _fetch_value(using: str, sql: str, params: Sequence[Any] = ()) -> Any:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _undo(using: str, sql: str, params: Sequence[Any]) -> None:
    """Undo session state set for a block, unless the connection is closed or broken.

    A closed connection took its session state with it; a broken transaction must be rolled
    back by its owner, which ends the block's changes to transaction state anyway; a
    connection that broke (a terminated session) lost that state too.
    """
    connection = connections[using]
    if connection.connection is not None and not connection.needs_rollback:
        # A session that is gone took its state with it; the block's own error matters.
        with suppress(Error):
            _fetch_value(using, sql, params)


# pg_locks splits a bigint advisory key into two unsigned 32-bit halves.
_HOLDS = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1"
)


def _halves(key: int) -> list[int]:
    return [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF]


def _holder_pid(key: int, using: str) -> int | None:
    pid = _fetch_value(using, _HOLDS + " LIMIT 1", _halves(key))
    return None if pid is None else int(pid)


def lock_holders(name: str, *, using: str = DEFAULT_DB_ALIAS) -> frozenset[int]:
    """The backend PIDs holding the advisory lock `name` now."""
    key = int(_fetch_value(using, "SELECT hashtextextended(%s, 0)", [name]))
    with connections[using].cursor() as cursor:
        cursor.execute(_HOLDS, _halves(key))
        return frozenset(int(row[0]) for row in cursor.fetchall())


@dataclass(frozen=True)
class HeldLock:
    """An advisory lock held by one database session (what `advisory_lock` yields).

    Attributes:
        name: The lock's name.
        key: Its 64-bit key.
        using: The database alias.
        backend_pid: The PostgreSQL backend PID of the session holding it.
    """

    name: str
    key: int
    using: str
    backend_pid: int

    def held(self) -> bool:
        """Whether the session still holds the lock.

        False once the session is gone (terminated, the server restarted, the network
        broke): PostgreSQL released the lock with it, and Django would quietly open a new
        session without it. Nothing that needs the lock may run then.
        """
        connection = connections[self.using]
        if connection.connection is None:
            return False  # closed: a new connection would be a new session
        try:
            pid = _fetch_value(
                self.using, _HOLDS + " AND pid = pg_backend_pid()", _halves(self.key)
            )
        except Error:
            return False
        return bool(pid == self.backend_pid)


@contextmanager
def advisory_lock(
    name: str, *, using: str = DEFAULT_DB_ALIAS, timeout: float = 60.0
) -> Iterator[HeldLock]:
    """Hold the session-level PostgreSQL advisory lock `name` for the block.

    The lock is shared by every process and host connected to the same database, so it
    serialises deploys, rollbacks and loads. It is re-entrant on one connection. The block
    gets a `HeldLock`, whose `held()` tells whether the session still holds it.

    Args:
        name: Any string; it is hashed to PostgreSQL's 64-bit lock key.
        using: The database alias whose server holds the lock.
        timeout: Seconds to wait for the lock; 0 tries once.

    Raises:
        LockNotAcquired: The lock was not free within `timeout`; the error names the
            backend PID holding it.
    """
    require_postgresql(using, feature="advisory_lock()")
    key = int(_fetch_value(using, "SELECT hashtextextended(%s, 0)", [name]))
    deadline = time.monotonic() + timeout
    while not _fetch_value(using, "SELECT pg_try_advisory_lock(%s)", [key]):
        if time.monotonic() >= deadline:
            raise LockNotAcquired(name, timeout, _holder_pid(key, using))
        time.sleep(min(_POLL_INTERVAL, max(deadline - time.monotonic(), 0)))
    lock = HeldLock(name, key, using, int(_fetch_value(using, "SELECT pg_backend_pid()")))
    try:
        yield lock
    finally:
        # Only the session that took the lock can release it; a new session has nothing
        # to release.
        _undo(
            using,
            "SELECT pg_advisory_unlock(%s) WHERE pg_backend_pid() = %s",
            [key, lock.backend_pid],
        )


@contextmanager
def lock_timeout(seconds: float, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Set PostgreSQL's ``lock_timeout`` on the connection `using` for the block.

    A statement waiting longer than `seconds` for a lock fails with SQLSTATE 55P03 instead
    of queueing behind a long transaction and blocking every later query on the table.
    The previous value is restored afterwards.

    Args:
        seconds: The timeout; 0 disables it.
        using: The database alias.
    """
    require_postgresql(using, feature="lock_timeout()")
    previous = _fetch_value(using, "SELECT current_setting('lock_timeout')")
    _fetch_value(
        using, "SELECT set_config('lock_timeout', %s, false)", [f"{int(seconds * 1000)}ms"]
    )
    try:
        yield
    finally:
        _undo(using, "SELECT set_config('lock_timeout', %s, false)", [previous])


def is_lock_timeout(error: BaseException) -> bool:
    """Whether `error` (or its cause) is PostgreSQL's ``lock_not_available`` (55P03)."""
    for candidate in (error, error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code == LOCK_NOT_AVAILABLE:
            return True
    return False


def retry_on_lock_timeout(
    func: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 10.0,
    using: str = DEFAULT_DB_ALIAS,
    atomic: bool = True,
    on_retry: Callable[[int, float, BaseException], None] | None = None,
) -> T:
    """Call `func`, retrying when it fails on a lock timeout (SQLSTATE 55P03).

    Waits grow exponentially (``base_delay * 2**n``, capped at `max_delay`) with full
    jitter, so replicas that collided do not collide again.

    Args:
        func: The work; it is called again from scratch on each attempt.
        attempts: How many times to call it in all.
        base_delay: The first wait, in seconds.
        max_delay: The longest wait, in seconds.
        using: The database alias the work runs on.
        atomic: Run each attempt in ``transaction.atomic(using)`` (a savepoint inside an
            outer transaction), so a failed attempt leaves nothing behind. Pass False for
            work that cannot run in a transaction, such as ``CREATE INDEX CONCURRENTLY``.
        on_retry: Called with (attempt number, delay, error) before each wait.

    Returns:
        What `func` returned.

    Raises:
        ValueError: `attempts` is below 1.
        OperationalError: The last attempt's lock timeout, or any other error at once.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1.")
    for attempt in range(1, attempts + 1):
        try:
            if atomic:
                with transaction.atomic(using=using):
                    return func()
            return func()
        except OperationalError as error:
            if attempt == attempts or not is_lock_timeout(error):
                raise
            delay = random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))
            if on_retry is not None:
                on_retry(attempt, delay, error)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
