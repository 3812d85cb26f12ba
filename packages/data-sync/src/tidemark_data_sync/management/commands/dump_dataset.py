"""`manage.py dump_dataset NAME[:ARGS] [-o FILE | -] [--database ALIAS]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from ...cli import run_dump


class Command(BaseCommand):
    help = "Dump a dataset as JSON Lines (a manifest line, then one object per line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", metavar="NAME[:ARGS]", help="The dataset and its arguments.")
        parser.add_argument("-o", "--output", default="-", help="The file to write; - for stdout.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to read.")

    def handle(self, *args: Any, **options: Any) -> None:
        run_dump(
            self,
            options["dataset"],
            options["output"],
            options["database"],
            summary=options["verbosity"] > 0,
        )
