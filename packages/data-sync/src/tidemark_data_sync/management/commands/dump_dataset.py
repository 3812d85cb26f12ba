"""`manage.py dump_dataset NAME[:ARGS] [-o FILE | -] [--database ALIAS]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tidemark_core import TidemarkError

from ...dumping import iter_dump


class Command(BaseCommand):
    help = "Dump a dataset as JSON Lines (a manifest line, then one object per line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", metavar="NAME[:ARGS]", help="The dataset and its arguments.")
        parser.add_argument("-o", "--output", default="-", help="The file to write; - for stdout.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to read.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lines = iter_dump(options["dataset"], using=options["database"])
            if options["output"] == "-":
                for line in lines:
                    self.stdout.write(line, ending="")
            else:
                with open(options["output"], "w", encoding="utf-8") as output:
                    output.writelines(lines)
        except TidemarkError as error:
            raise CommandError(str(error)) from error
