"""`safety_assured()`: accept, in a migration and with a reason, what the linter reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from .lint.rules import check_codes


class SafetyAssured(Operation):
    """A marker operation: the migration's findings of these rules were reviewed.

    It changes neither the state nor the database. Build it with `safety_assured`.
    """

    reduces_to_sql = True
    reversible = True
    lint_marker = True

    def __init__(self, *, reason: str, rules: Sequence[str]) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(
                "safety_assured() needs a reason: say what you checked, e.g. "
                'reason="legacy_code was deprecated in release 1.4".'
            )
        self.reason = reason.strip()
        self.rules = check_codes(rules, "safety_assured()")

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Nothing changes."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Nothing runs."""

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Nothing runs."""

    def describe(self) -> str:
        return f"Safety assured for {', '.join(self.rules)}: {self.reason}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return type(self).__name__, [], {"reason": self.reason, "rules": list(self.rules)}


def safety_assured(*, reason: str, rules: Sequence[str]) -> SafetyAssured:
    """Accept the linter's findings of `rules` in the migration that holds this marker.

    Put it in the migration's ``operations``; the findings of those rules in that migration
    are reported as suppressed, with the reason, instead of failing the lint::

        operations = [
            smooth.safety_assured(reason="Coupon deprecated in 1.4", rules=["PG013"]),
            migrations.DeleteModel("Coupon"),
        ]

    Args:
        reason: Why it is safe: what a reviewer should read. Required.
        rules: The rule codes it accepts, e.g. ``["PG013"]``. Required.

    Raises:
        ValueError: The reason is empty, or the rules are missing or unknown.
    """
    return SafetyAssured(reason=reason, rules=rules)
