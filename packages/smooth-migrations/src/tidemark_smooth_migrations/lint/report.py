"""What the linter found: findings, the result of a run, and its text, JSON and GitHub forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tidemark_core import Key

from .rules import ERROR, RULES, WARNING


@dataclass(frozen=True)
class Finding:
    """One unsafe pattern in one migration.

    Attributes:
        code: The rule code, e.g. ``PG001`` (see `RULES`).
        severity: ``error`` or ``warning``.
        migration: The migration as ``(app_label, name)``.
        operation: The operation's position in ``Migration.operations`` (1-based), or None
            for a finding about the whole migration.
        operation_description: What Django says the operation does.
        table: The table concerned, when there is one.
        lock: The PostgreSQL lock it takes on that table, when it takes one.
        effect: What the lock or change does to the running application, in words.
        message: The problem in one sentence.
        fix: A safe alternative to paste.
        path: The migration's file, when known.
        line: The operation's line in that file, when known.
        suppressed_by: The reason of the ``safety_assured`` marker that accepts it, if any.
    """

    code: str
    severity: str
    migration: Key
    operation: int | None
    operation_description: str
    table: str | None
    lock: str | None
    effect: str
    message: str
    fix: str
    path: str | None = None
    line: int | None = None
    suppressed_by: str | None = None

    @property
    def label(self) -> str:
        """``app_label.migration_name``."""
        return ".".join(self.migration)

    @property
    def title(self) -> str:
        """The rule's title."""
        return RULES[self.code].title

    def where(self) -> str:
        """The migration and the operation, e.g. ``shop.0004_x, operation 2 (Add field ...)``."""
        if self.operation is None:
            return self.label
        return f"{self.label}, operation {self.operation} ({self.operation_description})"

    def describe(self) -> str:
        """The finding in one paragraph: where, what, the lock and its effect."""
        text = f"{self.message}"
        if self.lock:
            article = "an" if self.lock[0] in "AEIOU" else "a"
            text += f" It takes {article} {self.lock} lock on {self.table}: {self.effect}."
        return text

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "migration": self.label,
            "operation": self.operation,
            "operation_description": self.operation_description,
            "table": self.table,
            "lock": self.lock,
            "effect": self.effect,
            "message": self.message,
            "fix": self.fix,
            "path": self.path,
            "line": self.line,
            "suppressed_by": self.suppressed_by,
        }


@dataclass
class LintResult:
    """The outcome of `lint_migrations`.

    Attributes:
        linted: The migrations linted, in the order they apply.
        findings: What was found and not suppressed, in migration order.
        suppressed: What was found and accepted by a ``safety_assured`` marker.
        server_version: The PostgreSQL version the rules were judged for, ``(major, minor)``.
        skipped: Migrations left out by the baseline.
    """

    linted: list[Key]
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    server_version: tuple[int, int] = (0, 0)
    skipped: list[Key] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """The findings of severity ``error``."""
        return [finding for finding in self.findings if finding.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings of severity ``warning``."""
        return [finding for finding in self.findings if finding.severity == WARNING]

    def failed(self, warnings_as_errors: bool = False) -> bool:
        """Whether the lint fails: any error, or any warning with `warnings_as_errors`."""
        return bool(self.errors or (warnings_as_errors and self.warnings))

    def as_dict(self, warnings_as_errors: bool = False) -> dict[str, Any]:
        """JSON-ready data."""
        major, minor = self.server_version
        return {
            "ok": not self.failed(warnings_as_errors),
            "server_version": f"{major}.{minor}",
            "linted": [".".join(key) for key in self.linted],
            "skipped_by_baseline": [".".join(key) for key in self.skipped],
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [finding.as_dict() for finding in self.findings],
            "suppressed": [finding.as_dict() for finding in self.suppressed],
        }

    def summary(self) -> str:
        """One line: how many migrations, errors, warnings and suppressed findings."""
        return (
            f"{len(self.linted)} migration(s) linted: {len(self.errors)} error(s), "
            f"{len(self.warnings)} warning(s), {len(self.suppressed)} suppressed."
        )


def text_lines(finding: Finding) -> list[str]:
    """The finding as text: a ``path:line: severity CODE`` head (which editors and CI
    problem matchers pick up), the explanation, then the fix, indented."""
    place = f"{finding.path}:{finding.line or 1}: " if finding.path else ""
    lines = [f"{place}{finding.severity} {finding.code} {finding.where()}"]
    lines.append(f"    {finding.describe()}")
    lines.append("    Safe alternative:")
    lines.extend(f"      {line}" if line else "" for line in finding.fix.splitlines())
    return lines


def _escape_property(text: str) -> str:
    return (
        text.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_line(finding: Finding) -> str:
    """The finding as a GitHub Actions workflow command (an annotation on the file)."""
    properties = []
    if finding.path:
        properties.append(f"file={_escape_property(finding.path)}")
        properties.append(f"line={finding.line or 1}")
    properties.append(f"title={_escape_property(f'{finding.code} {finding.title}')}")
    body = f"{finding.where()}: {finding.describe()}\n\nSafe alternative:\n{finding.fix}"
    return f"::{finding.severity} {','.join(properties)}::{_escape_data(body)}"
