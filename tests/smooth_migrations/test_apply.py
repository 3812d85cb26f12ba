"""apply_migrations restores the exact starting schema and applied set when anything fails."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from tests.migration_support import Release, schema
from tidemark_core import MIGRATION_LOCK, advisory_lock, applied_migrations, runs
from tidemark_smooth_migrations import (
    ApplyMigrationsError,
    ReleaseNotRecorded,
    SaveRelease,
    apply_migrations,
)

from .conftest import TABLES as DEPLOY
from .conftest import migration_rows
from .migrations_src import NORTH_0001, NORTH_0002, SOUTH_0001, failing, run_sql

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("apply_migrations", *args, stdout=out, no_color=True, **options)
    return out.getvalue()


def run_failing(*args: str, **options: object) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("apply_migrations", *args, stdout=out, no_color=True, **options)
    return out.getvalue(), caught.value


def test_applies_like_migrate_and_prints_each_step(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})

    output = run(skip_checks=False)

    assert {("north", "0001_initial"), ("north", "0002_size")} <= applied_migrations()
    assert "Operations to perform:" in output
    assert "  Applying north.0001_initial... OK" in output
    assert "  Applying north.0002_size... OK" in output
    assert "north_thing" in schema(pattern=DEPLOY)["tables"][0]


def test_failure_mid_plan_across_apps_restores_schema_and_django_migrations(
    release: Release,
) -> None:
    release(north={"0001_initial": NORTH_0001})
    run("north")
    before_schema, before_rows = schema(pattern=DEPLOY), migration_rows()
    release(
        north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002},
        south={"0001_initial": SOUTH_0001, "0002_fails": failing("south", "0001_initial")},
    )

    output, error = run_failing()

    assert schema(pattern=DEPLOY) == before_schema
    assert migration_rows() == before_rows
    # django-smooth-migrations' lines, in its order.
    lines = output.splitlines()
    failed = lines.index("  Applying south.0002_fails... FAIL")
    assert lines[failed + 1] == "The migration has failed."
    assert 'relation "no_such_table" does not exist' in lines[failed + 2]
    heading = lines.index("Operations to perform:", failed)
    assert lines[heading : heading + 6] == [
        "Operations to perform:",
        "  Rolling back to the last migration state: north 0001_initial",
        "Running rollback:",
        "  Unapplying south.0001_initial... OK",
        "  Unapplying north.0002_size... OK",
        "Exception detail:",
    ]
    assert "Traceback (most recent call last):" in output
    assert "south.0002_fails" in str(error)
    assert 'relation "no_such_table" does not exist' in str(error)
    assert "restored to the state before the run" in str(error)


def test_failure_in_the_first_migration_of_a_new_app(release: Release) -> None:
    before_schema, before_rows = schema(pattern=DEPLOY), migration_rows()
    release(
        north={"0001_initial": NORTH_0001},
        east={"0001_initial": failing("east", None)},
    )

    _output, error = run_failing()

    assert schema(pattern=DEPLOY) == before_schema
    assert migration_rows() == before_rows
    assert "east.0001_initial" in str(error)


@pytest.fixture
def empty_other() -> Iterator[str]:
    """The database ``other`` with nothing in it: no tables, no django_migrations."""
    with connections["other"].cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    yield "other"
    for app in ("contenttypes", "auth", "testapp"):
        call_command("migrate", app, database="other", verbosity=0)


def test_failure_on_an_empty_database_leaves_it_empty(release: Release, empty_other: str) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_fails": failing("north", "0001_initial")})

    output, error = run_failing(database=empty_other)

    # Only the run journal stays: it records the failed run and its rollback.
    everything_else = "^(?!tidemark_migration_runs)"
    empty = {"tables": [], "columns": [], "constraints": [], "indexes": []}
    assert schema(empty_other, everything_else) == empty
    assert schema(empty_other)["tables"] == [("tidemark_migration_runs",)]
    [run] = runs(empty_other)
    assert (run.status, run.start, run.error) == ("rolled_back", frozenset(), run.error)
    assert "north.0002_fails" in run.error
    assert "The rollback failed" not in str(error), str(error)
    assert "  Applying contenttypes.0001_initial... OK" in output
    assert "  Rolling back to the last migration state: none (no migration was applied)" in output
    assert "  Unapplying contenttypes.0001_initial... OK" in output


def test_an_empty_database_migrates(release: Release, empty_other: str) -> None:
    release(north={"0001_initial": NORTH_0001})

    run(database=empty_other)

    assert ("north", "0001_initial") in applied_migrations(empty_other)
    assert ("auth", "0001_initial") in applied_migrations(empty_other)


def test_database_option_is_used_for_the_run_and_the_rollback(release: Release) -> None:
    default_before = applied_migrations("default")
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})
    run("north", "0001", database="other")
    other_before = schema("other", DEPLOY), migration_rows("other")
    release(north={"0001_initial": NORTH_0001, "0002_fails": failing("north", "0001_initial")})

    run_failing("north", database="other")

    assert (schema("other", DEPLOY), migration_rows("other")) == other_before
    assert applied_migrations("default") == default_before
    assert schema("default", DEPLOY)["tables"] == []


def test_refuses_irreversible_steps_and_names_them(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_data": run_sql("north", "0001_initial", "SELECT 1", None),
        }
    )
    before = applied_migrations()

    _output, error = run_failing()

    assert "north.0002_data" in str(error)
    assert "--allow-irreversible" in str(error)
    assert applied_migrations() == before


def test_allow_irreversible_rolls_back_to_the_irreversible_step(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_data": run_sql("north", "0001_initial", "SELECT 1", None),
            "0003_fails": failing("north", "0002_data"),
        }
    )
    before = applied_migrations()

    with pytest.raises(ApplyMigrationsError) as caught:
        apply_migrations("north", allow_irreversible=True)

    kept = {("north", "0001_initial"), ("north", "0002_data")}
    assert applied_migrations() == before | kept
    assert caught.value.result.left_applied == kept
    assert "could not be rolled back" in str(caught.value)


def test_a_non_atomic_migration_that_failed_half_way_is_reported(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_fails": failing("north", "0001_initial", atomic=False),
        }
    )
    before = applied_migrations()

    with pytest.raises(ApplyMigrationsError) as caught:
        apply_migrations()

    assert applied_migrations() == before
    assert caught.value.result.partial == [
        "Raw SQL operation",
        "Raw SQL operation",
    ]
    assert "north.0002_fails is not atomic" in str(caught.value)
    # What the failed migration did before its error stays: Django cannot undo it.
    assert schema(pattern=DEPLOY)["tables"] == [("north_partial",)]


def test_plan_changes_nothing_and_lists_the_steps(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})
    before = migration_rows()

    output = run(plan=True)
    data = json.loads(run(plan=True, json=True))

    assert migration_rows() == before
    assert "  Apply north.0001_initial" in output
    assert data["plan"] == ["Apply north.0001_initial", "Apply north.0002_size"]
    assert data["refused"] is False


def test_json_reports_the_outcome(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})

    data = json.loads(run(json=True))

    assert data["ok"] is True
    assert "north.0001_initial" in data["applied"]


def test_a_target_migration_and_zero(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})

    run("north", "0001")
    assert ("north", "0002_size") not in applied_migrations()
    run("north", "zero")
    assert not {key for key in applied_migrations() if key[0] == "north"}


def test_unknown_app_or_migration_is_a_clear_error(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})

    with pytest.raises(CommandError, match="No migration of app 'north' matches '0009'"):
        run("north", "0009")
    with pytest.raises(CommandError, match="'south' is not installed or has no migrations"):
        run("south")
    with pytest.raises(CommandError, match="does not support --fake"):
        run(fake=True)


def test_waits_for_the_migration_lock_of_another_deploy(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})
    before = applied_migrations()
    holder = connections.create_connection("default")
    try:
        with advisory_lock(MIGRATION_LOCK, using="default"):
            pass  # the key exists; now hold it from another session
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [MIGRATION_LOCK])
        with pytest.raises(CommandError, match="Could not acquire the lock"):
            run(lock_timeout=0.2)
    finally:
        holder.close()

    assert applied_migrations() == before


def test_sigint_mid_run_rolls_back_and_a_second_signal_waits_for_the_rollback(
    release: Release,
) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})
    before = schema(pattern=DEPLOY), migration_rows()
    handler_before = signal.getsignal(signal.SIGTERM)
    events: list[str] = []

    def progress(
        action: str, migration: object = None, fake: bool = False, **extra: object
    ) -> None:
        events.append(f"{action} {migration}")
        if action == "apply_start" and str(migration) == "north.0002_size":
            os.kill(os.getpid(), signal.SIGINT)
        if action == "unapply_start":
            os.kill(os.getpid(), signal.SIGTERM)  # ignored until the rollback is done

    with pytest.raises(ApplyMigrationsError, match="Interrupted by SIGINT") as caught:
        apply_migrations(progress_callback=progress)

    assert (schema(pattern=DEPLOY), migration_rows()) == before
    assert caught.value.result.failed == "north.0002_size"
    assert "unapply_success north.0001_initial" in events
    assert signal.getsignal(signal.SIGTERM) == handler_before


def test_runs_without_signal_handlers_outside_the_main_thread(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})
    results: list[object] = []

    def deploy() -> None:
        try:
            results.append(apply_migrations("north"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=deploy)

    thread.start()
    thread.join()

    assert ("north", "0001_initial") in applied_migrations()
    assert len(results) == 1


def test_graph_problems_are_refused_before_anything_runs(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})
    with pytest.raises(CommandError, match="More than one migration matches '0'"):
        run("north", "0")

    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_size": NORTH_0002,
            "0002_other": run_sql("north", "0001_initial", "SELECT 1"),
        }
    )
    with pytest.raises(CommandError, match="Conflicting migrations detected"):
        run()

    release(north={"0001_initial": NORTH_0001, "0002_size": NORTH_0002})
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied)"
            " VALUES ('north', '0002_size', now())"
        )
    with pytest.raises(CommandError, match="is applied before its dependency"):
        run()


def test_command_output_for_check_plan_and_failures(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})
    with pytest.raises(SystemExit):
        run(check_unapplied=True)
    run()
    assert "  No migrations to apply." in run()
    assert "  No planned migration operations." in run(plan=True)

    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_data": run_sql("north", "0001_initial", "SELECT 1", None),
            "0003_fails": failing("north", "0002_data", atomic=False),
        }
    )
    output, error = run_failing(plan=True)
    assert "  Apply north.0002_data (irreversible: Raw SQL operation)" in output
    assert "apply_migrations would refuse this plan" in str(error)
    assert "north.0002_data" in str(error)
    output, error = run_failing(allow_irreversible=True)
    assert "Still applied after the rollback: north.0002_data" in output
    assert "north.0003_fails is not atomic" in output
    assert "could not be rolled back: north.0002_data" in str(error)

    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "apply_migrations",
            stdout=(out := StringIO()),
            stderr=err,
            json=True,
            allow_irreversible=True,
        )
    data = json.loads(out.getvalue())
    assert data["ok"] is False
    assert data["failed"] == "north.0003_fails"


def test_unapplying_an_irreversible_migration_is_refused(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_data": run_sql("north", "0001_initial", "SELECT 1", None),
        }
    )
    run(allow_irreversible=True)
    before = migration_rows()

    with pytest.raises(CommandError, match="cannot be unapplied"):
        run("north", "0001")

    assert migration_rows() == before


def test_a_run_that_loses_its_session_stops_and_the_next_run_must_resolve_it(
    release: Release,
) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_dies": run_sql(
                "north", "0001_initial", "SELECT pg_terminate_backend(pg_backend_pid())"
            ),
        }
    )
    before = schema(pattern=DEPLOY), migration_rows()

    output, error = run_failing()

    # Its session took the migration lock with it: no rollback may run without the lock.
    assert "The database session of this run on 'default' was lost" in str(error)
    assert "apply_migrations --recover" in str(error)
    assert "Unapplying" not in output
    assert "  Applying north.0002_dies... FAIL" in output
    assert ("north", "0001_initial") in applied_migrations()
    [lost] = runs()
    assert lost.interrupted
    assert lost.done == ("Apply north.0001_initial",)
    assert lost.running == "Apply north.0002_dies"

    _output, refused = run_failing()
    assert f"run #{lost.id}: apply_migrations, started " in str(refused)
    assert "1 of 2 step(s) done; Apply north.0002_dies was running" in str(refused)
    assert "apply_migrations --recover" in str(refused)

    recovered = run(recover=True)

    assert "Unapplying north.0001_initial... OK" in recovered
    assert f"Run(s) #{lost.id} recovered" in recovered
    assert (schema(pattern=DEPLOY), migration_rows()) == before
    assert [(r.command, r.status) for r in runs()] == [
        ("apply_migrations", "recovered"),
        ("apply_migrations --recover", "succeeded"),
    ]
    assert "No interrupted run on 'default': nothing to recover." in run(recover=True)


def test_a_rollback_that_fails_says_what_stays_applied(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_bad_reverse": run_sql("north", "0001_initial", "SELECT 1", "SELECT * FROM nope"),
            "0003_fails": failing("north", "0002_bad_reverse"),
        }
    )
    before = applied_migrations()

    output, error = run_failing()

    stuck = {("north", "0001_initial"), ("north", "0002_bad_reverse")}
    assert applied_migrations() == before | stuck
    assert "  Unapplying north.0002_bad_reverse... FAIL" in output
    assert "The rollback failed too" in str(error)
    assert "could not be rolled back: north.0001_initial, north.0002_bad_reverse" in str(error)


def test_save_state_options_are_refused_before_anything_runs(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})

    for options, message in [
        ({"save_state": True}, "release state needs tidemark_migration_state in INSTALLED_APPS"),
        ({"commit": "a" * 40}, "--commit and --tag go with --save-state"),
        ({"tags": ["v1"]}, "--commit and --tag go with --save-state"),
        ({"save_state": True, "plan": True}, "--plan and --check apply nothing"),
    ]:
        with pytest.raises(CommandError, match=message):
            run("north", **options)
    with pytest.raises(ReleaseNotRecorded, match="a dry run applies nothing"):
        apply_migrations("north", dry_run=True, save_release=SaveRelease("a" * 40))

    assert ("north", "0001_initial") not in applied_migrations()


def test_a_rollback_that_loses_its_session_stops_and_leaves_the_run_open(
    release: Release,
) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_dies_backwards": run_sql(
                "north", "0001_initial", "SELECT 1", "SELECT pg_terminate_backend(pg_backend_pid())"
            ),
            "0003_fails": failing("north", "0002_dies_backwards"),
        }
    )

    output, error = run_failing()

    assert "  Unapplying north.0002_dies_backwards... FAIL" not in output
    assert "The database session of this run on 'default' was lost" in str(error)
    assert "Unapplying north.0001_initial" not in output
    [open_run] = runs()
    assert (open_run.state, open_run.status) == ("interrupted", "rolling_back")
    assert ("north", "0002_dies_backwards") in applied_migrations()
    # Its journal entry tells the next run; --recover cannot unapply 0002 either, and says so.
    from tidemark_core.journal import run_model

    run_model().objects.update(start="damaged")
    with pytest.raises(CommandError, match="DELETE FROM tidemark_migration_runs WHERE id IN"):
        run(recover=True)
