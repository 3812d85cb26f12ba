"""`manage.py sync_dataset NAME[:ARGS] --from ALIAS --to ALIAS [--plan] [--json]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cli import add_load_options, run_load
from ...syncing import sync


class Command(BaseCommand):
    help = "Dump a dataset from one database and load it into another, streaming."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", metavar="NAME[:ARGS]", help="The dataset and its arguments.")
        parser.add_argument("--from", dest="source", required=True, help="The database to read.")
        parser.add_argument("--to", dest="target", required=True, help="The database to write.")
        add_load_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_load(
            self,
            lambda progress: [
                sync(
                    options["dataset"],
                    source=options["source"],
                    target=options["target"],
                    plan=options["plan"],
                    max_delete=options["max_delete"],
                    progress=progress,
                )
            ],
            options["json"],
        )
