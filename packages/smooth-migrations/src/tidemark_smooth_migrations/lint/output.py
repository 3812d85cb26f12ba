"""The linter's output for the command: text, JSON or GitHub annotations."""

from __future__ import annotations

import json

from .report import LintResult, github_line, text_lines


def render(result: LintResult, output: str, *, warnings_as_errors: bool = False) -> list[str]:
    """The lines to print for `result` in `output` format (``text``, ``json``, ``github``)."""
    if output == "json":
        return [json.dumps(result.as_dict(warnings_as_errors), indent=2)]
    if output == "github":
        lines = [github_line(finding) for finding in result.findings]
        return [*lines, result.summary()]
    lines = []
    for finding in result.findings:
        lines.extend(text_lines(finding))
        lines.append("")
    for finding in result.suppressed:
        lines.append(f"suppressed {finding.code} {finding.where()}: {finding.suppressed_by}")
    major, minor = result.server_version
    lines.append(f"{result.summary()} (rules for PostgreSQL {major}.{minor})")
    return lines
