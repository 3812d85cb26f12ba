"""Deliver the active context to the database: only with data-changing statements.

An execute wrapper on every PostgreSQL connection prefixes a data-changing statement with
one ``SET LOCAL tidemark_history.context = '<uuid>'`` when a context is active. The
setting is transaction-local, so it is safe behind PgBouncer's transaction pooling, and
the prefix travels in the same round trip, so it also reaches the trigger in autocommit
mode (where each statement is its own transaction). Reads are never touched; no statement
is touched when no context is active; user parameters are never added to, so a ``%`` in
raw SQL without parameters keeps working. The context row itself is written by the same
prefix until its metadata is known to be committed on that database. Until the context
table exists (a database being migrated from scratch inside a context), statements pass
untouched and their events carry no context.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import is_psycopg3

from .context import _State, active_state

SETTING = "tidemark_history.context"
CONTEXT_TABLE = "tidemark_history_context"

_WRITE = re.compile(
    r"\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*(?:insert|update|delete|merge)\b", re.IGNORECASE
)
_WITH = re.compile(r"\s*with\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"\b(?:insert\s+into|update|delete\s+from|merge\s+into)\b", re.I)


def is_data_changing(sql: str) -> bool:
    """Whether `sql` is an INSERT, UPDATE, DELETE or MERGE (also behind a ``WITH``)."""
    if _WRITE.match(sql):
        return True
    return bool(_WITH.match(sql) and _WITH_WRITE.search(sql))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _prefix(state: _State, store: bool) -> str:
    if not store:
        # A utility statement: cheaper than a SELECT (no plan, no row sent back). In a
        # multi-statement query it belongs to the implicit transaction of the statement.
        return f"SET LOCAL {SETTING} = '{state.id}'; "
    set_config = f"set_config('{SETTING}', '{state.id}', true)"
    metadata = _literal(json.dumps(state.metadata, separators=(",", ":")))
    return (
        f"WITH _tidemark_context AS (INSERT INTO {CONTEXT_TABLE} (id, created_at, metadata)"
        f" VALUES ('{state.id}', now(), {metadata}::jsonb) ON CONFLICT (id) DO UPDATE"
        f" SET metadata = EXCLUDED.metadata"
        f" WHERE {CONTEXT_TABLE}.metadata IS DISTINCT FROM EXCLUDED.metadata)"
        f" SELECT {set_config}; "
    )


def _server_side_binding(connection: BaseDatabaseWrapper) -> bool:
    return bool(connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


def deliver_context(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """The execute wrapper: see the module docstring."""
    state = active_state()
    if state is None or not isinstance(sql, str) or not is_data_changing(sql):
        return execute(sql, params, many, context)
    connection: BaseDatabaseWrapper = context["connection"]
    alias = connection.alias
    if state.resolvers:
        state.refresh()
    version = state.version
    store = state.stored.get(alias) != version and not _pending_here(connection, state, version)
    if store and not _context_table_exists(connection):
        return execute(sql, params, many, context)
    prefix = _prefix(state, store)
    if many or (params is not None and _server_side_binding(connection)):
        # executemany() and prepared statements take one command: send the prefix on its
        # own, in the same transaction as the statement.
        with transaction.atomic(using=alias, savepoint=False):
            with connection.cursor() as cursor:
                cursor.cursor.execute(prefix)  # the raw cursor: no recursion
            result = execute(sql, params, many, context)
    else:
        if params is not None:
            prefix = prefix.replace("%", "%%")
        result = execute(prefix + sql, params, many, context)
        if is_psycopg3:
            context["cursor"].cursor.nextset()  # the statement's own result, not the prefix's
    if store:
        _mark_stored(connection, state, version)
    return result


_HAVE_CONTEXT_TABLE: weakref.WeakSet[Any] = weakref.WeakSet()
"""Database sessions known to see the context table (each asks once)."""


def _context_table_exists(connection: BaseDatabaseWrapper) -> bool:
    if connection.connection not in _HAVE_CONTEXT_TABLE:
        # A read, so this wrapper lets it through untouched.
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [CONTEXT_TABLE])
            if not cursor.fetchone()[0]:
                return False
        _HAVE_CONTEXT_TABLE.add(connection.connection)
    return True


def _mark_stored(connection: BaseDatabaseWrapper, state: _State, version: int) -> None:
    alias = connection.alias
    if not connection.in_atomic_block:
        if connection.get_autocommit():
            state.stored[alias] = version  # the statement was its own, committed transaction
        return
    if _pending_here(connection, state, version):
        return
    # Django replaces `run_on_commit` at every commit, rollback and savepoint rollback, so
    # its identity says "this transaction, and the row was not rolled back since".
    state.pending[alias] = (version, connection.run_on_commit)

    def committed() -> None:
        state.stored[alias] = max(state.stored.get(alias, 0), version)

    transaction.on_commit(committed, using=alias)


def _pending_here(connection: BaseDatabaseWrapper, state: _State, version: int) -> bool:
    pending = state.pending.get(connection.alias)
    return (
        connection.in_atomic_block
        and pending is not None
        and pending[0] == version
        and pending[1] is connection.run_on_commit
    )


def install(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """The ``connection_created`` receiver: add the wrapper to PostgreSQL connections."""
    if connection.vendor == "postgresql" and deliver_context not in connection.execute_wrappers:
        # First in the list, so a user's `execute_wrapper()` block still pops its own wrapper.
        connection.execute_wrappers.insert(0, deliver_context)
