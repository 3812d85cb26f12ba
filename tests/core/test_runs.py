"""The run journal, lock ownership, recovery, one-transaction plans and statement limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import Error, connection, connections

from tests.migration_sources import ALPHA_0001, add_field
from tests.migration_support import Release
from tidemark_core import (
    MIGRATION_LOCK,
    Blocker,
    InterruptedRun,
    OpenRun,
    Plan,
    PlanError,
    SessionLost,
    StatementLimits,
    advisory_lock,
    applied_migrations,
    execute,
    refuse_unresolved,
    resolve_interrupted,
    runs,
    unresolved_runs,
)
from tidemark_core import guard as guard_module
from tidemark_core.guard import BlockerWatch
from tidemark_core.journal import TABLE, run_model

from .conftest import schema

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

LINEAR = {
    "0001_initial": ALPHA_0001,
    "0002_price": add_field("alpha", "0001_initial", "price"),
    "0003_stock": add_field("alpha", "0002_price", "stock"),
}
FAILING = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_price")]
    operations = [migrations.RunSQL("SELECT * FROM no_such_table", migrations.RunSQL.noop)]
"""


def drop_journal() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def interrupted(plan: Plan, **options: Any) -> OpenRun:
    """A run that began and whose session went away, as kill -9 leaves it."""
    with advisory_lock(MIGRATION_LOCK) as lock:
        opened = OpenRun.begin(plan, lock=lock, command="apply_migrations", **options)
    connection.close()
    return opened


def test_without_a_journal_there_is_no_run_and_nothing_to_refuse() -> None:
    drop_journal()

    assert runs() == []
    assert unresolved_runs() == []
    refuse_unresolved()
    resolution = resolve_interrupted("recover", command="test")
    assert (resolution.resolved, resolution.plan, resolution.run) == ((), None, None)


def test_a_run_is_journalled_step_by_step(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(
        {("alpha", "0001_initial"), ("alpha", "0002_price"), ("alpha", "0003_stock")}
        | applied_migrations()
    )
    seen: list[tuple[str, ...]] = []

    def progress(action: str, migration: Any = None, fake: bool = False, **extra: Any) -> None:
        if action == "apply_success":  # reported once the step committed, with its entry
            seen.append(runs()[0].done)

    with advisory_lock(MIGRATION_LOCK) as lock:
        opened = OpenRun.begin(plan, lock=lock, command="test", performed_by="ops@ci")
        assert runs()[0].alive
        execute(plan, run=opened, progress_callback=progress)
        assert opened.finish("succeeded", release="abc")

    [run] = runs()
    assert seen == [
        ("Apply alpha.0001_initial",),
        ("Apply alpha.0001_initial", "Apply alpha.0002_price"),
        ("Apply alpha.0001_initial", "Apply alpha.0002_price", "Apply alpha.0003_stock"),
    ]
    assert (run.status, run.state, run.release, run.performed_by) == (
        "succeeded",
        "succeeded",
        "abc",
        "ops@ci",
    )
    assert run.progress() == "3 of 3 step(s) done"
    assert not run.alive
    assert not run.interrupted
    assert run.target == applied_migrations()


def test_an_interrupted_run_is_refused_until_it_is_recovered(release: Release) -> None:
    release(alpha=LINEAR)
    start = applied_migrations()
    before = schema()
    plan = Plan.build(start | {("alpha", "0001_initial"), ("alpha", "0002_price")})
    opened = interrupted(plan)
    call = connections["default"]
    with call.cursor() as cursor:  # its first step had committed
        cursor.execute("CREATE TABLE alpha_item (id bigint)")
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied)"
            " VALUES ('alpha', '0001_initial', now())"
        )
    run_model().objects.filter(pk=opened.id).update(
        done=["Apply alpha.0001_initial"], running="Apply alpha.0002_price"
    )

    with pytest.raises(InterruptedRun, match=r"Run it back\.") as caught:
        refuse_unresolved(advice="Run it back.")

    [run] = caught.value.runs  # type: ignore[misc]
    assert run.describe().startswith(f"run #{opened.id}: apply_migrations, started ")
    assert run.describe().endswith("1 of 2 step(s) done; Apply alpha.0002_price was running")
    preview = resolve_interrupted("recover", command="test", dry_run=True)
    assert preview.plan is not None
    assert preview.plan.describe() == ["Unapply alpha.0001_initial"]
    assert unresolved_runs() == [run]

    resolution = resolve_interrupted("recover", command="test")

    assert applied_migrations() == start
    assert schema() == before
    assert resolution.run is not None
    assert resolution.run.command == "test --recover"
    assert [(r.status, r.resolved_by) for r in runs()] == [
        ("recovered", resolution.run.id),
        ("succeeded", None),
    ]
    refuse_unresolved()


