"""Release lineage: "previous" is the release in force before the current one, following
saves and rollbacks, in every command that speaks of it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.migration_sources import add_field
from tidemark_core import applied_migrations
from tidemark_migration_state import current_state, previous_state, saved_states
from tidemark_migration_state.lineage import backfill
from tidemark_migration_state.models import LineageEntry, MigrationState, Rollback

from .conftest import Project, migrate, schema
from .sources import V1, V2

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

C = {"0001_initial": V1["0001_initial"], "0002_stock": add_field("alpha", "0001_initial", "stock")}


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def deploy(project: Project, tag: str) -> tuple[frozenset, dict]:
    """Deploy `tag` as an entrypoint does (migrate, save the state with --log-diff)."""
    path = project.deploy(tag)
    migrate()
    out = command("save_migrations_state", "-p", str(path), "--log-diff")
    return applied_migrations(), {"schema": schema(), "out": out}


def test_after_a_b_rollback_to_a_then_c_the_previous_release_is_a(project: Project) -> None:
    project.commit("A", tag="A", alpha=V1)
    project.commit("B", tag="B", alpha=V2)
    project.commit("C", tag="C", alpha=C)  # C dropped B's migration 0002_price
    applied_a, a = deploy(project, "A")
    deploy(project, "B")
    command("rollback_migrations", "--no-input")  # from B's image, back to A
    assert current_state().tags == ("A",)  # type: ignore[union-attr]

    _, c = deploy(project, "C")

    # --log-diff compares C with A, the release in force before it, not with B.
    assert 'Found migrations diff against the previous state "' in c["out"]
    assert "['A']:\n  applied since: alpha.0002_stock\n  unapplied since: none" in c["out"]
    assert previous_state().tags == ("A",)  # type: ignore[union-attr]
    preview = command("rollback_migrations", "--plan")
    assert "['C'] to commit" in preview
    assert preview.endswith("['A'].\n1. Unapply alpha.0002_stock\nNothing was changed.\n")

    out = command("rollback_migrations", "--no-input")

    assert "Rollback successfully finished." in out
    assert applied_migrations() == applied_a
    assert schema() == a["schema"]
    # A is the first release of the lineage: nothing was in force before it.
    with pytest.raises(CommandError, match="No release was in force on 'default' before"):
        command("rollback_migrations", "--plan")
    assert [entry.cause for entry in LineageEntry.objects.order_by("id")] == [
        "saved",
        "saved",
        "rolled back",
        "saved",
        "rolled back",
    ]


def test_a_tag_whose_release_was_never_saved_names_its_commit(project: Project) -> None:
    project.deploy(project.commit("v1", tag="v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)
    unsaved = project.commit("v2", tag="v2", alpha=V2)

    with pytest.raises(CommandError) as caught:
        command("rollback_migrations", "-t", "v2", "-p", str(project.source))

    assert str(caught.value) == (
        f"The tag 'v2' is commit {unsaved} in git, but no state of 'default' was saved for "
        "that commit: the release was never saved (saved releases are listed by "
        "`rollback_migrations --list`)."
    )


def test_the_lineage_of_states_saved_before_it_existed_is_rebuilt(project: Project) -> None:
    for number, files in enumerate((V1, V2, C), 1):
        project.deploy(project.commit(f"v{number}", tag=f"v{number}", alpha=files))
        migrate()
        command("save_migrations_state", "--commit", f"{number}" * 40)
        if number == 2:
            command("rollback_migrations", "-c", "1111", "--no-input")
    # The database is brought to v1's migrations by hand; saving v1 again resumes its state.
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    assert command("save_migrations_state", "--commit", "1" * 40).count("current state again")
    expected = [
        (e.state_id, e.previous_id is not None, e.cause) for e in LineageEntry.objects.all()
    ]
    assert [cause for _, _, cause in expected] == [
        "saved",
        "saved",
        "rolled back",
        "saved",
        "resumed",
    ]
    current, previous = current_state(), previous_state()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LineageEntry._meta.db_table}")

    backfill(MigrationState, Rollback, LineageEntry, "default")

    rebuilt = [(e.state_id, e.previous_id is not None, e.cause) for e in LineageEntry.objects.all()]
    assert rebuilt == expected
    assert (current_state(), previous_state()) == (current, previous)


def test_json_of_previews_and_lists_agrees_with_the_exit_status(project: Project) -> None:
    project.deploy(project.commit("v1", tag="v1", alpha=V1))
    migrate()
    command("save_migrations_state", "-p", str(project.source))
    project.deploy(project.commit("v2", tag="v2", alpha=V2))
    migrate()
    saved = json.loads(command("save_migrations_state", "--json", "-p", str(project.source)))
    assert saved["ok"] is True
    assert json.loads(command("rollback_migrations", "--list", "--json"))["ok"] is True
    planned = json.loads(command("rollback_migrations", "--plan", "--json"))
    assert (planned["ok"], planned["error"]) == (True, None)

    out = StringIO()
    with pytest.raises(CommandError, match="No saved state of 'default' has the tag 'nope'"):
        call_command("rollback_migrations", "-t", "nope", "--plan", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "ok": False,
        "error": "No saved state of 'default' has the tag 'nope' (and git does not know it "
        "either). Known tags: v1, v2. See `rollback_migrations --list`.",
    }
    assert [state.tags for state in saved_states()] == [("v1",), ("v2",)]
