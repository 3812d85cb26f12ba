"""Records that cannot break the tool: damaged rows, tags as given, interrupted runs."""

from __future__ import annotations

import json
import signal
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.migration_support import backend_running, wait_for_backend_gone
from tidemark_core import applied_migrations, runs
from tidemark_migration_state import (
    DamagedState,
    current_state,
    damaged_states,
    rollbacks,
    save_state,
    saved_states,
)
from tidemark_migration_state.models import LineageEntry, MigrationState

from .conftest import Project, migrate, run_child, schema
from .sources import V1, V2, V3

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

SHAS = ("a" * 40, "b" * 40, "c" * 40)
TABLE = MigrationState._meta.db_table


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def three_releases(project: Project) -> list[tuple[frozenset, dict]]:
    """v1, v2, v3 deployed and saved (commits a…, b…, c…); v3 is in force."""
    seen = []
    for sha, files in zip(SHAS, (V1, V2, V3), strict=True):
        project.deploy(project.commit(sha[0], alpha=files))
        migrate()
        command("save_migrations_state", "--commit", sha, "--tag", f"tag-{sha[0]}")
        seen.append((applied_migrations(), schema()))
    return seen


def damage(commit: str, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET {column} = %s::jsonb WHERE commit = %s", [value, commit]
        )


def raw_rows() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, commit, tags::text, applied::text, saved_at FROM {TABLE} ORDER BY id"
        )
        return cursor.fetchall()


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("applied", "null", "applied is null, not a list of [app, name] pairs"),
        ("applied", '"alpha"', "applied is 'alpha', not a list of [app, name] pairs"),
        ("applied", '[["alpha"]]', "applied holds ['alpha'], which is not an [app, name] pair"),
        ("leaves", "{}", "leaves is {}, not a list of [app, name] pairs"),
        ("tags", "null", "tags is null, not a list of strings"),
        ("tags", "[1]", "tags is [1], not a list of strings"),
    ],
)
def test_a_damaged_state_is_named_and_everything_else_keeps_working(
    project: Project, column: str, value: str, problem: str
) -> None:
    (applied_1, schema_1), _, _ = three_releases(project)
    damage(SHAS[1], column, value)
    [row] = MigrationState.objects.filter(commit=SHAS[1])

    # --list names it and what is wrong; the other states are listed as ever.
    listed = command("rollback_migrations", "--list")
    assert f"damaged   {SHAS[1]}  #{row.pk} is damaged: {problem}" in listed
    assert listed.count("  state  ") == 2
    data = json.loads(command("rollback_migrations", "--list", "--json"))
    assert [e["event"] for e in data["entries"]] == ["state", "damaged", "state"]
    assert data["entries"][1]["problems"] == [problem]
    assert [state.commit for state in saved_states()] == [SHAS[0], SHAS[2]]
    # A rollback to it, or to the previous release (it), says what is wrong and what to do.
    for args in (["-c", SHAS[1]], []):
        with pytest.raises(
            CommandError, match=rf"The saved state #{row.pk} .* is damaged: "
        ) as caught:
            command("rollback_migrations", "--plan", *args)
        assert "Correct the row" in str(caught.value)
        assert f"save_migrations_state --commit {SHAS[1]}" in str(caught.value)
    # Saving it again commits nothing.
    before = raw_rows(), LineageEntry.objects.count()
    with pytest.raises(CommandError, match=rf"The saved state #{row.pk} "):
        command("save_migrations_state", "--commit", SHAS[1], "--tag", "again")
    assert (raw_rows(), LineageEntry.objects.count()) == before
    # Rolling back to another state works, and so does saving another release.
    command("rollback_migrations", "-t", "tag-a", "--no-input")
    assert (applied_migrations(), schema()) == (applied_1, schema_1)
    assert command("save_migrations_state", "--commit", "d" * 40).startswith(
        "State successfully created"
    )


