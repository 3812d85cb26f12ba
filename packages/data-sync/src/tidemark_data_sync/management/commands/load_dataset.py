"""`manage.py load_dataset FILE [FILE ...] [--database] [--plan] [--max-delete N] [--json] ..."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from ...cli import add_load_options, run_load
from ...loading import load_many


class Command(BaseCommand):
    help = "Load dataset dumps in order, all or nothing; --plan shows what would change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="The dumps; - for stdin.")
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
            help="The dataset the dumps hold: required for feincms3-data dumps and dumps of "
            "ad-hoc specs, checked against the manifest of the others.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sources = [sys.stdin.buffer if name == "-" else name for name in options["files"]]
        run_load(
            self,
            lambda progress: load_many(
                sources,
                using=options["database"],
                plan=options["plan"],
                max_delete=options["max_delete"],
                ignorenonexistent=options["ignorenonexistent"],
                dataset=options["dataset"],
                progress=progress,
            ),
            options["json"],
        )
