"""Verify that every Tidemark trigger is installed, enabled and the one Tidemark renders.

A capture trigger that is missing or disabled records nothing, silently; a guard that is
missing or disabled protects nothing. `verify_triggers()` compares the database with what
pgtrigger would install for each registered Tidemark trigger (capture triggers of tracked
models, guards of event tables and of the context table), in one query per database. The
``history_verify`` command and the system check ``tidemark_history.W002`` report what it finds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, models
from django.db.migrations.loader import MigrationLoader
from pgtrigger import compiler

from .triggers import Trigger, function_source, tidemark_triggers

_STATE = """
SELECT expected.pgid, pg_catalog.to_regclass(pg_catalog.quote_ident(expected.tbl)) IS NULL,
       installed.oid IS NULL, installed.tgenabled,
       pg_catalog.obj_description(installed.oid, 'pg_trigger'), function.prosrc
FROM unnest(%s::text[], %s::text[]) AS expected(tbl, pgid)
LEFT JOIN pg_catalog.pg_trigger AS installed
    ON installed.tgname = expected.pgid
    AND installed.tgrelid = pg_catalog.to_regclass(pg_catalog.quote_ident(expected.tbl))
LEFT JOIN pg_catalog.pg_proc AS function ON function.oid = installed.tgfoid
"""

_DISABLED = {"D": "disabled", "R": "disabled (it fires only with session_replication_role)"}


@dataclass(frozen=True)
class TriggerProblem:
    """One Tidemark trigger that does not work as installed.

    Attributes:
        model: The label of the model the trigger is on (``shop.Product``).
        table: Its table.
        trigger: The trigger's name (``update_productevent``).
        pgid: Its name in PostgreSQL.
        problem: ``missing``, ``disabled`` or ``outdated``, with the reason.
    """

    model: str
    table: str
    trigger: str
    pgid: str
    problem: str

    def __str__(self) -> str:
        return (
            f"{self.model}: trigger {self.trigger} ({self.pgid}) on {self.table} is {self.problem}"
        )


def expected_triggers(using: str) -> list[tuple[type[models.Model], Trigger]]:
    """The Tidemark triggers the database `using` should have (as its router allows)."""
    return [
        (model, trigger)
        for model, trigger in tidemark_triggers()
        if trigger.allow_migrate(model, database=using)  # type: ignore[arg-type]
    ]


def verify_triggers(
    using: str = "default", *, skip_apps: frozenset[str] = frozenset()
) -> tuple[int, list[TriggerProblem]]:
    """Compare the Tidemark triggers of the database `using` with what pgtrigger installs.

    Args:
        using: The database alias.
        skip_apps: App labels whose triggers are not looked at.

    Returns:
        How many triggers were verified, and the problems found.
    """
    expected = [
        (model, trigger)
        for model, trigger in expected_triggers(using)
        if model._meta.app_label not in skip_apps
    ]
    if not expected:
        return 0, []
    compiled = [(model, trigger, trigger.compile(model)) for model, trigger in expected]
    with connections[using].cursor() as cursor:
        cursor.execute(
            _STATE,
            [
                [model._meta.db_table for model, _, _ in compiled],
                [c.sql.pgid for _, _, c in compiled],
            ],
        )
        state = {row[0]: row[1:] for row in cursor.fetchall()}
    problems = []
    for model, trigger, sql in compiled:
        problem = _problem(sql, *state[sql.sql.pgid])
        if problem:
            table = model._meta.db_table
            name = str(trigger.name)
            problems.append(TriggerProblem(model._meta.label, table, name, sql.sql.pgid, problem))
    return len(compiled), sorted(problems, key=lambda p: (p.model, p.trigger))


def _problem(
    compiled: compiler.Trigger,
    no_table: bool,
    no_trigger: bool,
    enabled: str | None,
    comment: str | None,
    source: str | None,
) -> str:
    if no_table:
        return "missing: its table does not exist (run migrate)"
    if no_trigger:
        return "missing (run migrate; if it says there is nothing to do, run makemigrations)"
    if enabled in _DISABLED:
        return _DISABLED[enabled]
    if comment != compiled.hash:
        return "outdated: not the version this code renders (run makemigrations, then migrate)"
    if source != function_source(compiled):
        return "outdated: its function was replaced in the database (run pgtrigger's install)"
    return ""


def unmigrated_apps(using: str) -> frozenset[str]:
    """Apps with migrations not applied on `using`: their triggers may not exist yet."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    return frozenset(
        app for app, name in loader.graph.nodes if (app, name) not in loader.applied_migrations
    )