def test_a_damaged_state_in_force_does_not_stop_rollbacks_or_saves(project: Project) -> None:
    (applied_1, _), _, _ = three_releases(project)
    damage(SHAS[2], "applied", "null")

    with pytest.raises(DamagedState):
        current_state()
    listed = command("rollback_migrations", "--list").splitlines()
    assert listed[2].startswith("curr >>>  ")
    assert "damaged" in listed[2]
    assert listed[-1] == f"The state in force, #{damaged_states()[0].id}, is damaged."
    with pytest.raises(CommandError, match="Migration state drift:\n- The saved state #"):
        command("save_migrations_state", "--check")
    out = command("rollback_migrations", "-t", "tag-a", "--no-input")
    assert "Running rollback from commit (no current state) to commit" in out
    assert applied_migrations() == applied_1
    assert [r.from_commit for r in rollbacks()] == [None]
    # A new release saves, with the damaged state before it in the lineage.
    damage(SHAS[0], "tags", "null")
    assert rollbacks()[0].to_tags == ()
    saved = command("save_migrations_state", "--commit", "d" * 40, "--log-diff")
    assert "State successfully created" in saved
    assert "There is only one state in DB. No diff to show." in saved


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "  v1  ",
            "The tag '  v1  ' starts or ends with whitespace. Tags are stored and looked up "
            "exactly as given: pass 'v1'.",
        ),
        ("v1\x00", "The tag 'v1\\x00' holds the control character '\\x00'."),
        ("v1\n", "starts or ends with whitespace"),
        ("", "Tags must not be empty."),
    ],
)
def test_tags_are_stored_as_given_or_refused(project: Project, tag: str, message: str) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()

    with pytest.raises(CommandError) as caught:
        command("save_migrations_state", "--commit", SHAS[0], "--tag", tag)

    assert message in str(caught.value)
    assert not MigrationState.objects.exists()


