"""save_migrations_state records releases: identity, tags, re-saves, drift checks and output."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

import tidemark_migration_state as state_api
from tidemark_core import applied_migrations
from tidemark_migration_state import (
    ReleaseUnknown,
    current_state,
    save_state,
    saved_states,
)

from .conftest import Project, migrate
from .sources import V1, V2, V3

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

SHA_A = "a" * 40
SHA_B = "b" * 40


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_saved_states_contract_for_other_apps(project: Project) -> None:
    path = project.deploy(project.commit("v1", tag="v1.0.0", alpha=V1))
    migrate()

    result = save_state(tags=["prod-1"], path=path)

    [state] = saved_states()
    assert result.created
    assert state.commit == project.repo.head.commit.hexsha
    assert state.tags == ("prod-1", "v1.0.0")
    assert state.applied == applied_migrations()
    assert ("alpha", "0001_initial") in state.applied
    assert ("alpha", "0001_initial") in state.leaves
    assert isinstance(state.created_at, datetime)
    assert state.database == "default"
    assert state.django_version


def test_commit_sources_in_order_argument_setting_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project.deploy(project.commit("v1", alpha=V1))
    migrate()
    monkeypatch.setenv("TIDEMARK_RELEASE_COMMIT", "C" * 40)
    with override_settings(TIDEMARK_MIGRATION_STATE_COMMIT=SHA_B):
        assert save_state(SHA_A, path=path).state.commit == SHA_A
        assert save_state(path=path).state.commit == SHA_B
    assert save_state(path=path).state.commit == "c" * 40
    monkeypatch.delenv("TIDEMARK_RELEASE_COMMIT")
    assert save_state(path=path).state.commit == project.repo.head.commit.hexsha
    assert len(saved_states()) == 4

    with pytest.raises(ReleaseUnknown, match=r"'v1\.2\.0' is not a git commit"):
        save_state("v1.2.0", path=path)
    with pytest.raises(CommandError, match="Tags must not be empty"):
        command("save_migrations_state", "--commit", SHA_A, "--tag", " ")


def test_resaving_tags_and_moving_a_tag(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", SHA_A, "--tag", "v1", "rc")
    out = command("save_migrations_state", "--commit", SHA_A, "--tag", "v1", "--tag", "v1-final")

    assert f"State for current commit \"{SHA_A}\" ['rc', 'v1', 'v1-final'] already exists." in out
    assert "This is the latest state for this service. So all is fine." in out
    assert "Tags added: v1-final." in out

    out = command("save_migrations_state", "--commit", SHA_B, "--tag", "rc")
    assert f"Tag 'rc' moved here from commit '{SHA_A}'." in out
    assert [state.tags for state in saved_states()] == [("v1", "v1-final"), ("rc",)]


def test_resaving_an_older_commit_warns(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", SHA_A)
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", SHA_B)

    # The image of v1 started against v2's schema: no rollback was run.
    out = command("save_migrations_state", "--commit", SHA_A)

    assert "This is NOT the latest state for this service." in out
    assert f'Latest: commit "{SHA_B}" []' in out
    assert "Did you forget to perform rollback before changing service version?" in out
    assert "applied now but not saved: alpha.0002_price" in out
    [first, second] = saved_states()
    assert first.applied == second.applied - {("alpha", "0002_price")}
    assert current_state() == second


def test_resaving_a_state_the_database_matches_makes_it_current_again(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", SHA_A)
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", SHA_B)
    command("rollback_migrations", "--no-input")
    assert current_state().commit == SHA_A  # type: ignore[union-attr]

    # Roll forward by deploying v2 again.
    migrate()
    out = command("save_migrations_state", "--commit", SHA_B, "--log-diff")

    assert "it is the current state again" in out
    # The diff is against the state current before (the one rolled back to).
    assert f'Diff against the previous state "{SHA_A}" []:' in out
    assert "applied since: alpha.0002_price" in out
    assert "The current state was" in out
    assert current_state().commit == SHA_B  # type: ignore[union-attr]
    assert len(saved_states()) == 2


def test_log_full_data_diff_logger_and_json(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    logger = logging.getLogger("tests.slack")
    try:
        out = command(
            "save_migrations_state",
            "--commit",
            SHA_A,
            "--log-diff",
            "-l",
            "tests.slack",
            "--log-level",
            "info",
        )
        assert logger.level == logging.INFO
        assert "There is only one state in DB." in out
        project.deploy(project.commit("v2", alpha=V3))
        migrate()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tests.slack"):
            out = command(
                "save_migrations_state",
                "--commit",
                SHA_B,
                "--log-full-data",
                "--log-diff",
                "-l",
                "tests.slack",
            )
    finally:
        logger.setLevel(logging.NOTSET)

    assert f'State successfully created for commit "{SHA_B}" [].' in out
    assert "Data = admin" not in out
    assert "alpha.0001_initial, alpha.0002_price, alpha.0003_stock, auth." in out
    assert "applied since: alpha.0002_price, alpha.0003_stock" in out
    messages = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert messages[0][0] == logging.INFO
    assert messages[0][1].startswith(f'State successfully created for commit "{SHA_B}"')
    assert messages[1][0] == logging.WARNING
    assert "applied since: alpha.0002_price, alpha.0003_stock" in messages[1][1]

    data = json.loads(command("save_migrations_state", "--commit", SHA_B, "--json"))
    assert data["outcome"] == "confirmed"
    assert data["commit"] == SHA_B
    assert ["alpha", "0003_stock"] in data["applied"]

    with pytest.raises(CommandError, match="Unknown log level 'loud'"):
        command("save_migrations_state", "-l", "tests.slack", "--log-level", "loud")
    with pytest.raises(CommandError, match="The database 'nope' is not configured"):
        command("save_migrations_state", "--database", "nope")


def test_check_reports_drift_and_exits_non_zero(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V2))
    with pytest.raises(CommandError, match="No migration state is saved for the database"):
        command("save_migrations_state", "--check")
    migrate()
    command("save_migrations_state", "--commit", SHA_A)

    out = command("save_migrations_state", "--check", "--log-full-data")
    assert f'match the current state "{SHA_A}" [] and the code' in out
    assert "Data = alpha.0001_initial, alpha.0002_price, auth." in out

    # Someone unapplied a migration by hand.
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    with pytest.raises(CommandError) as error:
        command("save_migrations_state", "--check")
    assert "saved but not applied: alpha.0002_price" in str(error.value)
    assert "The code has migrations not applied on 'default': alpha.0002_price" in str(error.value)

    # An older release runs against the newer schema.
    migrate()
    project.deploy(project.commit("v0", alpha=V1))
    out = StringIO()
    with pytest.raises(CommandError, match="that the code does not have"):
        call_command("save_migrations_state", "--check", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] is False
    assert data["unknown"] == [["alpha", "0002_price"]]
    assert data["pending"] == []
    with pytest.raises(CommandError, match="takes no --commit or --tag"):
        command("save_migrations_state", "--check", "--commit", SHA_A)


def test_public_api_names() -> None:
    assert state_api.saved_states.__module__ == "tidemark_migration_state.states"
    assert state_api.save_state.__module__ == "tidemark_migration_state.saving"
