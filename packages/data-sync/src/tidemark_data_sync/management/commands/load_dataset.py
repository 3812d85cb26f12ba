"""`manage.py load_dataset FILE | - [--database] [--plan] [--max-delete N] [--json] ...`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from ...cli import add_load_options, run_load
from ...loading import load


class Command(BaseCommand):
    help = "Load a dataset dump, all or nothing; --plan shows what would change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The dump; - for stdin.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to write.")
        add_load_options(parser)
        parser.add_argument(
            "--ignorenonexistent",
            action="store_true",
            help="Skip fields the dump has and this project's models do not.",
        )
        parser.add_argument(
            "--dataset",
            default=None,
            metavar="NAME[:ARGS]",
            help="The dataset a feincms3-data dump holds (Tidemark dumps name their own).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = sys.stdin.buffer if options["file"] == "-" else options["file"]
        run_load(
            self,
            lambda progress: load(
                source,
                using=options["database"],
                plan=options["plan"],
                max_delete=options["max_delete"],
                ignorenonexistent=options["ignorenonexistent"],
                dataset=options["dataset"],
                progress=progress,
            ),
            options["json"],
        )
