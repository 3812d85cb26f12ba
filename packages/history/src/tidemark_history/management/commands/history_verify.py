"""`manage.py history_verify [--database ALIAS] [--json]`: for monitoring; non-zero on a problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...cli import add_common_arguments, plural, running
from ...verify import TriggerProblem, verify_triggers


class Command(BaseCommand):
    help = (
        "Check that every Tidemark trigger (capture triggers of tracked models, append-only "
        "guards of event tables and of the context table) is installed, enabled and the "
        "version this code renders. Exits non-zero when one is missing, disabled or outdated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with running(self, options) as (output, using):
            count, problems = verify_triggers(using)
            document = {"triggers": count, "problems": [vars(p) for p in problems]}
            output.write(document, ok=not problems)
            if problems:
                raise CommandError(self.failure(problems, count, using, options["json"]))
        if not options["json"]:
            self.stdout.write(
                f"All {plural(count, 'Tidemark trigger')} on {using!r} are installed, "
                "enabled and current."
            )

    def failure(self, problems: list[TriggerProblem], count: int, using: str, json: bool) -> str:
        for problem in [] if json else problems:
            self.stderr.write(str(problem))
        verb = "is" if len(problems) == 1 else "are"
        return (
            f"{len(problems)} of the {plural(count, 'Tidemark trigger')} on {using!r} {verb} "
            "missing, disabled or outdated: changes may go unrecorded or history unprotected."
        )
