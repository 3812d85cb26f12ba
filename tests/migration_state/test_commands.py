"""rollback_migrations: --list, --fake/--plan/--sql previews, target errors, failures, prompts."""

from __future__ import annotations

import io
import json
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tidemark_core import applied_migrations
from tidemark_migration_state import current_state, rollbacks, saved_states

from .conftest import Project, migrate, schema
from .sources import FAILING, V1, V2, V3

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def three_releases(project: Project) -> list[str]:
    commits = []
    for number, files in enumerate((V1, V2, V3), 1):
        commits.append(project.commit(f"v{number}", tag=f"v{number}", alpha=files))
        path = project.deploy(f"v{number}")
        migrate()
        command("save_migrations_state", "-p", str(path))
    return commits


def test_list_shows_states_and_rollbacks_newest_first_and_marks_current(project: Project) -> None:
    v1, _, v3 = three_releases(project)
    command("rollback_migrations", "-t", "v1", "--no-input")

    lines = command("rollback_migrations", "--list").splitlines()

    assert (
        lines[0]
        == "Saved states and rollbacks of the database 'default', sorted from newer to older:"
    )
    assert lines[1].split() == ["MARK", "TIMESTAMP", "v", "EVENT", "COMMIT", "TAGS", "/", "DETAILS"]
    assert "rollback" in lines[2]
    assert v1 in lines[2]
    assert f"succeeded, from {v3[:12]}, 2 step(s), by " in lines[2]
    assert [line.split()[-1] for line in lines[3:]] == ["v3", "v2", "v1"]
    assert lines[5].startswith("curr >>>")
    assert v1 in lines[5]
    assert len(lines) == 6

    data = json.loads(command("rollback_migrations", "--list", "--json"))
    assert data["current"] == v1
    assert data["matches_current"] is True
    assert [entry["event"] for entry in data["entries"]] == ["state", "state", "state", "rollback"]
    assert [entry.get("current") for entry in data["entries"]] == [True, False, False, None]
    assert data["entries"][3]["steps"] == ["Unapply alpha.0003_stock", "Unapply alpha.0002_price"]

    with pytest.raises(CommandError, match="--list should be used without"):
        command("rollback_migrations", "--list", "-t", "v1")


def test_previews_change_nothing(project: Project) -> None:
    three_releases(project)
    before, before_schema = applied_migrations(), schema()

    fake = command("rollback_migrations", "--fake", "-t", "v1")
    plan = command("rollback_migrations", "--plan", "-c", saved_states()[0].commit[:8])
    sql = command("rollback_migrations", "--sql", "-t", "v1")
    data = json.loads(command("rollback_migrations", "--sql", "--json", "-t", "v1"))

    assert "Running rollback with --fake option." in fake
    assert "1. Unapply alpha.0003_stock\n2. Unapply alpha.0002_price" in fake
    assert "Rollback successfully finished with `--fake` option." in fake
    assert "1. Unapply alpha.0003_stock\n2. Unapply alpha.0002_price" in plan
    assert "Nothing was changed." in plan
    assert "-- Unapply alpha.0003_stock" in sql
    assert 'DROP COLUMN "stock"' in sql
    assert 'DROP COLUMN "price"' in sql
    assert [step["migration"] for step in data["steps"]] == ["alpha.0003_stock", "alpha.0002_price"]
    assert data["executed"] is False
    assert any('DROP COLUMN "price"' in line for line in data["steps"][1]["sql"])
    assert applied_migrations() == before
    assert schema() == before_schema
    assert not rollbacks()


def test_target_errors_are_clear(project: Project) -> None:
    with pytest.raises(CommandError, match="There are no saved states for the database 'default'"):
        command("rollback_migrations")
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "abc1" + "0" * 36, "--tag", "v1")
    with pytest.raises(CommandError, match="No release was in force on 'default' before"):
        command("rollback_migrations")
    command("save_migrations_state", "--commit", "abc2" + "0" * 36)

    with pytest.raises(
        CommandError, match=r"No saved state of 'default' has the tag 'v9'.*Known tags: v1"
    ):
        command("rollback_migrations", "-t", "v9", "-p", "/")
    with pytest.raises(CommandError, match="matches 2 saved states"):
        command("rollback_migrations", "-c", "abc")
    with pytest.raises(
        CommandError, match="Can't find a saved state of 'default' for commit 'ffff'"
    ):
        command("rollback_migrations", "-c", "ffff")
    with pytest.raises(CommandError, match="not allowed with argument"):
        command("rollback_migrations", "-c", "abc1", "-t", "v1")


