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
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import git
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

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
        self.overrides: list[override_settings] = []

    def write(self, **apps: dict[str, str]) -> None:
        """Make the working tree hold exactly these apps' migration files."""
        for app in RELEASE_APPS:
            shutil.rmtree(self.source / app, ignore_errors=True)
        for app, files in apps.items():
            (self.source / app).mkdir()
            (self.source / app / "__init__.py").write_text("")
            for name, source in files.items():
                (self.source / app / f"{name}.py").write_text(textwrap.dedent(source))

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
        self.switch(
            override_settings(
                MIGRATION_MODULES=modules,
                INSTALLED_APPS=[*apps, *(APP_MODULE + app for app in installed)],
            )
        )
        return target

    def switch(self, override: override_settings) -> None:
        while self.overrides:
            self.overrides.pop().disable()
        override.enable()
        self.overrides.append(override)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A git repository of releases; the code is switched back and the tables dropped after."""
    result = Project(tmp_path)
    sys.path.insert(0, str(result.deploys))
    yield result
    while result.overrides:
        result.overrides.pop().disable()
    sys.path.remove(str(result.deploys))
    for alias in ("default", "other"):
        drop_release_tables(alias)


def drop_release_tables(using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename ~ '^(alpha|beta|gamma)_'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute("DELETE FROM django_migrations WHERE app IN ('alpha', 'beta', 'gamma')")


def schema(using: str = "default") -> dict[str, list[tuple[str, ...]]]:
    """Columns, constraints and indexes of the release apps' tables, for exact comparisons."""
    pattern = "'^(alpha|beta|gamma)_'"
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable FROM"
        " information_schema.columns WHERE table_schema = 'public' AND table_name ~ "
        f"{pattern} ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        f" AND conrelid::regclass::text ~ {pattern} ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
        f" WHERE schemaname = 'public' AND tablename ~ {pattern} ORDER BY 1, 2",
    }
    result = {}
    with connections[using].cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            result[name] = [tuple(str(value) for value in row) for row in cursor.fetchall()]
    return result


def migrate(using: str = "default") -> None:
    call_command("migrate", database=using, interactive=False, verbosity=0)


def run_child(
    *args: str, env: dict[str, str] | None = None, start_file: Path | None = None
) -> subprocess.Popen[str]:
    """Start ``manage.py ARGS`` in a child process against this test's databases."""
    names = {alias: settings.DATABASES[alias]["NAME"] for alias in ("default", "other")}
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.migration_state.child_settings",
        "TIDEMARK_TEST_DATABASE_NAMES": json.dumps(names),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
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
