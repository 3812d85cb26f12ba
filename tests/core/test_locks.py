"""advisory_lock, lock_timeout and retry_on_lock_timeout against real PostgreSQL sessions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from tidemark_core import (
    LockNotAcquired,
    NotPostgreSQL,
    advisory_lock,
    is_lock_timeout,
    lock_timeout,
    retry_on_lock_timeout,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second PostgreSQL session on the test database, like another process would have."""
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as session:
        yield session


def test_advisory_lock_timeout_names_the_lock_and_the_holder_pid(other_session) -> None:
    other_session.execute("SELECT pg_advisory_lock(hashtextextended('deploy', 0))")
    holder = other_session.info.backend_pid

    started = time.monotonic()
    with pytest.raises(LockNotAcquired) as error, advisory_lock("deploy", timeout=0.3):
        pytest.fail("the lock was taken while another session held it")

    assert time.monotonic() - started >= 0.3
    assert error.value.holder_pid == holder
    assert error.value.name == "deploy"
    assert f"backend PID {holder}" in str(error.value)
    assert "'deploy'" in str(error.value)


def test_advisory_lock_is_released_and_reentrant(other_session) -> None:
    with advisory_lock("deploy"), advisory_lock("deploy", timeout=0):
        taken = other_session.execute(
            "SELECT pg_try_advisory_lock(hashtextextended('deploy', 0))"
        ).fetchone()
        assert taken == (False,)

    taken = other_session.execute(
        "SELECT pg_try_advisory_lock(hashtextextended('deploy', 0))"
    ).fetchone()
    assert taken == (True,)


def test_advisory_lock_waits_for_a_holder_that_finishes(other_session) -> None:
    other_session.execute("SELECT pg_advisory_lock(hashtextextended('deploy', 0))")
    release = threading.Timer(0.3, lambda: other_session.execute("SELECT pg_advisory_unlock_all()"))
    release.start()
    try:
        with advisory_lock("deploy", timeout=5):
            waited = True
    finally:
        release.join()
    assert waited


def test_advisory_lock_needs_postgresql() -> None:
    with (
        pytest.raises(NotPostgreSQL, match=r"'lite' uses 'django\.db\.backends\.sqlite3'"),
        advisory_lock("x", using="lite"),
    ):
        pass  # pragma: no cover


def hold_table_lock(session: psycopg.Connection, seconds: float) -> threading.Thread:
    """Hold ACCESS EXCLUSIVE on a table for `seconds` in another session."""
    holding = threading.Event()

    def hold() -> None:
        with session.transaction():
            session.execute("LOCK TABLE auth_group IN ACCESS EXCLUSIVE MODE")
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    return thread


def test_lock_timeout_fails_fast_and_restores_the_previous_value(other_session) -> None:
    thread = hold_table_lock(other_session, 1.0)
    try:
        with (
            lock_timeout(0.1),
            pytest.raises(OperationalError) as error,
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT count(*) FROM auth_group")
        assert is_lock_timeout(error.value)
    finally:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("0",)


def test_retry_on_lock_timeout_retries_until_the_lock_is_free(other_session) -> None:
    thread = hold_table_lock(other_session, 0.6)
    attempts: list[int] = []

    def count_groups() -> int:
        attempts.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM auth_group")
            return int(cursor.fetchone()[0])

    try:
        with lock_timeout(0.1):
            result = retry_on_lock_timeout(count_groups, attempts=10, base_delay=0.2, max_delay=0.4)
    finally:
        thread.join()
    assert result == 0
    assert len(attempts) >= 2


def test_retry_on_lock_timeout_gives_up_after_the_last_attempt(other_session) -> None:
    thread = hold_table_lock(other_session, 1.5)
    retries: list[tuple[int, float]] = []

    def count_groups() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM auth_group")

    try:
        with lock_timeout(0.05), pytest.raises(OperationalError) as error:
            retry_on_lock_timeout(
                count_groups,
                attempts=3,
                base_delay=0.01,
                on_retry=lambda attempt, delay, _: retries.append((attempt, delay)),
            )
    finally:
        thread.join()
    assert is_lock_timeout(error.value)
    assert [attempt for attempt, _ in retries] == [1, 2]
    assert all(0 <= delay <= 0.01 * 2 ** (attempt - 1) for attempt, delay in retries)


def test_retry_on_lock_timeout_does_not_retry_other_errors() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(Exception, match="no_such_table"):
        retry_on_lock_timeout(broken, attempts=5)
    assert calls == [1]
    with pytest.raises(ValueError, match="at least 1"):
        retry_on_lock_timeout(broken, attempts=0)


def test_retry_without_atomic_runs_outside_a_transaction() -> None:
    def autocommit_state() -> bool:
        return connections["default"].get_autocommit()

    assert retry_on_lock_timeout(autocommit_state, atomic=False) is True
    assert retry_on_lock_timeout(autocommit_state) is False
