"""A deploy history for the admin pages: releases, a rollback, runs of every outcome."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tidemark_core import MIGRATION_LOCK, OpenRun, Plan, advisory_lock, applied_migrations
from tidemark_core.journal import ROLLED_BACK, SUCCEEDED
from tidemark_migration_state import find_state, rollback, save_state
from tidemark_migration_state.models import MigrationRun, MigrationState, Rollback

A, B, C = "a" * 40, "b" * 40, "c" * 40


@dataclass
class History:
    """What `deploy_history` made."""

    a: MigrationState
    b: MigrationState
    damaged: MigrationState
    deployed_b: MigrationRun
    failed: MigrationRun
    rollback: Rollback
    rollback_run: MigrationRun
    interrupted: MigrationRun


def _run(
    command: str, *, release: str = "", status: str | None = SUCCEEDED, error: str = ""
) -> int:
    """A journal entry of an empty plan; left open (interrupted) when `status` is None."""
    with advisory_lock(MIGRATION_LOCK) as lock:
        opened = OpenRun.begin(Plan.build(applied_migrations()), lock=lock, command=command)
        # As the entry of a real one-step plan would list it.
        MigrationRun.objects.filter(pk=opened.id).update(steps=["Apply shop.0002_price"])
        opened.step_done("Apply shop.0002_price")
        if status is not None:
            opened.finish(status, release=release, error=error)
    return opened.id


def deploy_history() -> History:
    save_state(A, ["v1"])
    deployed_b = _run("apply_migrations", release=B)
    save_state(B, ["v2"])
    failed = _run(
        "apply_migrations",
        status=ROLLED_BACK,
        error="apply_migrations failed in shop.0003_fails on database 'default': boom",
    )
    record = rollback(find_state(commit=A))
    save_state(C, ["v3"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MigrationState._meta.db_table} SET applied = 'null' WHERE commit = %s", [C]
        )
    interrupted = _run("apply_migrations", status=None)
    row = Rollback.objects.get(pk=record.id)
    return History(
        a=MigrationState.objects.get(commit=A),
        b=MigrationState.objects.get(commit=B),
        damaged=MigrationState.objects.get(commit=C),
        deployed_b=MigrationRun.objects.get(pk=deployed_b),
        failed=MigrationRun.objects.get(pk=failed),
        rollback=row,
        rollback_run=MigrationRun.objects.get(pk=row.run_id),
        interrupted=MigrationRun.objects.get(pk=interrupted),
    )
