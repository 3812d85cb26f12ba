"""Deliver the active context to the database: only with data-changing statements.

An execute wrapper on every PostgreSQL connection sets the transaction-local setting
``tidemark_history.context`` before a data-changing statement when a context is active.
The setting carries the context's id and metadata; the capture triggers read the id and,
when they recorded events, write the ``tidemark_history_context`` row once (see
`tidemark_history.sql`). The user's statement is never rewritten: it reaches the database,
its errors, ``connection.queries`` and the ``django.db.backends`` log as written.

How the setting travels, so that it stays transaction-local (safe behind PgBouncer's
transaction pooling) and costs no extra round trip where it can be avoided:

- Inside ``transaction.atomic()``: once per transaction and value. Django replaces
  ``connection.run_on_commit`` at every commit, rollback and savepoint rollback (which
  also undo a ``set_config``), so its identity tells "still the transaction it was sent in".
- psycopg 3, otherwise: in pipeline mode, ``set_config`` and the statement in one round
  trip and one implicit transaction. Until the row is seen stored on that database (the
  trigger narrows the setting to the bare id; a read-back in the same pipeline tells), the
  setting carries the metadata; afterwards the bare id, which the triggers only read.
- psycopg2 in autocommit mode, and raw SQL without parameters (which may hold several
  statements, which pipeline mode refuses): ``BEGIN`` and ``set_config`` in one round trip,
  the statement, then ``COMMIT``: the statement stays its own transaction.

Reads are never touched, nor is anything when no context is active. Until the database
has the context functions (a database migrated from scratch inside a context),
statements pass untouched and their events carry no context.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import is_psycopg3

if is_psycopg3:
    import psycopg  # type: ignore[import-not-found, unused-ignore]

from .context import _current, _State, active_state

SETTING = "tidemark_history.context"
SET_CONTEXT = f"SELECT set_config('{SETTING}', %s, true)"
READ_SETTING = f"SELECT current_setting('{SETTING}', true)"
STORE_FUNCTION = "tidemark_history_store_context()"

_WRITE = re.compile(
    r"\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*(?:insert|update|delete|merge)\b", re.IGNORECASE
)
_WITH = re.compile(r"\s*with\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"\b(?:insert\s+into|update|delete\s+from|merge\s+into)\b", re.I)
_SENT = "_tidemark_history_sent"


def is_data_changing(sql: str) -> bool:
    """Whether `sql` is an INSERT, UPDATE, DELETE or MERGE (also behind a ``WITH``)."""
    if _WRITE.match(sql):
        return True
    return bool(_WITH.match(sql) and _WITH_WRITE.search(sql))


def deliver_context(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """The execute wrapper: see the module docstring."""
    if _current.get() is None or not isinstance(sql, str) or not is_data_changing(sql):
        return execute(sql, params, many, context)
    state = active_state()  # may run the lazy resolvers: after the cheap checks
    if state is None or not state.setting:  # a write made while the first lazy values load
        return execute(sql, params, many, context)
    connection: BaseDatabaseWrapper = context["connection"]
    if not _functions_exist(connection):
        return execute(sql, params, many, context)
    stored = connection.alias in state.stored
    value = state.bare if stored else state.setting

    def run() -> Any:
        return execute(sql, params, many, context)

    # Raw SQL without parameters may hold several statements, which pipeline mode (the
    # extended protocol) refuses: such a statement gets the setting in a command of its own.
    pipeline = is_psycopg3 and params is not None
    if connection.in_atomic_block and connection.commit_on_exit:
        previous = getattr(connection, _SENT, None)
        if (
            previous is not None
            and previous[0] is connection.connection
            and previous[1] is connection.run_on_commit
            and previous[2] == value
        ):
            return run()
        result = _with_setting(connection, value, run, pipeline)
        # The raw connection and the list are kept alive by this tuple, so `is` is safe.
        setattr(connection, _SENT, (connection.connection, connection.run_on_commit, value))
        return result
    learn = state if not stored and connection.get_autocommit() else None
    return _with_setting(connection, value, run, pipeline, learn)


def _with_setting(
    connection: BaseDatabaseWrapper,
    value: str,
    run: Callable[[], Any],
    pipeline: bool,
    learn: _State | None = None,
) -> Any:
    cursor = _raw_cursor(connection)
    statement = _set_context(connection, cursor, value)
    if pipeline:
        # One round trip, one (implicit, in autocommit mode) transaction. Errors surface
        # when the pipeline syncs, outside Django's own error translation: translate here.
        with connection.wrap_database_errors:
            with connection.connection.pipeline():
                cursor.execute(statement)
                result = run()
                if learn is not None:
                    # Whether a trigger stored the row (it narrowed the setting to the id):
                    # committed with the statement, so later ones send the id alone.
                    cursor.execute(READ_SETTING)
            if learn is not None and cursor.fetchone()[0] == learn.bare:
                learn.stored.add(connection.alias)
        return result
    if not connection.get_autocommit():  # inside a transaction already
        with connection.wrap_database_errors:
            cursor.execute(statement)
        return run()
    return _own_transaction(connection, cursor, statement, run)


_CURSOR = "_tidemark_history_cursor"
_STATEMENT = "_tidemark_history_statement"


def _raw_cursor(connection: BaseDatabaseWrapper) -> Any:
    """A raw cursor of the connection's session (no wrappers, nothing logged), kept."""
    kept = getattr(connection, _CURSOR, None)
    if kept is None or kept[0] is not connection.connection or kept[1].closed:
        # psycopg 3: a client-side binding cursor whatever Django's own cursors bind: no
        # server-side prepared statement (PgBouncer's transaction pooling may not support
        # them), and several commands in one execute work outside pipeline mode.
        raw = connection.connection
        kept = (raw, psycopg.ClientCursor(raw) if is_psycopg3 else raw.cursor())
        setattr(connection, _CURSOR, kept)
    return kept[1]


