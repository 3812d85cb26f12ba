"""Several processes at once, and hosts without a git binary: real child processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tidemark_core import applied_migrations
from tidemark_migration_state import saved_states

from .conftest import Project, migrate, run_child
from .sources import V1

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

COMMIT = "5a1e" * 10


def test_eight_concurrent_saves_of_one_commit_leave_exactly_one_state(tmp_path: Path) -> None:
    start = tmp_path / "start"
    children = [
        run_child("save_migrations_state", "--commit", COMMIT, "--tag", "v1", start_file=start)
        for _ in range(8)
    ]
    start.touch()
    results = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0] * 8, results
    outputs = [out for out, _ in results]
    assert sum("State successfully created" in out for out in outputs) == 1
    assert (
        sum("This is the latest state for this service. So all is fine." in out for out in outputs)
        == 7
    )
    [state] = saved_states()
    assert (state.commit, state.tags) == (COMMIT, ("v1",))
    assert state.applied == applied_migrations()
    assert not saved_states("other")


def test_without_a_git_binary(project: Project, tmp_path: Path) -> None:
    sha = project.commit("v1", tag="v1", alpha=V1)
    path = project.deploy("v1")
    migrate()
    # A PATH with python but no git: GitPython cannot work.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {
        "PATH": str(bin_dir),
        "GIT_PYTHON_GIT_EXECUTABLE": "",
        "HOME": os.environ.get("HOME", "/"),
    }
    env_without_git = {key: value for key, value in env.items() if value}

    failed = run_child("save_migrations_state", "-p", str(path), env=env_without_git)
    out, err = failed.communicate(timeout=120)
    assert failed.returncode == 1
    assert "git is needed to read the release" in err
    assert "pass --commit SHA" in err
    assert not saved_states()

    saved = run_child(
        "save_migrations_state",
        "-p",
        str(path),
        "--commit",
        sha,
        "--tag",
        "v1",
        env=env_without_git,
    )
    out, err = saved.communicate(timeout=120)
    assert saved.returncode == 0, err
    assert f"State successfully created for commit \"{sha}\" ['v1']." in out
    assert "Could not read tags from git" in out
    [state] = saved_states()
    assert state.tags == ("v1",)

    listed = run_child("rollback_migrations", "--list", "-p", str(path), env=env_without_git)
    out, err = listed.communicate(timeout=120)
    assert listed.returncode == 0, err
    assert "curr >>>  " in out
    assert sha in out