def test_resume_finishes_the_plan_of_the_last_interrupted_run(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(applied_migrations() | {("alpha", "0001_initial")})
    interrupted(plan)

    resolve_interrupted("resume", command="test")

    assert ("alpha", "0001_initial") in applied_migrations()
    assert [r.status for r in runs()] == ["resumed", "succeeded"]


def test_a_recovery_that_fails_leaves_the_run_interrupted(release: Release) -> None:
    release(alpha={**LINEAR, "0003_fails": FAILING})
    call_plan = Plan.build(applied_migrations())
    interrupted(call_plan)
    # The run aimed at a state whose last step fails: resuming it fails too.
    run_model().objects.update(
        target=[
            list(key)
            for key in sorted(
                applied_migrations()
                | {("alpha", "0001_initial"), ("alpha", "0002_price"), ("alpha", "0003_fails")}
            )
        ]
    )

    with pytest.raises(Exception, match="no_such_table"):
        resolve_interrupted("resume", command="test")

    assert [r.state for r in runs()] == ["interrupted", "failed"]
    assert "ProgrammingError" in runs()[1].error


def test_a_damaged_entry_is_named_and_cannot_be_resolved_by_plan(release: Release) -> None:
    release(alpha=LINEAR)
    opened = interrupted(Plan.build(applied_migrations()))
    run_model().objects.filter(pk=opened.id).update(start="oops", steps=[1], done={"a": 1})

    [run] = runs()

    assert run.damage == (
        "start is not a list of [app, name] pairs; steps is not a list of strings; "
        "done is not a list of strings"
    )
    assert "Its journal entry is damaged" in run.describe()
    with pytest.raises(PlanError, match=rf"DELETE FROM {TABLE} WHERE id IN \({opened.id}\)"):
        resolve_interrupted("recover", command="test")


def test_an_interrupted_atomic_run_that_left_its_start_is_closed_by_the_next(
    release: Release,
) -> None:
    release(alpha=LINEAR)
    interrupted(Plan.build(applied_migrations() | {("alpha", "0001_initial")}), atomic=True)

    refuse_unresolved()

    [run] = runs()
    assert run.status == "rolled_back"
    assert "PostgreSQL rolled its transaction back (--atomic)" in run.error


def test_one_transaction_leaves_the_start_when_a_step_fails(release: Release) -> None:
    release(alpha={**LINEAR, "0003_fails": FAILING})
    start, before = applied_migrations(), schema()
    plan = Plan.build(
        start | {("alpha", "0001_initial"), ("alpha", "0002_price"), ("alpha", "0003_fails")}
    )

    with pytest.raises(Exception, match="no_such_table"):
        execute(plan, atomic=True)

    assert (applied_migrations(), schema()) == (start, before)


def test_one_transaction_refuses_a_non_atomic_migration(release: Release) -> None:
    non_atomic = add_field("alpha", "0001_initial", "price").replace(
        "class Migration(migrations.Migration):",
        "class Migration(migrations.Migration):\n    atomic = False",
    )
    release(alpha={"0001_initial": ALPHA_0001, "0002_price": non_atomic})
    plan = Plan.build(applied_migrations() | {("alpha", "0001_initial"), ("alpha", "0002_price")})

    with pytest.raises(PlanError, match=r"not atomic \(atomic = False\): alpha\.0002_price"):
        execute(plan, atomic=True)

    assert ("alpha", "0001_initial") not in applied_migrations()


def test_a_run_whose_session_is_gone_stops_before_its_next_step(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(applied_migrations() | {("alpha", "0001_initial"), ("alpha", "0002_price")})
    killer = connections.create_connection("default")

    def progress(action: str, migration: Any = None, fake: bool = False, **extra: Any) -> None:
        if action == "apply_success":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    try:
        with pytest.raises(SessionLost, match=r"was lost before Apply alpha\.0002_price"):
            execute(plan, progress_callback=progress)
    finally:
        killer.close()
        connection.close()

    assert ("alpha", "0001_initial") in applied_migrations()
    assert ("alpha", "0002_price") not in applied_migrations()


def test_a_held_lock_is_not_held_once_its_connection_is_closed() -> None:
    with advisory_lock("tests.held") as lock:
        assert lock.held()
        connection.close()  # Django would reconnect: a new session, without the lock
        assert not lock.held()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert not lock.held()
        connection.close()  # nothing to release on the way out: the session is gone


def test_statement_limits_and_blockers_describe_themselves() -> None:
    limits = StatementLimits(lock_timeout=0.25, statement_timeout=None)
    assert limits.values() == {"lock_timeout": "250ms", "statement_timeout": "0ms"}
    long = Blocker(7, "active", "SELECT " + "x, " * 100, None)
    assert long.describe().startswith("PID 7 (active): SELECT x, x,")
    assert long.describe().endswith("…")
    assert len(long.describe()) < 230
    assert Blocker(8, "", "", 3.4).describe() == "PID 8 (state unknown for 3s): (query not visible)"


def test_the_blocker_watch_stops_quietly_when_its_queries_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(using: str, pid: int) -> list[Blocker]:
        raise Error("the watch's connection broke")

    monkeypatch.setattr(guard_module, "blocking_sessions", broken)
    events: list[str] = []

    with BlockerWatch("default", 1, lambda action, **extra: events.append(action), interval=0.01):
        time.sleep(0.1)

    assert events == []


def test_a_failed_validation_keeps_the_transaction_and_the_limits_sound(
    release: Release,
) -> None:
    validate = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "INSERT INTO alpha_item (name) VALUES ('')", migrations.RunSQL.noop
        ),
        migrations.RunSQL(
            "ALTER TABLE alpha_item ADD CONSTRAINT named CHECK (name <> '') NOT VALID",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "ALTER TABLE alpha_item VALIDATE CONSTRAINT named", migrations.RunSQL.noop
        ),
    ]
