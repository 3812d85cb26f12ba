"""kill -9, a terminated session, a second deploy waiting: real child processes, real faults.

After each fault the database holds only whole steps (each atomic migration commits with
its row in django_migrations and its journal entry), the next command refuses and names
the interrupted run, and ``--recover`` restores the start exactly, by schema snapshot.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from tests.migration_support import Release, backend_running, schema
from tidemark_core import applied_migrations, runs

from .conftest import TABLES as DEPLOY
from .conftest import migration_rows
from .processes import Child

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

SLEEP = "SELECT pg_sleep(30)"
STEPS = ("0001_thing", "0002_size", "0003_part", "0004_label")
OPERATIONS = (
    """migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50, unique=True)),
        ])""",
    """migrations.AddField("thing", "size", models.IntegerField(null=True, db_index=True)),
        migrations.AddConstraint(
            "thing", models.CheckConstraint(condition=models.Q(size__gte=0), name="size_ok")
        )""",
    # A foreign key: Django creates it with deferred SQL, after the migration's own work.
    """migrations.CreateModel("Part", [
            ("id", models.BigAutoField(primary_key=True)),
            ("thing", models.ForeignKey("north.Thing", models.CASCADE)),
        ])""",
    """migrations.AddField("part", "label", models.CharField(max_length=20, default="x"))""",
)


def four_steps(*, sleeping: int | None = None, extra: dict[int, str] | None = None) -> dict:
    """north's migrations 0001-0004; step `sleeping` ends with a 30 s statement."""
    files = {}
    for number, (name, operations) in enumerate(zip(STEPS, OPERATIONS, strict=True), 1):
        more = (extra or {}).get(number, "")
        if number == sleeping:
            more += f"migrations.RunSQL({SLEEP!r}, reverse_sql=migrations.RunSQL.noop),"
        parent = f'[("north", "{STEPS[number - 2]}")]' if number > 1 else "[]"
        files[name] = f"""
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = {parent}
    operations = [
        {operations},
        {more}
    ]
"""
    return files


def applied_north() -> set[str]:
    return {name for app, name in applied_migrations() if app == "north"}


def snapshot() -> tuple[object, ...]:
    return applied_migrations(), schema(pattern=DEPLOY), migration_rows()


def kill_while_sleeping(child: Child) -> None:
    """SIGKILL the child while its backend runs the 30 s statement."""
    child.kill_while_running(SLEEP)


