"""``manage.py apply_migrations``: ``migrate``, rolled back to the start when anything fails."""

from __future__ import annotations

import json
import sys
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.core.management.commands import migrate
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.module_loading import module_has_submodule

from tidemark_core import TidemarkError
from tidemark_core.progress import MigrationLines

from ...apply import ApplyResult, SaveRelease, apply_migrations
from ...exceptions import ApplyMigrationsError

UNSUPPORTED = {
    "fake": "--fake",
    "fake_initial": "--fake-initial",
    "run_syncdb": "--run-syncdb",
    "prune": "--prune",
}


class Command(migrate.Command):
    help = (
        "Apply migrations like migrate; if one fails, or on SIGINT/SIGTERM, unapply everything "
        "this run applied so the database is back at the migrations it started from."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--allow-irreversible",
            action="store_true",
            help="Run even when a migration could not be undone; a failure after it then "
            "rolls back only to it.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the outcome as JSON (progress: stderr)."
        )
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=None,
            help="Seconds to wait for another deploy's migration lock (default: the setting "
            "TIDEMARK_MIGRATION_LOCK_TIMEOUT, 60).",
        )
        parser.add_argument(
            "--lint",
            action="store_true",
            help="Lint the migrations to apply first (see lint_migrations) and apply nothing "
            "when the linter finds an error.",
        )
        parser.add_argument(
            "--save-state",
            action="store_true",
            help="After a successful run, save the migration state of this release "
            "(needs tidemark_migration_state): the commit from --commit, the setting, "
            "TIDEMARK_RELEASE_COMMIT or git HEAD, checked before anything is applied.",
        )
        parser.add_argument(
            "--commit", help="With --save-state: the release's commit SHA (no git needed)."
        )
        parser.add_argument(
            "--tag",
            dest="tags",
            action="append",
            default=[],
            metavar="TAG",
            help="With --save-state: a tag to store besides the commit's git tags "
            "(repeatable: --tag v1.2 --tag stable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.refuse_options(options)
        self.verbosity = options["verbosity"]
        self.out = OutputWrapper(sys.stderr) if options["json"] else self.stdout
        self.target = (options["app_label"], options["migration_name"])
        self.prepare(options)
        preview = options["plan"] or options["check_unapplied"]
        try:
            result = apply_migrations(
                *self.target,
                using=options["database"],
                allow_irreversible=options["allow_irreversible"] or preview,
                dry_run=preview,
                progress_callback=self.progress,
                lock_timeout=options["lock_timeout"],
                save_release=self.save_release(options),
                lint=options["lint"],
            )
        except ApplyMigrationsError as error:
            self.failed(error.result)
            raise CommandError(str(error)) from error.__cause__
        except TidemarkError as error:
            raise CommandError(str(error)) from error
        self.report(result, options)

    def save_release(self, options: dict[str, Any]) -> SaveRelease | None:
        """What --save-state asks to record, or None."""
        if not options["save_state"]:
            return None
        return SaveRelease(options["commit"], options["tags"])

    def refuse_options(self, options: dict[str, Any]) -> None:
        """Refuse what apply_migrations cannot do, before anything runs."""
        flags = [flag for key, flag in UNSUPPORTED.items() if options.get(key)]
        if flags:
            raise CommandError(
                f"apply_migrations does not support {', '.join(flags)}: it only runs "
                "migrations it can roll back. Use migrate for that."
            )
        if not options["save_state"] and (options["commit"] or options["tags"]):
            raise CommandError("--commit and --tag go with --save-state.")
        if options["save_state"] and (options["plan"] or options["check_unapplied"]):
            raise CommandError(
                "--save-state records the release after applying; --plan and --check apply nothing."
            )

    def prepare(self, options: dict[str, Any]) -> None:
        """What migrate does before planning: checks, signal receivers, the connection."""
        database = options["database"]
        if not options["skip_checks"]:
            self.check(databases=[database])
        for config in apps.get_app_configs():
            # As migrate does: register signal receivers that live in management modules.
            if module_has_submodule(config.module, "management"):
                import_module(".management", config.name)
        connections[database].prepare_database()

    def report(self, result: ApplyResult, options: dict[str, Any]) -> None:
        """Print the plan, the saved release and the JSON outcome; exit 1 for --check."""
        if options["plan"]:
            self.show_plan(result, options["allow_irreversible"], options["json"])
        elif options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        if result.saved_release is not None and self.verbosity >= 1:
            for level, text in result.saved_release.messages():
                style = self.style.WARNING if level == "warning" else self.style.SUCCESS
                self.out.write(style(text))
        if options["check_unapplied"] and result.plan:
            sys.exit(1)

    def header(self, plan: Any) -> None:
        """migrate's heading, once the plan is made and the lock is held."""
        app_label, name = self.target
        self.out.write(self.style.MIGRATE_HEADING("Operations to perform:"))
        if app_label and name:
            self.out.write(f"  Target specific migration: {name}, from {app_label}")
        else:
            labels = [app_label] if app_label else sorted(MigrationLoader(None).migrated_apps)
            self.out.write(f"  Apply all migrations: {', '.join(labels)}")
        self.out.write(self.style.MIGRATE_HEADING("Running migrations:"))
        if not plan:
            self.out.write("  No migrations to apply.")

    def progress(
        self, action: str, migration: Any = None, fake: bool = False, **extra: Any
    ) -> None:
        out, style = self.out, self.style
        if action == "rollback_start":
            out.write(style.ERROR(str(extra["error"])))
        if self.verbosity < 1:
            return
        if action == "run_start":
            self.header(extra["plan"])
        elif action in ("apply_failed", "unapply_failed"):
            out.write(style.ERROR(" FAIL"))
        elif action == "rollback_start":
            out.write(
                style.MIGRATE_HEADING("Rolling back to the migrations applied before this run:")
            )
        elif action == "rollback_failed":
            out.write(style.ERROR(f" FAIL\nThe rollback failed: {extra['error']}"))
        else:
            MigrationLines(out, style.SUCCESS)(action, migration)

    def failed(self, result: ApplyResult) -> None:
        if result.left_applied:
            names = ", ".join(f"{app}.{name}" for app, name in sorted(result.left_applied))
            self.out.write(self.style.WARNING(f"Still applied after the rollback: {names}"))
        if result.partial:
            self.out.write(
                self.style.WARNING(
                    f"{result.failed} is not atomic; the operations it ran before the error "
                    "stay in the database: " + "; ".join(result.partial)
                )
            )
        self.out.write(self.style.ERROR("Exception detail:"))
        self.out.write(result.traceback or "", ending="")
        if self.out is not self.stdout:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))

    def show_plan(self, result: ApplyResult, allowed: bool, as_json: bool) -> None:
        refused = [step for step in result.plan.forwards if step.irreversible]
        if as_json:
            data = result.as_dict()
            data["refused"] = bool(refused) and not allowed
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(self.style.MIGRATE_HEADING("Planned operations:"))
        for line in result.plan.describe():
            self.stdout.write(f"  {line}")
        if not result.plan:
            self.stdout.write("  No planned migration operations.")
        if refused and not allowed:
            self.stdout.write(
                self.style.WARNING(
                    "apply_migrations would refuse this plan: these steps could not be "
                    "undone: " + ", ".join(step.label for step in refused) + ". Give them a "
                    "reverse, or pass --allow-irreversible."
                )
            )
