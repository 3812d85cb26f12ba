"""The migration lock, git edge cases, and the smaller paths of the library."""

from __future__ import annotations

import socket
import sys
from io import StringIO
from pathlib import Path

import git
import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import override_settings

from tidemark_core import MIGRATION_LOCK, applied_migrations
from tidemark_migration_state import (
    MigrationStateError,
    ReleaseUnknown,
    StateNotFound,
    current_release,
    find_state,
    plan_rollback,
    saved_states,
)
from tidemark_migration_state.models import MigrationState, Rollback
from tidemark_migration_state.release import resolve_git_tag
from tidemark_migration_state.rollback import default_performer

from .conftest import Project, migrate
from .sources import V1, V2

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_saves_and_rollbacks_wait_for_the_migration_lock(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)
    project.deploy(project.commit("v2", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", "b" * 40)
    before = applied_migrations()
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [MIGRATION_LOCK])
        with override_settings(TIDEMARK_MIGRATION_LOCK_TIMEOUT=0.2):
            with pytest.raises(
                CommandError, match=r"Could not acquire the lock 'tidemark\.migrations'"
            ):
                command("rollback_migrations", "--no-input")
            with pytest.raises(CommandError, match="Another deploy, rollback or load"):
                command("save_migrations_state", "--commit", "c" * 40)
    finally:
        holder.close()
    assert applied_migrations() == before
    assert len(saved_states()) == 2
    assert not Rollback.objects.exists()

    command("rollback_migrations", "--no-input")
    assert ("alpha", "0002_price") not in applied_migrations()


def test_git_edge_cases(tmp_path: Path) -> None:
    empty = git.Repo.init(tmp_path / "empty")
    with pytest.raises(ReleaseUnknown, match="has no commit yet"):
        current_release(tmp_path / "empty")
    assert resolve_git_tag(tmp_path / "nowhere", "v1") is None
    assert resolve_git_tag(tmp_path / "empty", "v1") is None

    with empty.config_writer() as config:
        config.set_value("user", "name", "Tests")
        config.set_value("user", "email", "tests@tidemark.invalid")
    (tmp_path / "empty" / "file").write_text("x")
    empty.git.add(A=True)
    empty.git.commit("-m", "one")
    tree = empty.head.commit.tree.hexsha
    empty.git.tag("tree-tag", tree)  # a tag of a tree, not of a commit
    empty.create_tag("v1")

    release = current_release(tmp_path / "empty" / "file")
    assert release.tags == ("v1",)
    assert release.source == "git"
    assert resolve_git_tag(tmp_path / "empty", "v1") == empty.head.commit.hexsha
    assert resolve_git_tag(tmp_path / "empty", "tree-tag") is None


def test_small_paths(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)
    [state] = saved_states()
    row = MigrationState.objects.get()

    assert str(row) == "aaaaaaaaaaaa on 'default'"
    with pytest.raises(StateNotFound, match="not both"):
        find_state(commit="a", tag="v1")
    with pytest.raises(MigrationStateError, match="belongs to 'default', not 'other'"):
        plan_rollback(state, using="other")
    command("rollback_migrations", "-c", "aaaa", "--no-input")
    assert (
        str(Rollback.objects.get())
        == f"rollback #{Rollback.objects.get().pk} on 'default' (succeeded)"
    )


def test_list_without_states_and_after_drift(project: Project) -> None:
    assert command("rollback_migrations", "--list").splitlines()[-1] == "No state saved yet."
    project.deploy(project.commit("v1", alpha=V2))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)
    call_command("migrate", "alpha", "0001_initial", verbosity=0)

    out = command("rollback_migrations", "--list")

    assert out.splitlines()[-1] == (
        "The database's applied migrations differ from the current state "
        "(see `save_migrations_state --check`)."
    )


@pytest.mark.django_db(transaction=True, databases=["default", "lite"])
def test_a_database_that_is_not_postgresql_gets_a_clear_error() -> None:
    with pytest.raises(CommandError, match="save_migrations_state needs PostgreSQL, but the"):
        command("save_migrations_state", "--commit", "a" * 40, "--database", "lite")
    assert not MigrationState.objects.using("lite").exists()


def test_gitpython_unusable_in_process(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    sha = project.commit("v1", tag="v1", alpha=V1)
    path = project.deploy("v1")
    # What `import git` does when no git binary works: ImportError.
    monkeypatch.setitem(sys.modules, "git", None)

    with pytest.raises(ReleaseUnknown, match="git is needed to read the release"):
        current_release(path)
    release = current_release(path, sha)

    assert (release.commit, release.tags) == (sha, ())
    assert release.warnings[0].startswith("Could not read tags from git: git is needed")


def test_performer_without_a_user_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise KeyError("uid not found")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert default_performer() == f"unknown@{socket.gethostname()}"


def test_diff_between_releases_without_migrations(project: Project) -> None:
    project.deploy(project.commit("v1", alpha=V1))
    migrate()
    command("save_migrations_state", "--commit", "a" * 40)

    out = command("save_migrations_state", "--commit", "b" * 40, "--log-diff")

    assert f'Diff not found against the previous state "{"a" * 40}" [].' in out