"""
    release(alpha={"0001_initial": ALPHA_0001, "0002_validate": validate})
    execute(Plan.build(applied_migrations() | {("alpha", "0001_initial")}))
    plan = Plan.build(applied_migrations() | {("alpha", "0002_validate")})

    with pytest.raises(Exception, match="violated by some row"):
        execute(plan, limits=StatementLimits(lock_timeout=1.5))

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout'), count(*) FROM alpha_item")
        assert cursor.fetchone() == ("0", 0)  # restored; the step rolled back whole


def test_a_run_writes_nothing_once_its_session_lost_the_lock(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(applied_migrations())
    with advisory_lock(MIGRATION_LOCK) as lock:
        opened = OpenRun.begin(plan, lock=lock, command="test")
        connection.close()

        assert opened.finish("succeeded") is False
        with (
            pytest.raises(SessionLost, match="was lost \\(ValueError: boom\\)"),
            opened.failures(),
        ):
            raise ValueError("boom")
        [run] = runs()
        from tidemark_core.journal import mark_resolved

        mark_resolved([run], opened, "recovered")
    [run] = runs()
    assert (run.status, run.interrupted, run.resolved_by) == ("running", True, None)
    assert str(run_model().objects.get()) == f"run #{run.id} (test, running)"


def test_an_interrupted_atomic_run_that_left_other_migrations_stays_unresolved(
    release: Release,
) -> None:
    release(alpha=LINEAR)
    interrupted(Plan.build(applied_migrations() | {("alpha", "0001_initial")}), atomic=True)
    execute(Plan.build(applied_migrations() | {("alpha", "0001_initial")}))  # by hand, meanwhile

    with pytest.raises(InterruptedRun):
        refuse_unresolved()

    assert runs()[0].interrupted


def test_statement_limits_end_with_a_closed_connection(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(applied_migrations() | {("alpha", "0001_initial"), ("alpha", "0002_price")})

    def progress(action: str, migration: Any = None, fake: bool = False, **extra: Any) -> None:
        if action == "apply_success":
            connection.close()  # Django would reconnect: a new session, without the lock

    with pytest.raises(SessionLost):
        execute(plan, progress_callback=progress, limits=StatementLimits(lock_timeout=5))

    assert ("alpha", "0002_price") not in applied_migrations()