def command(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("apply_migrations", *args, stdout=out, no_color=True, **options)
    return out.getvalue()


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_kill_9_at_each_step_refuses_the_next_run_until_recover_restores_the_start(
    release: Release, tmp_path: Path, step: int
) -> None:
    modules = release(north=four_steps(sleeping=step))
    before = snapshot()
    child = Child(["apply_migrations", "--no-input"], modules, tmp_path)

    kill_while_sleeping(child)

    # Only whole steps: those before the killed one, each with its row.
    assert applied_north() == set(STEPS[: step - 1])
    [run] = runs()
    assert run.interrupted
    assert run.done == tuple(f"Apply north.{name}" for name in STEPS[: step - 1])
    assert run.running == f"Apply north.{STEPS[step - 1]}"
    assert run.start == before[0]
    # The next run, its preview too, refuses and names the run and how far it got.
    progress = rf"{step - 1} of 4 step\(s\) done; Apply north\.{STEPS[step - 1]} was running"
    for options in ({}, {"plan": True}, {"check_unapplied": True}):
        with pytest.raises(CommandError, match=rf"run #{run.id}: apply_migrations, .*{progress}"):
            command(**options)
    assert applied_north() == set(STEPS[: step - 1])

    output = command(recover=True)

    assert snapshot() == before
    assert f"Interrupted run #{run.id}: apply_migrations" in output
    assert f"Run(s) #{run.id} recovered" in output
    assert [(r.command, r.status, r.resolved_by) for r in runs()] == [
        ("apply_migrations", "recovered", run.id + 1),
        ("apply_migrations --recover", "succeeded", None),
    ]


def test_kill_9_during_the_automatic_rollback(release: Release, tmp_path: Path) -> None:
    fails = 'migrations.RunSQL("SELECT * FROM no_such_table", migrations.RunSQL.noop),'
    slow_reverse = f'migrations.RunSQL("SELECT 1", reverse_sql={SLEEP!r}),'
    modules = release(north=four_steps(extra={2: slow_reverse, 4: fails}))
    before = snapshot()
    child = Child(["apply_migrations", "--no-input"], modules, tmp_path)

    kill_while_sleeping(child)

    assert "The migration has failed." in child.output
    assert "  Unapplying north.0003_part... OK" in child.output
    assert applied_north() == {"0001_thing", "0002_size"}
    [run] = runs()
    assert run.interrupted
    assert run.status == "rolling_back"
    with pytest.raises(CommandError, match=r"it failed \(.*no_such_table.*\) and had unapplied"):
        command()
    release(north=four_steps(extra={4: fails}))  # the same migrations, without the slow reverse

    command(recover=True)

    assert snapshot() == before


def test_resume_finishes_the_plan_of_an_interrupted_run(release: Release, tmp_path: Path) -> None:
    modules = release(north=four_steps(sleeping=3))
    child = Child(["apply_migrations", "--no-input"], modules, tmp_path)
    kill_while_sleeping(child)
    [run] = runs()
    release(north=four_steps())  # the fixed release: same migrations, no slow statement

    preview = command(resume=True, plan=True)
    assert applied_north() == {"0001_thing", "0002_size"}
    assert "  Apply north.0003_part\n  Apply north.0004_label" in preview

    output = command(resume=True)

    assert applied_north() == set(STEPS)
    assert applied_migrations() == run.target
    assert "Bringing the database to its target:" in output
    assert [r.status for r in runs()] == ["resumed", "succeeded"]
    assert "  No migrations to apply." in command()


def test_atomic_run_killed_leaves_the_start_and_nothing_to_recover(
    release: Release, tmp_path: Path
) -> None:
    modules = release(north=four_steps(sleeping=3))
    before = snapshot()
    child = Child(["apply_migrations", "--no-input", "--atomic"], modules, tmp_path)

    kill_while_sleeping(child)

    assert snapshot() == before
    [run] = runs()
    assert run.atomic
    assert run.interrupted
    # The next run sees that PostgreSQL rolled the transaction back, closes the entry, goes on.
    assert "  Apply north.0001_thing" in command(plan=True)
    [run] = runs()
    assert run.status == "rolled_back"
    assert "PostgreSQL rolled its transaction back (--atomic)" in run.error


def test_terminated_session_with_a_second_deploy_waiting(release: Release, tmp_path: Path) -> None:
    modules = release(north=four_steps(sleeping=2))
    before = snapshot()
    first = Child(["apply_migrations", "--no-input"], modules, tmp_path)
    first.wait_until(lambda: backend_running(SLEEP) is not None, "the first run's slow step")
    first_pid = backend_running(SLEEP)
    second = Child(["apply_migrations", "--no-input"], modules, tmp_path)
    second.wait_until(
        lambda: backend_running("pg_try_advisory_lock", active=False) is not None,
        "the second run waiting for the migration lock",
    )

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first_pid])

    assert first.finish() == 1
    assert second.finish() == 1
    # The first stopped at once: no step and no rollback without its lock.
    assert "The database session of this run on 'default' was lost" in first.output
    assert "Unapplying" not in first.output
    assert "Applying north.0003_part" not in first.output
    # The second got the lock, saw the interrupted run and refused: it applied nothing.
    [run] = runs()
    assert f"run #{run.id}: apply_migrations" in second.output
    assert "Applying" not in second.output
    assert applied_north() == {"0001_thing"}
    assert run.interrupted
    assert run.done == ("Apply north.0001_thing",)

    command(recover=True)

    assert snapshot() == before


def test_recover_and_resume_take_no_other_target_or_mode() -> None:
    for options in (
        {"app_label": "north"},
        {"atomic": True},
        {"lint": True},
        {"check_unapplied": True},
        {"save_state": True},
    ):
        with pytest.raises(CommandError, match="--recover and --resume work on the interrupted"):
            command(recover=True, **options)
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("apply_migrations", "--recover", "--resume")
