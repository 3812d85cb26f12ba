"""``manage.py rollback_migrations``: bring the database to the state of a saved release."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandParser

from tidemark_core import IrreversibleStepsError, Resolution, TidemarkError
from tidemark_core.progress import MigrationLines, migration_progress

from ...listing import history_data, history_lines
from ...lookup import find_state
from ...resolving import resolve_run
from ...rollback import RollbackPlan, plan_rollback, rollback
from ...wording import NO_DIFF
from ..base import StateCommand

GOAL = {"recover": "the applied migrations it started from", "resume": "its target"}


class Command(StateCommand):
    help = (
        "Roll the migrations of all apps back (or forward) to the exact state saved for a tag "
        "or commit; without -t/-c, to the release in force before the current one. "
        "Everything is checked before the first statement. --list shows the states, "
        "rollbacks and runs; --recover / --resume resolve a run that was interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--list", action="store_true", help="Show the saved states, rollbacks and runs."
        )
        target = parser.add_mutually_exclusive_group()
        target.add_argument("-t", "--tag", help="Tag of the saved state to roll back to.")
        target.add_argument(
            "-c", "--commit", help="Commit of the saved state (a unique prefix is enough)."
        )
        target.add_argument(
            "--recover",
            action="store_true",
            help="Restore the applied migrations an interrupted run started from.",
        )
        target.add_argument(
            "--resume", action="store_true", help="Finish the plan of an interrupted run."
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

    def run_command(self, using: str, options: dict[str, Any]) -> None:
        if options["list"]:
            return self.show_list(using, options)
        if options["recover"] or options["resume"]:
            return self.resolve("recover" if options["recover"] else "resume", using, options)
        planned = self.plan(using, options)
        if options["fake"] or options["plan"] or options["sql"]:
            return self.preview(planned, options)
        return self.run(planned, options)

    def show_list(self, using: str, options: dict[str, Any]) -> None:
        others = ("tag", "commit", "fake", "plan", "sql", "recover", "resume")
        if any(options[name] for name in others):
            raise self.failure(
                "--list should be used without -t, -c, --fake, --plan, --sql, --recover or "
                "--resume."
            )
        if self.as_json:
            self.dump(history_data(using))
        else:
            for line in history_lines(using):
                self.stdout.write(line)

    def plan(self, using: str, options: dict[str, Any]) -> RollbackPlan:
        if options["fake"]:
            self.say("warning", "Running rollback with --fake option.")
        target = find_state(
            commit=options["commit"], tag=options["tag"], using=using, path=options["path"]
        )
        planned = plan_rollback(target, using=using)
        if not planned.plan:
            self.say("info", NO_DIFF)
        source = planned.source.label if planned.source else "(no current state)"
        self.say("info", f"Running rollback from commit {source} to commit {target.label}.")
        return planned

    def run(self, planned: RollbackPlan, options: dict[str, Any]) -> None:
        planned.check()
        if not planned.plan:
            self.say("info", "There is no migrations to rollback.")
        elif not self.confirm(planned, options):
            raise self.failure("Rollback cancelled; nothing was changed.")
        total = len(planned.plan)
        with migration_progress(
            self.stdout, total=total, title="Rolling back", quiet=self.as_json
        ) as callback:
            try:
                record = rollback(planned.target, using=planned.using, progress_callback=callback)
            except TidemarkError:
                raise
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
            applied = [list(key) for key in sorted(record.applied_after or ())]
            data = self.plan_data(planned, sql=False)
            self.dump({**data, "executed": True, "result": record.result, "applied": applied})

    def confirm(self, planned: RollbackPlan, options: dict[str, Any]) -> bool:
        if not options["interactive"] or not sys.stdin.isatty():
            return True
        self.stdout.write("\n".join(planned.describe()))
        answer = input(f"Run these {len(planned.plan)} steps on {planned.using!r}? [y/N] ")
        return answer.strip().lower() in {"y", "yes"}

    def preview(self, planned: RollbackPlan, options: dict[str, Any]) -> None:
        """--fake, --plan, --sql: exit non-zero exactly when the rollback would refuse."""
        try:
            planned.check()
            refusal = None
        except IrreversibleStepsError as error:
            refusal = str(error)
        if self.as_json:
            data = self.plan_data(planned, sql=options["sql"])
            self.dump({**data, "executed": False, "error": refusal}, ok=refusal is None)
        else:
            self.show_steps(planned, options["sql"])
        if refusal is not None:
            raise self.failure(refusal)
        if options["fake"]:
            self.say("info", "Rollback successfully finished with `--fake` option.", success=True)
        else:
            self.say("info", "Nothing was changed.")

    def show_steps(self, planned: RollbackPlan, sql: bool) -> None:
        if sql:
            for step, statements in planned.sql():
                self.stdout.write(f"-- {step.describe()}")
                for statement in statements:
                    self.stdout.write(statement)
            return
        steps = planned.describe()
        for number, line in enumerate(steps, 1):
            self.say("info", f"{number}. {line}")
        if not steps:
            self.say("info", "There is no migrations to rollback.")

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

    def resolve(self, how: str, using: str, options: dict[str, Any]) -> None:
        """--recover / --resume (with --plan: what they would do)."""
        if options["fake"] or options["sql"]:
            raise self.failure("--recover and --resume preview with --plan only.")
        resolution = resolve_run(
            how,  # type: ignore[arg-type]
            using=using,
            dry_run=options["plan"],
            progress_callback=self.resolve_progress,
        )
        self.report_resolution(resolution, options["plan"])

    def resolve_progress(
        self, action: str, migration: Any = None, *args: Any, **extra: Any
    ) -> None:
        if action == "resolve_start":
            for run in extra["runs"]:
                self.say("warning", f"Interrupted {run.describe()}.")
            self.say("info", f"Bringing the database to {GOAL[extra['how']]}:")
        elif not self.as_json:
            MigrationLines(self.stdout, self.style.SUCCESS)(action, migration)

    def report_resolution(self, resolution: Resolution, preview: bool) -> None:
        success = resolution.run is not None
        self.say("info", resolution.summary(), success=success)
        self.dump(resolution.as_dict())
