"""Fixtures of the migration-state suite: real git repositories whose commits are releases.

A `Project` is a git repository in a temporary directory. Each commit holds the migration
modules of the release apps (alpha, beta, gamma). Deploying a commit checks it out into a
new directory (a clone, a shallow clone without tags, or an export without ``.git``) and
points MIGRATION_MODULES at it, the way a new image replaces the code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import git
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from tests.migration_support import (
    SettingsSwitch,
    _fresh_run_journal,  # noqa: F401 - autouse
    drop_tables,
    table_pattern,
    write_migrations,
)
from tests.migration_support import schema as schema_matching

RELEASE_APPS = ("alpha", "beta", "gamma")
ROOT = Path(__file__).resolve().parent.parent.parent
APP_MODULE = "tests.migration_state.releaseapps."


class Project:
    """A git repository of releases, and deploys of its commits."""

    def __init__(self, directory: Path) -> None:
        self.source = directory / "source"
        self.deploys = directory / "deploys"
        self.deploys.mkdir()
        self.repo = git.Repo.init(self.source, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Tidemark Tests")
            config.set_value("user", "email", "tests@tidemark.invalid")
        (self.source / "__init__.py").write_text("")
        self.settings = SettingsSwitch()

    def write(self, **apps: dict[str, str]) -> None:
        """Make the working tree hold exactly these apps' migration files."""
        for app in RELEASE_APPS:
            shutil.rmtree(self.source / app, ignore_errors=True)
        for app, files in apps.items():
            write_migrations(self.source / app, files)

    def commit(self, message: str, *, tag: str | None = None, **apps: dict[str, str]) -> str:
        """Commit a release holding exactly `apps`; return its SHA."""
        self.write(**apps)
        self.repo.git.add(A=True)
        self.repo.git.commit("-m", message, "--allow-empty")
        if tag:
            self.repo.create_tag(tag)
        return str(self.repo.head.commit.hexsha)

    def deploy(
        self, ref: str, *, how: str = "clone", installed: tuple[str, ...] = RELEASE_APPS
    ) -> Path:
        """Check `ref` out into a new directory and switch the code to it; return the directory.

        `how`: ``"clone"`` (full clone, ``ref`` checked out: a branch, or a detached HEAD for
        a SHA or tag), ``"shallow"`` (``--depth 1 --no-tags`` clone of branch `ref`) or
        ``"export"`` (the files of `ref` without ``.git``). `installed`: the release apps in
        INSTALLED_APPS.
        """
        name = f"deploy_{uuid.uuid4().hex[:12]}"
        target = self.deploys / name
        if how == "clone":
            clone = git.Repo.clone_from(str(self.source), str(target))
            clone.git.checkout(ref)
        elif how == "shallow":
            git.Repo.clone_from(
                f"file://{self.source}", str(target), depth=1, no_tags=True, branch=ref
            )
        else:
            archive = self.deploys / f"{name}.tar"
            with archive.open("wb") as handle:
                self.repo.archive(handle, ref)
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        modules = {
            app: f"{name}.{app}" if (target / app).is_dir() else None for app in RELEASE_APPS
        }
        apps = [app for app in settings.INSTALLED_APPS if not app.startswith(APP_MODULE)]
        self.settings.enable(
            override_settings(
                MIGRATION_MODULES=modules,
                INSTALLED_APPS=[*apps, *(APP_MODULE + app for app in installed)],
            )
        )
        return target


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A git repository of releases; the code is switched back and the tables dropped after."""
    result = Project(tmp_path)
    sys.path.insert(0, str(result.deploys))
    yield result
    result.settings.disable()
    sys.path.remove(str(result.deploys))
    for alias in ("default", "other"):
        drop_tables(alias, RELEASE_APPS)


def schema(using: str = "default") -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, constraints and indexes of the release apps, for exact comparisons."""
    return schema_matching(using, table_pattern(RELEASE_APPS))


def migrate(using: str = "default") -> None:
    call_command("migrate", database=using, interactive=False, verbosity=0)


def run_child(
    *args: str,
    env: dict[str, str] | None = None,
    start_file: Path | None = None,
    project: Project | None = None,
) -> subprocess.Popen[str]:
    """Start ``manage.py ARGS`` in a child process against this test's databases.

    With `project`, the child runs the code of the release the test deployed last.
    """
    names = {alias: settings.DATABASES[alias]["NAME"] for alias in ("default", "other")}
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.migration_state.child_settings",
        "TIDEMARK_TEST_DATABASE_NAMES": json.dumps(names),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    if project is not None:
        code = {
            "path": str(project.deploys),
            "modules": settings.MIGRATION_MODULES,
            "apps": settings.INSTALLED_APPS,
        }
        environment["TIDEMARK_TEST_CODE"] = json.dumps(code)
    if start_file is not None:
        environment["TIDEMARK_TEST_START_FILE"] = str(start_file)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.migration_state.child", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
