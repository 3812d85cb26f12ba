"""``apply_migrations(lint=True)``: refuse a plan with linter errors before its first statement."""

from __future__ import annotations

from tidemark_core import Plan

from ..exceptions import UnsafeMigrationsError
from .api import lint_migrations
from .report import LintResult, text_lines


def refuse_unsafe(plan: Plan, using: str, *, lock_timeout: bool | None = None) -> LintResult | None:
    """Lint the migrations `plan` applies, as one release; raise when it finds an error.

    `lock_timeout`: whether the run gives its statements a ``lock_timeout`` (rule PG100;
    by default, whether the session has one).

    Returns:
        The lint result (None when the plan applies nothing).

    Raises:
        UnsafeMigrationsError: The linter found errors; the message lists them with their
            fixes, and its ``result`` holds the findings.
    """
    keys = [step.key for step in plan.forwards]
    if not keys:
        return None
    result = lint_migrations(migrations=keys, using=using, lock_timeout=lock_timeout)
    if result.errors:
        lines = [line for finding in result.errors for line in [*text_lines(finding), ""]]
        raise UnsafeMigrationsError(
            f"The migration linter found {len(result.errors)} error(s) in the plan, so nothing "
            "was applied:\n\n" + "\n".join(lines) + "\nFix them, accept the ones you reviewed "
            "with smooth.safety_assured(reason=..., rules=[...]) in the migration, or run "
            "without --lint.",
            result,
        )
    return result