def test_a_tag_is_stored_and_found_exactly_as_given(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", SHAS[0], "--tag", "release 5", "--tag", "Ünïcode")
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    save_state(SHAS[1])

    command("rollback_migrations", "-t", "release 5", "--no-input")

    assert current_state().tags == ("release 5", "Ünïcode")  # type: ignore[union-attr]
    with pytest.raises(CommandError, match="has the tag 'release'"):
        command("rollback_migrations", "-t", "release", "--plan")


SLOW_REVERSE = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_price")]
    operations = [migrations.RunSQL("SELECT 1", reverse_sql="SELECT pg_sleep(30)")]
"""


def interrupted_rollback(project: Project) -> tuple[int, list[tuple[frozenset, dict]]]:
    """v1, then v2 with a slow reverse; a rollback to v1 killed -9 in that reverse."""
    seen = []
    for sha, files in zip(SHAS, (V1, {**V2, "0003_slow": SLOW_REVERSE}), strict=False):
        project.deploy(project.commit(sha[0], alpha=files))
        migrate()
        command("save_migrations_state", "--commit", sha, "--tag", f"tag-{sha[0]}")
        seen.append((applied_migrations(), schema()))
    child = run_child("rollback_migrations", "-t", "tag-a", "--no-input", project=project)
    pid = None
    for _ in range(3000):
        pid = backend_running("pg_sleep(30)")
        if pid is not None or child.poll() is not None:
            break
        time.sleep(0.02)
    assert pid is not None, child.communicate()
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    wait_for_backend_gone(pid)
    [run] = runs()
    return run.id, seen


def test_an_interrupted_rollback_stops_every_command_until_resolved(project: Project) -> None:
    run_id, [(applied_1, schema_1), (applied_2, _)] = interrupted_rollback(project)
    assert applied_migrations() == applied_2  # the unapply of 0003_slow was rolled back

    listed = command("rollback_migrations", "--list")
    assert (
        "rollback  " + SHAS[0] + "  INTERRUPTED (resolve it with --recover or --resume)" in listed
    )
    refusal = (
        rf"run #{run_id}: rollback_migrations, started .*0 of 2 step\(s\) done; "
        r"Unapply alpha\.0003_slow was running"
    )
    for name, args in [
        ("rollback_migrations", ["-t", "tag-a", "--no-input"]),
        ("rollback_migrations", ["-t", "tag-a", "--plan"]),
        ("save_migrations_state", ["--commit", "d" * 40]),
    ]:
        with pytest.raises(CommandError, match=refusal):
            command(name, *args)
    out = StringIO()
    with pytest.raises(CommandError, match="An interrupted migration run was never resolved"):
        call_command("save_migrations_state", "--check", "--json", stdout=out)
    assert json.loads(out.getvalue())["interrupted"] == [run_id]
    preview = command("rollback_migrations", "--resume", "--plan")
    assert (
        f"Run(s) #{run_id} would be resumed: the database would be brought to its target:"
        "\n  Unapply alpha.0003_slow\n" in preview
    )

    release_fixed(project)
    out_text = command("rollback_migrations", "--resume")

    assert f"Run(s) #{run_id} resumed: the database is at its target." in out_text
    assert (applied_migrations(), schema()) == (applied_1, schema_1)
    [record] = rollbacks()
    assert record.result == "succeeded"
    assert current_state().commit == SHAS[0]  # type: ignore[union-attr]
    assert [(r.command, r.status) for r in runs()] == [
        ("rollback_migrations", "resumed"),
        ("rollback_migrations --resume", "succeeded"),
    ]


def release_fixed(project: Project) -> None:
    """The same migrations, without the slow reverse (the hotfix a runbook would deploy)."""
    fixed = SLOW_REVERSE.replace("SELECT pg_sleep(30)", "SELECT 1")
    project.deploy(project.commit("fixed", alpha={**V2, "0003_slow": fixed}))


def test_recover_restores_where_the_interrupted_rollback_started(project: Project) -> None:
    run_id, [_, (applied_2, schema_2)] = interrupted_rollback(project)
    release_fixed(project)

    command("rollback_migrations", "--recover")

    assert (applied_migrations(), schema()) == (applied_2, schema_2)
    [record] = rollbacks()
    assert record.result == "failed"
    assert record.error == f"Interrupted; recovered by run #{run_id + 1}."
    assert current_state().commit == SHAS[1]  # type: ignore[union-attr]
    assert "nothing to recover" in command("rollback_migrations", "--recover")
    with pytest.raises(CommandError, match="--recover and --resume preview with --plan only"):
        command("rollback_migrations", "--recover", "--fake")


def test_a_rollback_resolved_by_another_command_is_listed_as_such(project: Project) -> None:
    from tidemark_core import resolve_interrupted

    interrupted_rollback(project)
    release_fixed(project)

    resolution = resolve_interrupted("recover", command="apply_migrations")  # as smooth would

    assert resolution.run is not None
    listed = command("rollback_migrations", "--list")
    assert f"interrupted, recovered by run #{resolution.run.id}, from bbbb" in listed
    assert f"#{resolution.run.id} apply_migrations --recover succeeded" in listed


def test_runs_in_the_list_say_how_they_ended(project: Project) -> None:
    from tidemark_core import MIGRATION_LOCK, OpenRun, Plan, advisory_lock
    from tidemark_migration_state.listing import history_lines

    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", SHAS[0])
    with advisory_lock(MIGRATION_LOCK) as lock:
        failed = OpenRun.begin(
            Plan.build(applied_migrations()), lock=lock, command="apply_migrations"
        )
        failed.finish("failed", error="apply_migrations failed in alpha.0002: boom\nmore")
        running = OpenRun.begin(
            Plan.build(applied_migrations()), lock=lock, command="apply_migrations"
        )

        lines = history_lines()

        running.finish("succeeded")
    assert f"#{failed.id} apply_migrations failed (0 step(s) undone), by " in lines[3]
    assert lines[3].endswith(": apply_migrations failed in alpha.0002: boom")
    assert f"#{running.id} apply_migrations running now: 0 of 0 step(s) done, by " in lines[2]


def test_the_tables_must_exist_and_the_command_base_has_no_work() -> None:
    from django.db import connections

    from tidemark_migration_state import MigrationStateError
    from tidemark_migration_state.management.base import StateCommand
    from tidemark_migration_state.models import LineageEntry

    table = LineageEntry._meta.db_table
    with connections["other"].cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO tidemark_hidden")
    try:
        with pytest.raises(MigrationStateError, match="not all there on the database 'other'"):
            saved_states("other")
    finally:
        with connections["other"].cursor() as cursor:
            cursor.execute(f"ALTER TABLE tidemark_hidden RENAME TO {table}")
    with pytest.raises(NotImplementedError):
        StateCommand().run_command("default", {})
    entry = LineageEntry(pk=3, database="default", state_id=7, cause="saved")
    assert str(entry) == "lineage #3 on 'default': state #7 (saved)"
