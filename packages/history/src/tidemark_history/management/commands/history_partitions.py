"""`manage.py history_partitions [--ahead N] [--database ALIAS] [--json]`: for cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...cli import add_common_arguments, plural, running
from ...partitions import maintain_partitions


class Command(BaseCommand):
    help = (
        "Create the partitions of the current and coming periods of every partitioned event "
        "table, and move events that landed in a DEFAULT partition to their own. Run it from "
        "cron as the role that owns the tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ahead", type=int, help="Periods to create ahead of the current.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with running(self, options) as (output, using):
            if options["ahead"] is not None and options["ahead"] < 0:
                raise CommandError("--ahead must be 0 or more periods.")
            done = maintain_partitions(options["ahead"], using)
        output.write(
            {
                "tables": [
                    {"model": d.model._meta.label, "created": d.created, "moved": d.moved}
                    for d in done
                ]
            }
        )
        for d in [] if options["json"] else done:
            self.stdout.write(
                f"{d.model._meta.label}: {plural(len(d.created), 'partition')} created, "
                f"{plural(d.moved, 'event')} moved out of the DEFAULT partition"
            )
