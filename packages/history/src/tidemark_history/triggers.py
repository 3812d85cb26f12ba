"""Tidemark's triggers: rendered without pgtrigger's ignore check, installed by pgtrigger.

pgtrigger renders a ``_pgtrigger_should_ignore(TG_NAME)`` test into every trigger function,
so anyone who can run ``SET pgtrigger.ignore = '{...}'`` (every role) skips the trigger. A
history that a role can skip or erase that way is not a history: the capture and guard
triggers of Tidemark are `Trigger` instances, whose functions have no such test and run
with a search path that ends with ``pg_temp`` (a temporary table named like an event table
cannot catch the events). They are still pgtrigger triggers: registered on the model,
written into migrations by ``makemigrations`` and installed by ``migrate``.

The guard triggers (`guard_triggers()`) make a table append-only: ``UPDATE`` and
``DELETE`` are refused unless they run through the maintenance functions
(`tidemark_history.maintenance`), and ``TRUNCATE`` is refused to every role that does not
own the table.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, cast

import pgtrigger
from django.db import models
from pgtrigger import compiler, core

MAINTENANCE_SETTING = "tidemark_history.maintenance"
GUARD_TRIGGER = "append_only"
TRUNCATE_GUARD_TRIGGER = "append_only_truncate"

# What makes `search_path` safe for a function (the triggers', the context store): the
# schemas of the session that installs it (the migration's), then pg_temp, listed explicitly
# so that it is searched last instead of first. PostgreSQL stores the value with the
# function (SET ... FROM CURRENT).
SAFE_SEARCH_PATH = (
    "SELECT pg_catalog.set_config('search_path', pg_catalog.array_to_string(ARRAY("
    "SELECT pg_catalog.quote_ident(schema) FROM pg_catalog.unnest("
    "pg_catalog.current_schemas(false)) AS schema) || 'pg_temp'::text, ', '), true)"
)


class TriggerSql(compiler.UpsertTriggerSql):
    """The installation SQL of a Tidemark trigger (stable: migrations reference it).

    pgtrigger's template without the ignore function and its test; the function's search
    path is pinned, with ``pg_temp`` last. Do not edit this template: migrations that were
    written with it must keep installing the same SQL. A change needs a new class.
    """

    def get_template(self) -> str:
        return """
            SELECT pg_catalog.set_config(
                'tidemark_history.saved_search_path',
                pg_catalog.current_setting('search_path'),
                true
            );
            {safe_search_path};

            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql SET search_path FROM CURRENT;

            SELECT pg_catalog.set_config(
                'search_path',
                pg_catalog.current_setting('tidemark_history.saved_search_path'),
                true
            );

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """

    def get_defaults(self, pgid: str) -> dict[str, str]:
        return {**super().get_defaults(pgid), "safe_search_path": SAFE_SEARCH_PATH}


class Trigger(pgtrigger.Trigger):
    """A pgtrigger trigger whose function `pgtrigger.ignore()` cannot skip."""

    def compile(self, model: Any) -> compiler.Trigger:
        return compiler.Trigger(
            name=self.name,
            sql=TriggerSql(
                pgid=self.get_pgid(model),
                declare=self.render_declare(model),
                func=self.render_func(model),
                table=model._meta.db_table,
                constraint="CONSTRAINT" if self.timing else "",
                when=self.when,
                operation=self.operation,
                timing=f"DEFERRABLE INITIALLY {self.timing}" if self.timing else "",
                referencing=self.referencing or "",
                level=self.level,
                condition=self.render_condition(model),
                execute=self.render_execute(model),
            ),
        )


def function_source(compiled: compiler.Trigger) -> str:
    """The body PostgreSQL stores for a compiled trigger's function (``pg_proc.prosrc``)."""
    sql = str(compiled.sql)
    start = sql.index("AS $$") + len("AS $$")
    return sql[start : sql.index("$$", start)]


def trigger_name(label: str, suffix: str) -> str:
    """A trigger name for the tracker `label` of the event model `suffix`, unique per pair.

    The readable ``<label>_<suffix>`` when it fits pgtrigger's limit and its characters;
    otherwise a shortened form with a hash of both, so two long event model names that
    share a prefix never get the same trigger name.
    """
    name = f"{label}_{suffix}"
    limit = core.MAX_NAME_LENGTH - 4  # room for the guard's suffixes, as before
    if len(name) <= limit and re.fullmatch(r"[a-z0-9_]+", name):
        return name
    digest = hashlib.sha1(f"{label}\0{suffix}".encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9_]+", "_", name.lower())[: limit - len(digest) - 1]
    return f"{readable}_{digest}"


def _owner_of_table() -> str:
    return "(SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID)"


def _refuse(what: str) -> str:
    return (
        f"RAISE EXCEPTION 'History is append-only: {what} is refused.', TG_OP, TG_TABLE_NAME\n"
        "    USING ERRCODE = 'insufficient_privilege',\n"
        "    HINT = 'Recorded history is never changed or deleted. To prune or redact it, use "
        "tidemark_history.maintenance as a role allowed to (see the security page of the "
        "history docs).';"
    )


def guard_triggers() -> list[Trigger]:
    """The triggers that make a history table append-only (events, contexts).

    ``UPDATE`` and ``DELETE`` pass only while the maintenance setting names the table and
    the current role is (a member of) its owner: what the ``SECURITY DEFINER`` functions
    of `tidemark_history.maintenance` arrange. ``TRUNCATE`` passes only for the owner, who
    could drop the trigger anyway, and whom Django's test runner uses to empty tables.
    """
    owner = _owner_of_table()
    in_maintenance = (
        f"IF pg_catalog.current_setting('{MAINTENANCE_SETTING}', true) = TG_RELID::text\n"
        f"    AND pg_catalog.pg_has_role(current_user, {owner}, 'MEMBER') THEN\n"
        "    RETURN NULL;\n"
        "END IF;\n"
    )
    is_owner = (
        f"IF pg_catalog.pg_has_role(current_user, {owner}, 'MEMBER') THEN\n"
        "    RETURN NULL;\n"
        "END IF;\n"
    )
    return [
        Trigger(
            name=GUARD_TRIGGER,
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Update | pgtrigger.Delete,
            func=in_maintenance + _refuse("% on %"),
        ),
        Trigger(
            name=TRUNCATE_GUARD_TRIGGER,
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func=is_owner + _refuse("% of % by a role that does not own it"),
        ),
    ]


def tidemark_triggers() -> list[tuple[type[models.Model], Trigger]]:
    """Every registered Tidemark trigger with its model, capture and guard alike."""
    registered = cast(list[tuple[type[models.Model], Any]], pgtrigger.registered())
    return [(model, trigger) for model, trigger in registered if isinstance(trigger, Trigger)]
