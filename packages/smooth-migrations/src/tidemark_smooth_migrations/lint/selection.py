"""Which migrations to lint: an app, one migration, those changed since a git ref, the
unapplied ones, minus the baseline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.db.migrations import Migration
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.loader import MigrationLoader

from tidemark_core import Key, full_order

from ..exceptions import LintError


def migration_file(migration: Migration) -> Path | None:
    """The file a migration was loaded from, if it came from a file."""
    module = sys.modules.get(type(migration).__module__)
    filename = getattr(module, "__file__", None)
    return Path(filename).resolve() if filename else None


def _git_changed(since: str, cwd: Path) -> set[Path]:
    try:
        import git  # GitPython, when the project has it
    except ImportError:
        return _git_cli_changed(since, cwd)
    try:
        repo = git.Repo(cwd, search_parent_directories=True)
        root = Path(str(repo.working_tree_dir))
        diffs = repo.commit(since).diff(None)
        paths = {diff.b_path or diff.a_path for diff in diffs if diff.change_type != "D"}
        paths.update(repo.untracked_files)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise LintError(f"--since needs a git repository; {cwd} is not in one.") from error
    except (git.BadName, ValueError) as error:
        raise LintError(f"--since: git does not know the revision {since!r}.") from error
    except git.CommandError as error:  # no git command, or git failed
        raise LintError(f"--since: git failed: {error}") from error
    return {(root / path).resolve() for path in paths if path}


def _git_cli_changed(since: str, cwd: Path) -> set[Path]:
    def run(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
            )
        except FileNotFoundError as error:
            raise LintError("--since needs git (the git command was not found).") from error
        except subprocess.CalledProcessError as error:
            if "--verify" in args:
                raise LintError(f"--since: git does not know the revision {since!r}.") from error
            raise LintError(f"--since: git {args[0]} failed: {error.stderr.strip()}") from error
        return [line for line in done.stdout.splitlines() if line]

    root = Path(run("rev-parse", "--show-toplevel")[0])
    run("rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    paths = run("diff", "--name-only", "--diff-filter=d", since, "--")
    paths += run("ls-files", "--others", "--exclude-standard")
    return {(root / path).resolve() for path in paths}


def changed_since(loader: MigrationLoader, keys: Iterable[Key], since: str) -> list[Key]:
    """The migrations among `keys` whose files were added or changed since `since`
    (committed, staged, unstaged or untracked)."""
    changed = _git_changed(since, Path.cwd())
    return [key for key in keys if migration_file(loader.graph.nodes[key]) in changed]


def _resolve(loader: MigrationLoader, app_label: str, name: str, what: str) -> Key:
    if app_label not in loader.migrated_apps:
        raise LintError(f"{what}: app {app_label!r} is not installed or has no migrations.")
    try:
        migration = loader.get_migration_by_prefix(app_label, name)
    except AmbiguityError as error:
        raise LintError(
            f"{what}: more than one migration of {app_label!r} matches {name!r}; "
            "give more of its name."
        ) from error
    except KeyError as error:
        raise LintError(f"{what}: no migration of {app_label!r} matches {name!r}.") from error
    return (app_label, migration.name)


def baseline_keys(loader: MigrationLoader, baseline: Mapping[str, str]) -> set[Key]:
    """The migrations the baseline leaves out: each named one and its ancestors in its app."""
    skipped: set[Key] = set()
    for app_label, name in baseline.items():
        key = _resolve(loader, app_label, name, "Baseline")
        skipped.update(k for k in loader.graph.forwards_plan(key) if k[0] == app_label)
    return skipped


def select(
    loader: MigrationLoader,
    app_label: str | None,
    migration_name: str | None,
    *,
    since: str | None,
    unapplied: bool,
    keys: Iterable[Key] | None,
) -> tuple[list[Key], frozenset[Key] | None]:
    """The migrations to lint in plan order, and the release they form (None if unknown)."""
    order = full_order(loader)
    if keys is not None:
        wanted = set(keys)
        return [key for key in order if key in wanted], frozenset(wanted)
    if app_label is not None and app_label not in loader.migrated_apps:
        raise LintError(f"App {app_label!r} is not installed or has no migrations.")
    chosen = [key for key in order if app_label is None or key[0] == app_label]
    release: frozenset[Key] | None = None
    if migration_name is not None and app_label is not None:
        chosen = [_resolve(loader, app_label, migration_name, "lint_migrations")]
        release = frozenset(chosen)
    if unapplied:
        chosen = [key for key in chosen if key not in loader.applied_migrations]
        release = frozenset(chosen)
    if since is not None:
        chosen = changed_since(loader, chosen, since)
        release = frozenset(chosen)
    return chosen, release
