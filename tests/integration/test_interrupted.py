"""An interrupted deploy, with every app installed: every command sees it until it is resolved,
and failed runs with their automatic rollbacks are part of the release history."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.migration_sources import ALPHA_0001, add_field
from tests.migration_support import Release, schema
from tests.smooth_migrations.processes import Child
from tidemark_core import applied_migrations, runs
from tidemark_migration_state import current_state, saved_states

from .test_deploy import FAILING, V1, V2, deploy

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

SLOW = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_size")]
    operations = [migrations.RunSQL("SELECT pg_sleep(30)", migrations.RunSQL.noop)]
"""
V2_FILES = {"0001_initial": ALPHA_0001, "0002_size": add_field("alpha", "0001_initial", "size")}


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, no_color=True)
    return out.getvalue()


def test_a_killed_deploy_stops_rollbacks_and_saves_until_it_is_recovered(
    release: Release, tmp_path: Path
) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    deploy(save_state=True, commit=V1)
    before = applied_migrations(), schema(pattern="^alpha_")
    modules = release(alpha={**V2_FILES, "0003_slow": SLOW})
    argv = ["apply_migrations", "--no-input", "--skip-checks", "--save-state", "--commit", V2]
    child = Child(argv, modules, tmp_path)

    child.kill_while_running("SELECT pg_sleep(30)")

    [run] = [run for run in runs() if run.interrupted]
    assert ("alpha", "0002_size") in applied_migrations()
    for name, args in [
        ("rollback_migrations", ["-c", V1[:8], "--no-input"]),
        ("rollback_migrations", ["-c", V1[:8], "--plan"]),
        ("save_migrations_state", ["--commit", V2]),
        ("apply_migrations", []),
        ("apply_migrations", ["--plan"]),
    ]:
        with pytest.raises(CommandError, match=rf"run #{run.id}: apply_migrations, started "):
            command(name, *args)
    assert [state.commit for state in saved_states()] == [V1]
    listed = command("rollback_migrations", "--list")
    assert f"#{run.id} apply_migrations INTERRUPTED: 1 of 2 step(s) done; Apply " in listed

    deploy(recover=True)

    assert (applied_migrations(), schema(pattern="^alpha_")) == before
    recovered = command("rollback_migrations", "--list")
    assert f"#{run.id} apply_migrations interrupted (1 of 2 step(s) done), by " in recovered
    assert f"recovered by run #{run.id + 1}" in recovered
    release(alpha=V2_FILES)  # the release, fixed
    deploy(save_state=True, commit=V2)
    assert current_state().commit == V2  # type: ignore[union-attr]


def test_failed_runs_and_their_automatic_rollbacks_are_in_the_release_history(
    release: Release,
) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    deploy(save_state=True, commit=V1)
    release(alpha={**V2_FILES, "0003_fails": FAILING})
    with pytest.raises(CommandError):
        deploy(save_state=True, commit=V2)

    lines = command("rollback_migrations", "--list").splitlines()
    data = json.loads(command("rollback_migrations", "--list", "--json"))

    failed, deployed = [run for run in runs() if run.command == "apply_migrations"][::-1]
    # Newest first: the failed run, the state it would have saved, the run that saved it.
    assert lines[3].startswith("curr >>>  ")
    assert f"  run       {V1}  #{deployed.id} apply_migrations succeeded, " in lines[4]
    assert (
        f"#{failed.id} apply_migrations failed and was rolled back (1 step(s) undone), by "
        in lines[2]
    )
    assert "apply_migrations failed in alpha.0003_fails on database 'default'" in lines[2]
    [entry] = [entry for entry in data["entries"] if entry.get("id") == failed.id]
    assert entry["event"] == "run"
    assert entry["status"] == "rolled_back"
    assert entry["done"] == ["Apply alpha.0002_size", "Unapply alpha.0002_size"]
    assert data["interrupted"] == []
