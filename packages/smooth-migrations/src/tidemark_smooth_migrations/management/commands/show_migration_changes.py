"""``manage.py show_migration_changes``: the contract steps the next release should finish."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tidemark_core.output import JsonOutput

from ...changes import HEADINGS, KINDS, overdue, report
from ...conf import max_releases


class Command(BaseCommand):
    help = (
        "List new fields, backward-compatible models, deprecated fields and deprecated models: "
        "the contract steps left for the next release. --check fails when any is overdue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit non-zero when a change outlived TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES "
            "saved releases (without tidemark_migration_state: when any change exists).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database whose saved releases date the changes (default: default).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changes, dated = report(options["database"])
        limit = max_releases()
        late = overdue(changes, limit, dated=dated)
        error = self.failure(late, limit, dated) if options["check"] and late else None
        if options["json"]:
            data: dict[str, Any] = {
                kind: [c.as_dict() for c in changes if c.kind == kind] for kind in KINDS
            }
            data["dated"] = dated
            data["overdue"] = [change.label for change in late]
            data["error"] = error
            JsonOutput(self.stdout, True).write(data, ok=error is None)
        else:
            self.show(changes, dated)
        if error is not None:
            raise CommandError(error)

    @staticmethod
    def failure(late: list[Any], limit: int, dated: bool) -> str:
        """Why ``--check`` fails."""
        reason = (
            f"have existed for more than {limit} saved release(s)" if dated else "are still pending"
        )
        return (
            f"{len(late)} backward-compatibility change(s) {reason}: "
            + ", ".join(change.label for change in late)
            + ". Finish the contract step (see show_migration_changes)."
        )

    def show(self, changes: list[Any], dated: bool) -> None:
        if not changes:
            self.stdout.write("No backward-compatibility changes pending.")
            return
        for kind in KINDS:
            found = [change for change in changes if change.kind == kind]
            if not found:
                continue
            self.stdout.write(self.style.MIGRATE_HEADING(HEADINGS[kind] + ":"))
            for change in found:
                line = f"  {change.label}"
                if dated:
                    line += (
                        f"  (since release {change.since}, {change.releases} release(s))"
                        if change.since
                        else "  (not in a saved release yet)"
                    )
                self.stdout.write(line)
