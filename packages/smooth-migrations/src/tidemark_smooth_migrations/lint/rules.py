"""The rule catalogue of the migration linter: one code per unsafe pattern.

The codes are those of the lock reference (PG001...PG106); the docs page
``docs/smooth-migrations/linter.md`` shows each rule with an example and its fix.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One rule of the linter.

    Attributes:
        code: Its public code, e.g. ``PG001``.
        title: What it catches, in a few words.
        severity: ``error`` (fails the lint) or ``warning`` (fails it with
            ``--warnings-as-errors``).
    """

    code: str
    title: str
    severity: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("PG001", "CREATE INDEX without CONCURRENTLY on an existing table", ERROR),
        Rule("PG002", "DROP INDEX without CONCURRENTLY on an existing table", WARNING),
        Rule("PG003", "Unique constraint or unique index built under a blocking lock", ERROR),
        Rule("PG004", "Primary key added to an existing table", ERROR),
        Rule("PG005", "Foreign key validated under a lock on both tables", ERROR),
        Rule("PG006", "CHECK constraint validated under an ACCESS EXCLUSIVE lock", ERROR),
        Rule("PG007", "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock", ERROR),
        Rule("PG008", "NOT NULL column added without a database default", ERROR),
        Rule("PG009", "Database default dropped while the previous release relies on it", ERROR),
        Rule("PG010", "Column added with a volatile default, identity or stored generation", ERROR),
        Rule("PG011", "Column type changed with a table rewrite", ERROR),
        Rule("PG012", "Column dropped that the previous release still uses", ERROR),
        Rule("PG013", "Table dropped that the previous release may still use", ERROR),
        Rule("PG014", "Column renamed under the previous release", ERROR),
        Rule("PG015", "Table renamed under the previous release", ERROR),
        Rule("PG016", "Exclusion constraint built under a blocking lock", ERROR),
        Rule("PG017", "REINDEX without CONCURRENTLY", ERROR),
        Rule("PG018", "Table rewritten (VACUUM FULL, CLUSTER, SET TABLESPACE, SET LOGGED)", ERROR),
        Rule("PG019", "TRUNCATE in a migration", ERROR),
        Rule("PG100", "Lock taken without a lock_timeout", WARNING),
        Rule("PG101", "Lock held across a long step in one transaction", ERROR),
        Rule("PG102", "CONCURRENTLY inside a transaction", ERROR),
        Rule("PG103", "Non-atomic migration with several non-idempotent operations", ERROR),
        Rule("PG104", "RunSQL or RunPython without a reverse", ERROR),
        Rule("PG105", "SQL the linter cannot inspect", WARNING),
        Rule("PG106", "Unique column added with a callable default", ERROR),
    )
}
"""Every rule, by code."""


def check_codes(codes: object, where: str) -> tuple[str, ...]:
    """`codes` as a tuple of known rule codes.

    Raises:
        ValueError: `codes` is not a non-empty list of known codes; the message names
            `where` and the unknown codes.
    """
    if isinstance(codes, str) or not isinstance(codes, list | tuple | set | frozenset):
        raise ValueError(f"{where}: rules must be a list of rule codes, e.g. ['PG012'].")
    found = tuple(str(code).upper() for code in codes)
    if not found:
        raise ValueError(f"{where}: name the rules it covers, e.g. rules=['PG012'].")
    unknown = sorted(code for code in found if code not in RULES)
    if unknown:
        raise ValueError(
            f"{where}: unknown rule code(s) {', '.join(unknown)}; the rules are {', '.join(RULES)}."
        )
    return found
