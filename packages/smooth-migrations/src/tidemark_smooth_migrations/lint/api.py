"""`lint_migrations()`: judge migrations for locks and blue/green safety before they run."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader

from tidemark_core import Key, NotPostgreSQL, require_postgresql
from tidemark_core import server_version as read_server_version

from ..conf import lint_baseline
from ..exceptions import LintError
from .analysis import walk
from .facts import Facts
from .issues import Issue
from .migration_rules import judge_migration
from .report import Finding, LintResult
from .rules import RULES
from .selection import baseline_keys, migration_file, select


def lint_migrations(
    app_label: str | None = None,
    migration_name: str | None = None,
    *,
    since: str | None = None,
    unapplied: bool = False,
    migrations: Iterable[Key] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    baseline: Mapping[str, str] | None = None,
    server_version: tuple[int, int] | None = None,
    lock_timeout: bool | None = None,
) -> LintResult:
    """Lint migrations for the locks they take and for what they break in a blue/green deploy.

    Each operation is judged with the project state at that point of the graph and the
    SQL Django will run for it on PostgreSQL, for the version of the server `using`.

    Args:
        app_label: Lint only this app's migrations.
        migration_name: With `app_label`: only this migration (a prefix of its name).
        since: Only the migrations whose files were added or changed since this git
            revision (committed or not). They are taken as one release.
        unapplied: Only the migrations not applied on `using`, taken as one release.
        migrations: Exactly these ``(app_label, name)`` migrations, taken as one release
            (what ``apply_migrations --lint`` passes).
        using: The database alias: its server's version, function volatility and session
            ``lock_timeout`` are used, and its applied migrations for `unapplied`.
        baseline: App label → migration name: that migration and the earlier ones of its
            app are not linted. Defaults to ``TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE``.
        server_version: Judge for this ``(major, minor)`` instead of the server's.
        lock_timeout: Whether migrations run with a ``lock_timeout`` (rule PG100); by
            default, whether the session of `using` has one.

    Returns:
        The findings, those accepted by ``safety_assured``, and what was linted.

    Raises:
        LintError: The app, migration, git revision or baseline is unknown, `since` and
            `unapplied` are combined, or `using` is not PostgreSQL.
    """
    if since is not None and unapplied:
        raise LintError("Choose --since or --unapplied, not both.")
    try:
        require_postgresql(using, feature="The migration linter")
    except NotPostgreSQL as error:
        raise LintError(str(error)) from error
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    selected, release = select(
        loader, app_label, migration_name, since=since, unapplied=unapplied, keys=migrations
    )
    skipped = baseline_keys(loader, lint_baseline() if baseline is None else baseline)
    result = LintResult(
        linted=[key for key in selected if key not in skipped],
        server_version=server_version or read_server_version(using),
        skipped=[key for key in selected if key in skipped],
    )
    facts = Facts(
        using,
        result.server_version,
        release,
        _session_lock_timeout(using) if lock_timeout is None else lock_timeout,
    )
    for key, migration, units, relaxed in walk(loader, set(result.linted), using):
        if units is None:
            facts.record_relaxed(relaxed, key)
            continue
        assured = assurances(migration)
        for issue in judge_migration(key, migration, units, facts):
            finding = _finding(key, migration, issue)
            if finding.code in assured:
                result.suppressed.append(_suppressed(finding, assured[finding.code]))
            else:
                result.findings.append(finding)
    return result


def assurances(migration: Migration) -> dict[str, str]:
    """The rules a migration's ``safety_assured`` markers accept: code → reason."""
    found: dict[str, str] = {}
    for operation in migration.operations:
        if getattr(operation, "lint_marker", False):
            marker: Any = operation
            for code in marker.rules:
                found[code] = marker.reason
    return found


def _suppressed(finding: Finding, reason: str) -> Finding:
    return replace(finding, suppressed_by=reason)


def _session_lock_timeout(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        value = str(cursor.fetchone()[0])
    return value not in ("0", "0ms")


def _finding(key: Key, migration: Migration, issue: Issue) -> Finding:
    unit = issue.unit
    position = unit.position if unit is not None else None
    path = migration_file(migration)
    return Finding(
        code=issue.code,
        severity=RULES[issue.code].severity,
        migration=key,
        operation=position,
        operation_description=unit.description if unit is not None else "",
        table=issue.table,
        lock=issue.lock,
        effect=issue.effect,
        message=issue.message,
        fix=issue.fix,
        path=_shown_path(path),
        line=_line(path, position) if path is not None else None,
    )


def _shown_path(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _line(path: Path, position: int | None) -> int | None:
    lines = _operation_lines(str(path))
    if not lines:
        return None
    if position is None or position > len(lines):
        return lines[0][0]
    return lines[position - 1][1]


@functools.lru_cache(maxsize=1024)
def _operation_lines(path: str) -> tuple[tuple[int, int], ...]:
    """``((line of the class, line of operation 1), ...)`` for the Migration in `path`."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                target = statement.targets[0]
                if (
                    isinstance(target, ast.Name)
                    and target.id == "operations"
                    and isinstance(statement.value, ast.List)
                ):
                    return tuple((node.lineno, element.lineno) for element in statement.value.elts)
            return ((node.lineno, node.lineno),)
    return ()
