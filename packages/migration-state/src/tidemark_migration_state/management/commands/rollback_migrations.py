"""``manage.py rollback_migrations``: bring the database to the state of a saved release."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandParser

from tidemark_core import TidemarkError

from ...listing import history_data, history_lines
from ...rollback import RollbackPlan, plan_rollback, rollback
from ...states import find_state
from ..base import StateCommand
from ..progress import progress


class Command(StateCommand):
    help = (
        "Roll the migrations of all apps back (or forward) to the exact state saved for a tag "
        "or commit; without -t/-c, to the state saved before the current one. Everything is "
        "checked before the first statement. --list shows the states and rollbacks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--list", action="store_true", help="Show the saved states and rollbacks."
        )
        target = parser.add_mutually_exclusive_group()
        target.add_argument("-t", "--tag", help="Tag of the saved state to roll back to.")
        target.add_argument(
            "-c", "--commit", help="Commit of the saved state (a unique prefix is enough)."
        )
        parser.add_argument(
            "--fake",
            action="store_true",
            help="Only print what would run, without changing the database.",
        )
        parser.add_argument(
            "--plan", action="store_true", help="Print the exact steps and change nothing."
        )
        parser.add_argument(
            "--sql", action="store_true", help="Print each step's SQL and change nothing."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation on a terminal.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = self.setup(options)
        preview = options["fake"] or options["plan"] or options["sql"]
        try:
            if options["list"]:
                if options["tag"] or options["commit"] or preview:
                    raise self.failure(
                        "--list should be used without -t, -c, --fake, --plan or --sql."
                    )
                if self.as_json:
                    self.dump(history_data(using))
                else:
                    for line in history_lines(using):
                        self.stdout.write(line)
                return
            if options["fake"]:
                self.say("warning", "Running rollback with --fake option.")
            target = find_state(
                commit=options["commit"], tag=options["tag"], using=using, path=options["path"]
            )
            planned = plan_rollback(target, using=using)
        except TidemarkError as error:
            raise self.failure(str(error)) from error
        source = planned.source.label if planned.source else "(no current state)"
        self.say("info", f"Running rollback from commit {source} to commit {target.label}.")
        if preview:
            self.preview(planned, options)
            return
        try:
            planned.check()
        except TidemarkError as error:
            raise self.failure(str(error)) from error
        if not planned.plan:
            self.say("info", "There is no migrations to rollback.")
        elif not self.confirm(planned, options):
            raise self.failure("Rollback cancelled; nothing was changed.")
        with progress(self.stdout, len(planned.plan), self.as_json) as callback:
            try:
                record = rollback(target, using=using, progress_callback=callback)
            except TidemarkError as error:
                raise self.failure(str(error)) from error
            except Exception as error:
                raise self.failure(
                    f"Rollback failed: {type(error).__name__}: {error}\nThe steps before the "
                    "failing one stay applied (each migration is atomic on its own), and the "
                    "rollback is recorded as failed (see --list). Fix the cause and run the "
                    "same command again."
                ) from error
        if record.steps:
            # The terminal saw them as progress; the logger gets them in one message.
            self.say("info", "Steps run:\n- " + "\n- ".join(record.steps), echo=False)
        self.say("info", "Rollback successfully finished.", success=True)
        if self.as_json:
            self.dump(
                {
                    **self.plan_data(planned, sql=False),
                    "executed": True,
                    "result": record.result,
                    "applied": [list(key) for key in sorted(record.applied_after or ())],
                }
            )

    def confirm(self, planned: RollbackPlan, options: dict[str, Any]) -> bool:
        if not options["interactive"] or not sys.stdin.isatty():
            return True
        self.stdout.write("\n".join(planned.describe()))
        answer = input(f"Run these {len(planned.plan)} steps on {planned.using!r}? [y/N] ")
        return answer.strip().lower() in {"y", "yes"}

    def preview(self, planned: RollbackPlan, options: dict[str, Any]) -> None:
        if self.as_json:
            self.dump({**self.plan_data(planned, sql=options["sql"]), "executed": False})
        elif options["sql"]:
            for step, statements in planned.sql():
                self.stdout.write(f"-- {step.describe()}")
                for statement in statements:
                    self.stdout.write(statement)
        else:
            steps = planned.describe()
            for number, line in enumerate(steps, 1):
                self.say("info", f"{number}. {line}")
            if not steps:
                self.say("info", "There is no migrations to rollback.")
        if planned.blocked:
            try:
                planned.check()
            except TidemarkError as error:
                raise self.failure(str(error)) from error
        if options["fake"]:
            self.say("info", "Rollback successfully finished with `--fake` option.", success=True)
        else:
            self.say("info", "Nothing was changed.")

    def plan_data(self, planned: RollbackPlan, *, sql: bool) -> dict[str, Any]:
        statements = [sql_lines for _, sql_lines in planned.sql()] if sql else []
        return {
            "database": planned.using,
            "from": planned.source.commit if planned.source else None,
            "to": planned.target.commit,
            "to_tags": list(planned.target.tags),
            "steps": [
                {
                    "migration": step.label,
                    "backwards": step.backwards,
                    "irreversible": [operation.describe() for operation in step.irreversible],
                    **({"sql": statements[index]} if sql else {}),
                }
                for index, step in enumerate(planned.plan)
            ],
        }