def test_errors_go_to_the_logger_and_json_reports_the_result(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="tests.ops"),
        pytest.raises(CommandError, match="There are no saved states"),
    ):
        command("rollback_migrations", "-l", "tests.ops")
    assert [(r.levelno, r.getMessage()[:31]) for r in caplog.records] == [
        (logging.ERROR, "There are no saved states for t")
    ]
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", "b" * 40)
    empty = command("rollback_migrations", "--plan", "-c", "b").splitlines()
    # django-rollback's lines, in its order.
    assert empty[0] == "Diff not found. There is no migrations to rollback."
    assert empty[1].startswith('Running rollback from commit "bbbb')
    assert "There is no migrations to rollback." in empty

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tests.ops"):
        data = json.loads(command("rollback_migrations", "--json", "--no-input", "-l", "tests.ops"))

    assert [record.getMessage() for record in caplog.records] == [
        f'Running rollback from commit "{"b" * 40}" [] to commit "{"a" * 40}" [].',
        "Steps run:\n- Unapply alpha.0002_price",
        "Rollback successfully finished.",
    ]

    assert data["executed"] is True
    assert data["result"] == "succeeded"
    assert (data["from"], data["to"]) == ("b" * 40, "a" * 40)
    assert [step["migration"] for step in data["steps"]] == ["alpha.0002_price"]
    assert data["applied"] == [list(key) for key in sorted(applied_migrations())]


def test_a_tag_only_git_knows_is_resolved_through_git(project: Project) -> None:
    v1 = project.commit("v1", alpha=V1)
    path = project.deploy("main")
    migrate()
    command("save_migrations_state", "-p", str(path))
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", "b" * 40)
    project.repo.create_tag("late-tag", ref=v1)

    command("rollback_migrations", "-t", "late-tag", "-p", str(project.source), "--no-input")

    assert current_state().commit == v1  # type: ignore[union-attr]
    assert ("alpha", "0002_price") not in applied_migrations()


def test_a_failing_rollback_is_recorded_as_failed(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V2)
    project.commit("v2", tag="v2", alpha={**V2, "0003_bad_reverse": FAILING})
    for tag in ("v1", "v2"):
        path = project.deploy(tag)
        migrate()
        command("save_migrations_state", "-p", str(path))
    before = applied_migrations()

    with pytest.raises(CommandError, match=r"Rollback failed: ProgrammingError: .*no_such_table"):
        command("rollback_migrations", "--no-input")

    [record] = rollbacks()
    assert record.result == "failed"
    assert "no_such_table" in record.error
    assert record.applied_before == before
    assert record.applied_after == applied_migrations() == before
    assert record.finished_at is not None
    assert current_state().tags == ("v2",)  # type: ignore[union-attr]
    listed = command("rollback_migrations", "--list").splitlines()
    assert "failed, from" in listed[2]
    assert "ProgrammingError" in listed[2]


def test_confirmation_on_a_terminal(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    three_releases(project)
    before = applied_migrations()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    with pytest.raises(CommandError, match=r"Rollback cancelled; nothing was changed\."):
        command("rollback_migrations")
    assert applied_migrations() == before

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    out = command("rollback_migrations")
    assert "Unapply alpha.0003_stock" in out
    assert ("alpha", "0003_stock") not in applied_migrations()


def test_empty_rollback_between_releases_without_migrations(project: Project) -> None:
    for number in (1, 2):
        project.commit(f"v{number}", tag=f"v{number}", alpha=V1)
        path = project.deploy(f"v{number}")
        migrate()
        command("save_migrations_state", "-p", str(path))

    out = command("rollback_migrations", "--no-input")

    assert "There is no migrations to rollback." in out
    assert current_state().tags == ("v1",)  # type: ignore[union-attr]
    assert [(record.result, record.steps) for record in rollbacks()] == [("succeeded", ())]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tidemark_migration_state_rollback")
        assert cursor.fetchone() == (1,)


def test_progress_bar_on_a_terminal(project: Project) -> None:
    three_releases(project)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    call_command("rollback_migrations", "--no-input", stdout=out)

    assert "Rollback successfully finished." in out.getvalue()
    assert "Unapplying alpha.0003_stock... OK" not in out.getvalue()
    assert ("alpha", "0003_stock") not in applied_migrations()
