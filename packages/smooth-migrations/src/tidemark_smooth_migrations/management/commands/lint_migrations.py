"""``manage.py lint_migrations``: find migrations that lock tables or break the previous release."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tidemark_core.output import JsonOutput

from ...exceptions import LintError
from ...lint.api import lint_migrations
from ...lint.output import render


class Command(BaseCommand):
    help = (
        "Lint migrations for the PostgreSQL locks they take and for what they break while the "
        "previous release still runs. Exits 1 on errors (and warnings with --warnings-as-errors)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", nargs="?", help="Lint only this app's migrations.")
        parser.add_argument("migration_name", nargs="?", help="Lint only this migration.")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--since",
            metavar="GIT_REF",
            help="Lint the migrations added or changed since this git revision.",
        )
        scope.add_argument(
            "--unapplied",
            action="store_true",
            help="Lint the migrations not applied on --database.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database whose server version, settings and applied migrations count.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--github",
            action="store_true",
            help="Print GitHub Actions annotations (the default on GitHub Actions).",
        )
        parser.add_argument(
            "--warnings-as-errors", action="store_true", help="Fail on warnings too."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = lint_migrations(
                options["app_label"],
                options["migration_name"],
                since=options["since"],
                unapplied=options["unapplied"],
                using=options["database"],
            )
        except LintError as error:
            JsonOutput(self.stdout, options["json"]).write({"error": str(error)}, ok=False)
            raise CommandError(str(error)) from error
        github = options["github"] or os.environ.get("GITHUB_ACTIONS") == "true"
        output = "json" if options["json"] else "github" if github else "text"
        strict = options["warnings_as_errors"]
        for line in render(result, output, warnings_as_errors=strict):
            self.stdout.write(line)
        if result.failed(strict):
            raise CommandError(
                f"{len(result.errors)} error(s) and {len(result.warnings)} warning(s) in "
                "the migrations: see above.",
                returncode=1,
            )
