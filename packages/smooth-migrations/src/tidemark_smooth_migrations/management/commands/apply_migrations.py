"""``manage.py apply_migrations``: ``migrate``, rolled back to the start when anything fails."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.core.management.commands import migrate
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.module_loading import module_has_submodule

from tidemark_core import Resolution, TidemarkError
from tidemark_core.output import JsonOutput
from tidemark_core.progress import MigrationLines

from ...apply import ApplyResult, SaveRelease, apply_migrations
from ...exceptions import ApplyMigrationsError
from ...resolving import resolve_run

UNSUPPORTED = {
    "fake": "--fake",
    "fake_initial": "--fake-initial",
    "run_syncdb": "--run-syncdb",
    "prune": "--prune",
}
RESOLVED = {"recover": "the applied migrations it started from", "resume": "its target"}


class Command(migrate.Command):
    help = (
        "Apply migrations like migrate; if one fails, or on SIGINT/SIGTERM, unapply everything "
        "this run applied so the database is back at the migrations it started from. "
        "--recover / --resume resolve a run that was interrupted."
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
            "--atomic",
            action="store_true",
            help="Run the whole plan in one transaction (every migration must be atomic): "
            "any failure or kill leaves the start as it was; locks are held until the end.",
        )
        resolve = parser.add_mutually_exclusive_group()
        resolve.add_argument(
            "--recover",
            action="store_true",
            help="Restore the applied migrations an interrupted run started from.",
        )
        resolve.add_argument(
            "--resume", action="store_true", help="Finish the plan of an interrupted run."
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
        self.json = JsonOutput(self.stdout, options["json"])
        self.target = (options["app_label"], options["migration_name"])
        self.midline = False
        with self.json.failures():
            if options["recover"] or options["resume"]:
                return self.resolve("recover" if options["recover"] else "resume", options)
            self.prepare(options)
            self.report(self.apply(options), options)
        return None

    def apply(self, options: dict[str, Any]) -> ApplyResult:
        """Run (or, with --plan or --check, plan) the migrations."""
        try:
            return apply_migrations(
                *self.target,
                using=options["database"],
                allow_irreversible=options["allow_irreversible"],
                atomic=options["atomic"],
                dry_run=options["plan"] or options["check_unapplied"],
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
        resolving = options["recover"] or options["resume"]
        others = ("app_label", "save_state", "atomic", "lint", "check_unapplied")
        if resolving and any(options[name] for name in others):
            raise CommandError(
                "--recover and --resume work on the interrupted run as it was planned: they "
                "take no app label, migration, --save-state, --atomic, --lint or --check."
            )

    @staticmethod
    def save_release(options: dict[str, Any]) -> SaveRelease | None:
        return SaveRelease(options["commit"], options["tags"]) if options["save_state"] else None

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
        pending = options["check_unapplied"] and bool(result.plan)
        if options["plan"]:
            self.show_plan(result)
        data = result.as_dict()
        if pending and result.ok:
            data["error"] = f"{len(result.plan)} migration step(s) are not applied yet."
        self.json.write(data, ok=result.ok and not pending)
        if result.saved_release is not None and self.verbosity >= 1:
            for level, text in result.saved_release.messages():
                style = self.style.WARNING if level == "warning" else self.style.SUCCESS
                self.out.write(style(text))
        if result.refusal is not None:
            raise CommandError(f"apply_migrations would refuse this plan: {result.refusal}")
        if pending:
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
        if action in ("rollback_start", "session_lost"):
            self.failure_lines(action, extra)
        if self.verbosity < 1:
            return
        if action == "run_start":
            self.header(extra["plan"])
        elif action in ("apply_failed", "unapply_failed"):
            out.write(style.ERROR(" FAIL"))
        elif action == "rollback_start":
            self.rollback_heading(extra["last"])
        elif action == "rollback_empty":
            out.write(
                "  Nothing to unapply: PostgreSQL rolled the plan's transaction back."
                if extra["atomic"]
                else "  Nothing to unapply."
            )
        elif action == "rollback_failed":
            out.write(style.ERROR(f" FAIL\nThe rollback failed: {extra['error']}"))
        elif action in ("lock_wait", "lock_retry"):
            self.lock_lines(action, migration, extra)
        elif action == "resolve_start":
            self.resolve_heading(extra)
        else:
            MigrationLines(out, style.SUCCESS)(action, migration)
            self.midline = action in ("apply_start", "unapply_start")
            return
        self.midline = False

    def failure_lines(self, action: str, extra: dict[str, Any]) -> None:
        """django-smooth-migrations' lines: ``The migration has failed.`` and the error."""
        if action == "rollback_start":
            self.out.write(self.style.ERROR("The migration has failed."))
        self.out.write(self.style.ERROR(str(extra["error"])))

    def rollback_heading(self, last: tuple[str, str] | None) -> None:
        state = f"{last[0]} {last[1]}" if last else "none (no migration was applied)"
        self.out.write(self.style.MIGRATE_HEADING("Operations to perform:"))
        self.out.write(
            self.style.MIGRATE_LABEL(f"  Rolling back to the last migration state: {state}")
        )
        self.out.write(self.style.MIGRATE_HEADING("Running rollback:"))

    def lock_lines(self, action: str, migration: Any, extra: dict[str, Any]) -> None:
        """Who blocks the running statement; a lock timeout and the next try."""
        blockers = extra["blockers"]
        if action == "lock_wait":
            lines = ["    Waiting for a lock held by:"]
            lines += [f"      {blocker.describe()}" for blocker in blockers]
        else:
            held = ", ".join(f"PID {blocker.pid}" for blocker in blockers) or "another session"
            lines = [
                f"    Lock timeout: {extra['error']} ({held}); trying {migration} again in "
                f"{extra['delay']:.1f}s (attempt {extra['attempt']} of {extra['attempts']})."
            ]
        if self.midline:
            self.out.write("")
        self.out.write("\n".join(self.style.WARNING(line) for line in lines))

    def resolve_heading(self, extra: dict[str, Any]) -> None:
        for run in extra["runs"]:
            self.out.write(self.style.WARNING(f"Interrupted {run.describe()}."))
        how = extra["how"]
        self.out.write(self.style.MIGRATE_HEADING(f"Bringing the database to {RESOLVED[how]}:"))
        if not extra["plan"]:
            self.out.write("  No migrations to apply or unapply.")

    def resolve(self, how: str, options: dict[str, Any]) -> None:
        """``--recover`` / ``--resume`` (with ``--plan``: what they would do)."""
        try:
            resolution = resolve_run(
                how,  # type: ignore[arg-type]
                using=options["database"],
                dry_run=options["plan"],
                progress_callback=self.progress,
                lock_timeout=options["lock_timeout"],
            )
        except TidemarkError as error:
            raise CommandError(str(error)) from error
        self.report_resolution(resolution, options["plan"])

    def report_resolution(self, resolution: Resolution, preview: bool) -> None:
        self.out.write(self.style.SUCCESS(resolution.summary()))
        self.json.write(resolution.as_dict())

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
        self.json.write(result.as_dict(), ok=False)

    def show_plan(self, result: ApplyResult) -> None:
        if self.json.enabled:
            return
        self.stdout.write(self.style.MIGRATE_HEADING("Planned operations:"))
        for line in result.plan.describe():
            self.stdout.write(f"  {line}")
        if not result.plan:
            self.stdout.write("  No planned migration operations.")
