"""Lock-safe statements for migration runs: timeouts, and who blocks a statement that waits.

A migration that waits for a lock on a busy table queues every later query on that table
behind it. With `StatementLimits`, each statement of a run gets PostgreSQL's
``lock_timeout`` (and, optionally, ``statement_timeout``): a statement that waits too long
fails with SQLSTATE 55P03, and `tidemark_core.execute` tries that migration again after a
pause, while a `BlockerWatch` reports which sessions hold the lock and what they run.
Concurrent index builds and ``VALIDATE CONSTRAINT`` wait by design, so they run without
either timeout.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from django.db import Error, connections

EXEMPT = re.compile(r"\bCONCURRENTLY\b|\bVALIDATE\s+CONSTRAINT\b", re.IGNORECASE)
"""Statements that run without the timeouts: concurrent index builds and validations."""

_SETTINGS = ("lock_timeout", "statement_timeout")


@dataclass(frozen=True)
class StatementLimits:
    """How the statements of a run are limited.

    Attributes:
        lock_timeout: Seconds a statement may wait for a lock; None or 0: no limit.
        statement_timeout: Seconds a statement may run; None or 0: no limit.
        attempts: How many times an atomic migration is tried in all when a statement
            hits the lock timeout (a non-atomic one is tried once: what it did before the
            timeout stays).
        base_delay: The first pause before trying again, in seconds; it doubles with each
            attempt (capped at `max_delay`), with full jitter.
        max_delay: The longest pause, in seconds.
    """

    lock_timeout: float | None = None
    statement_timeout: float | None = None
    attempts: int = 1
    base_delay: float = 0.5
    max_delay: float = 10.0

    def values(self) -> dict[str, str]:
        """The PostgreSQL settings, e.g. ``{"lock_timeout": "2000ms", ...}`` (0: off)."""
        return {
            name: f"{int((seconds or 0) * 1000)}ms"
            for name, seconds in zip(
                _SETTINGS, (self.lock_timeout, self.statement_timeout), strict=True
            )
        }


@dataclass(frozen=True)
class Blocker:
    """A session holding a lock that a statement of the run waits for.

    Attributes:
        pid: Its backend PID.
        state: Its state (``active``, ``idle in transaction``, ...).
        query: Its current or last statement.
        seconds: How long its transaction has been open, when it has one.
    """

    pid: int
    state: str
    query: str
    seconds: float | None

    def describe(self) -> str:
        """``PID 4242 (idle in transaction for 12s): UPDATE shop_order SET ...``."""
        state = self.state or "state unknown"
        if self.seconds is not None:
            state += f" for {self.seconds:.0f}s"
        query = " ".join(self.query.split())
        if len(query) > 200:
            query = query[:199] + "…"
        return f"PID {self.pid} ({state}): {query or '(query not visible)'}"


def blocking_sessions(using: str, pid: int) -> list[Blocker]:
    """The sessions that the backend `pid` waits for, with what they run."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pid, coalesce(state, ''), coalesce(query, ''),"
            " extract(epoch FROM now() - xact_start)::float FROM pg_stat_activity"
            " WHERE pid = ANY(pg_blocking_pids(%s)) ORDER BY pid",
            [pid],
        )
        return [Blocker(int(p), s, q, None if t is None else float(t)) for p, s, q, t in cursor]


def _set(cursor: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


@contextmanager
def statement_limits(using: str, limits: StatementLimits) -> Iterator[None]:
    """Give the session of `using` the timeouts of `limits` for the block.

    Every statement the session runs gets them (``RunSQL`` and the queries of ``RunPython``
    included), except concurrent index builds and ``VALIDATE CONSTRAINT``, which run
    without. The previous values are restored afterwards.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in _SETTINGS))
        previous = dict(zip(_SETTINGS, cursor.fetchone(), strict=True))
        _set(cursor, limits.values())
    try:
        with connection.execute_wrapper(_exempt):
            yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            # A session that is gone took its settings with it.
            with suppress(Error), connection.cursor() as cursor:
                _set(cursor, previous)


def _exempt(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Run concurrent index builds and validations without the run's timeouts."""
    if not isinstance(sql, str) or not EXEMPT.search(sql):
        return execute(sql, params, many, context)
    raw = context["cursor"].cursor  # the driver's cursor: no wrappers, no recursion
    raw.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
    previous = dict(zip(_SETTINGS, raw.fetchone(), strict=True))
    _set(raw, dict.fromkeys(_SETTINGS, "0"))
    try:
        return execute(sql, params, many, context)
    finally:
        try:
            _set(raw, previous)
        except context["connection"].Database.Error:
            pass  # a failed transaction: its rollback restores them (or the session is gone)


class BlockerWatch:
    """Reports, while a step runs, which sessions hold the locks its statements wait for.

    A thread with a connection of its own asks ``pg_blocking_pids()`` every `interval`
    seconds about the run's session, and calls ``notify("lock_wait", blockers=[...])``
    whenever the set of blockers changes. `latest` keeps the blockers of the current step.

    Args:
        using: The database alias.
        backend_pid: The run's backend PID.
        notify: The progress callback.
        interval: Seconds between two looks.
    """

    def __init__(
        self, using: str, backend_pid: int, notify: Callable[..., Any], interval: float = 0.1
    ) -> None:
        self.using = using
        self.backend_pid = backend_pid
        self.notify = notify
        self.interval = interval
        self.latest: tuple[Blocker, ...] = ()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="tidemark-blockers", daemon=True)

    def __enter__(self) -> BlockerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Forget the blockers seen so far (a new step or attempt starts)."""
        self.latest = ()

    def _watch(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                found = tuple(blocking_sessions(self.using, self.backend_pid))
                if found and [b.pid for b in found] != [b.pid for b in self.latest]:
                    self.latest = found
                    self.notify("lock_wait", blockers=list(found))
        except Error:
            pass  # watching is a courtesy: the run goes on without it
        finally:
            with suppress(Error):
                connections[self.using].close()
