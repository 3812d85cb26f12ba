"""``manage.py apply_migrations``: ``migrate``, rolled back to the start when anything fails."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.core.management.commands import migrate
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.module_loading import module_has_submodule

from tidemark_core import MIGRATION_LOCK, TidemarkError, advisory_lock

from ...apply import ApplyResult, apply_migrations
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
            default=60.0,
            help="Seconds to wait for another deploy's migration lock (default 60).",
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
        flags = [flag for key, flag in UNSUPPORTED.items() if options.get(key)]
        if flags:
            raise CommandError(
                f"apply_migrations does not support {', '.join(flags)}: it only runs "
                "migrations it can roll back. Use migrate for that."
            )
        database = options["database"]
        self.verbosity = options["verbosity"]
        self.out = OutputWrapper(sys.stderr) if options["json"] else self.stdout
        if not options["skip_checks"]:
            self.check(databases=[database])
        for config in apps.get_app_configs():
            # As migrate does: register signal receivers that live in management modules.
            if module_has_submodule(config.module, "management"):
                import_module(".management", config.name)
        connections[database].prepare_database()
        preview = options["plan"] or options["check_unapplied"]
        app_label, name = options["app_label"], options["migration_name"]
        commit = self.release_to_save(options, database, preview)
        if not preview and self.verbosity >= 1:
            self.header(app_label, name)
        saved: Any = None
        try:
            # With --save-state, one lock over the run and the save: no other deploy between.
            lock = (
                nullcontext()
                if commit is None
                else advisory_lock(MIGRATION_LOCK, using=database, timeout=options["lock_timeout"])
            )
            with lock:
                result = apply_migrations(
                    app_label,
                    name,
                    using=database,
                    allow_irreversible=options["allow_irreversible"] or preview,
                    dry_run=preview,
                    progress_callback=self.progress,
                    lock_timeout=options["lock_timeout"],
                )
                if commit is not None:
                    saved = self.save_state(commit, options["tags"], database)
        except ApplyMigrationsError as error:
            self.failed(error.result)
            raise CommandError(str(error)) from error.__cause__
        except TidemarkError as error:
            raise CommandError(str(error)) from error
        if options["plan"]:
            self.show_plan(result, options["allow_irreversible"], options["json"])
        elif options["json"]:
            data = result.as_dict()
            if saved is not None:
                data["saved_state"] = {
                    "commit": saved.state.commit,
                    "tags": list(saved.state.tags),
                    "outcome": saved.outcome,
                }
            self.stdout.write(json.dumps(data, indent=2))
        if options["check_unapplied"] and result.plan:
            sys.exit(1)

    def release_to_save(self, options: dict[str, Any], database: str, preview: bool) -> str | None:
        """The commit `--save-state` will record, found before anything is applied."""
        if not options["save_state"]:
            if options["commit"] or options["tags"]:
                raise CommandError("--commit and --tag go with --save-state.")
            return None
        if preview:
            raise CommandError(
                "--save-state records the release after applying; --plan and --check apply nothing."
            )
        if not apps.is_installed("tidemark_migration_state"):
            raise CommandError(
                "--save-state needs tidemark_migration_state in INSTALLED_APPS "
                "(pip install django-tidemark-migration-state)."
            )
        if options["app_label"] == "tidemark_migration_state" and options["migration_name"]:
            raise CommandError(
                "--save-state cannot record a release while moving tidemark_migration_state "
                "itself to a target migration: its tables may not be there afterwards."
            )
        if any(not tag.strip() for tag in options["tags"]):
            raise CommandError("Tags must not be empty.")
        state_table = apps.get_model("tidemark_migration_state", "MigrationState")._meta.db_table
        if (
            options["app_label"] not in (None, "tidemark_migration_state")
            and state_table not in connections[database].introspection.table_names()
        ):
            raise CommandError(
                f"--save-state: the tables of tidemark_migration_state do not exist on "
                f"{database!r} yet, and this run migrates only {options['app_label']!r}. Run "
                "apply_migrations for all apps, or migrate tidemark_migration_state first."
            )
        from tidemark_migration_state import current_release

        try:
            return current_release(commit=options["commit"]).commit
        except TidemarkError as error:
            raise CommandError(f"{error} Nothing was applied.") from error

    def save_state(self, commit: str, tags: list[str], database: str) -> Any:
        from tidemark_migration_state import save_state

        try:
            saved = save_state(commit, tags, database)
        except (TidemarkError, DatabaseError) as error:
            raise CommandError(
                f"The migrations were applied, but the release state was not saved: {error} "
                f"Save it with: manage.py save_migrations_state --commit {commit} "
                f"--database {database}"
            ) from error
        if self.verbosity >= 1:
            for level, text in saved.messages():
                style = self.style.WARNING if level == "warning" else self.style.SUCCESS
                self.out.write(style(text))
        return saved

    def header(self, app_label: str | None, name: str | None) -> None:
        self.out.write(self.style.MIGRATE_HEADING("Operations to perform:"))
        if app_label and name:
            self.out.write(f"  Target specific migration: {name}, from {app_label}")
        else:
            labels = [app_label] if app_label else sorted(MigrationLoader(None).migrated_apps)
            self.out.write(f"  Apply all migrations: {', '.join(labels)}")

    def progress(
        self, action: str, migration: Any = None, fake: bool = False, **extra: Any
    ) -> None:
        out, style = self.out, self.style
        if action == "rollback_start":
            out.write(style.ERROR(str(extra["error"])))
        if self.verbosity < 1:
            return
        if action == "run_start":
            out.write(style.MIGRATE_HEADING("Running migrations:"))
            if not extra["plan"]:
                out.write("  No migrations to apply.")
        elif action in ("apply_start", "unapply_start"):
            verb = "Applying" if action == "apply_start" else "Unapplying"
            out.write(f"  {verb} {migration}...", ending="")
            out.flush()
        elif action in ("apply_success", "unapply_success"):
            out.write(style.SUCCESS(" OK"))
        elif action in ("apply_failed", "unapply_failed"):
            out.write(style.ERROR(" FAIL"))
        elif action == "rollback_start":
            out.write(
                style.MIGRATE_HEADING("Rolling back to the migrations applied before this run:")
            )
        elif action == "rollback_failed":
            out.write(style.ERROR(f" FAIL\nThe rollback failed: {extra['error']}"))

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
