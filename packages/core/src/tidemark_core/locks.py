"""Advisory locks across processes and hosts, `lock_timeout`, and retrying on lock timeouts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from .exceptions import LockNotAcquired
from .postgres import require_postgresql

T = TypeVar("T")

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
    back by its owner, which ends the block's changes to transaction state anyway.
    """
    connection = connections[using]
    if connection.connection is not None and not connection.needs_rollback:
        _fetch_value(using, sql, params)


def _holder_pid(key: int, using: str) -> int | None:
    # pg_locks splits a bigint advisory key into two unsigned 32-bit halves.
    pid = _fetch_value(
        using,
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1 LIMIT 1",
        [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF],
    )
    return None if pid is None else int(pid)


@contextmanager
def advisory_lock(
    name: str, *, using: str = DEFAULT_DB_ALIAS, timeout: float = 60.0
) -> Iterator[None]:
    """Hold the session-level PostgreSQL advisory lock `name` for the block.

    The lock is shared by every process and host connected to the same database, so it
    serialises deploys, rollbacks and loads. It is re-entrant on one connection.

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
    try:
        yield
    finally:
        _undo(using, "SELECT pg_advisory_unlock(%s)", [key])


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