def _set_context(connection: BaseDatabaseWrapper, cursor: Any, value: str) -> bytes:
    """The ``set_config`` statement for `value`, quoted by the driver once per value.

    Sent without parameters, so neither the driver nor the server binds one at each
    statement: a block's statements all send the same value, quoted once.
    """
    kept: tuple[Any, str, bytes] | None = getattr(connection, _STATEMENT, None)
    if kept is None or kept[0] is not cursor or kept[1] != value:
        quoted = cursor.mogrify(SET_CONTEXT, [value])  # psycopg 3: str, psycopg2: bytes
        if isinstance(quoted, str):
            quoted = quoted.encode(cursor.connection.info.encoding)
        kept = (cursor, value, quoted)
        setattr(connection, _STATEMENT, kept)
    return kept[2]


def _own_transaction(
    connection: BaseDatabaseWrapper, cursor: Any, statement: bytes, run: Callable[[], Any]
) -> Any:
    """Autocommit mode without a pipeline: the statement in a transaction of its own."""
    with connection.wrap_database_errors:
        cursor.execute(b"BEGIN; " + statement)
        try:
            result = run()
        except BaseException:
            with contextlib.suppress(Exception):  # a lost connection has nothing to undo
                cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
    return result


_HAVE_FUNCTIONS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Database sessions known to see the context functions (each asks once)."""


def _functions_exist(connection: BaseDatabaseWrapper) -> bool:
    if connection.connection not in _HAVE_FUNCTIONS:
        # On a raw cursor: the user's queries and logs show only what the user ran.
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [STORE_FUNCTION])
            if not cursor.fetchone()[0]:
                return False
        _HAVE_FUNCTIONS.add(connection.connection)
    return True


def install(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """The ``connection_created`` receiver: add the wrapper to PostgreSQL connections."""
    if connection.vendor == "postgresql" and deliver_context not in connection.execute_wrappers:
        # First in the list, so a user's `execute_wrapper()` block still pops its own wrapper.
        connection.execute_wrappers.insert(0, deliver_context)
