"""`manage.py history_prune --before DATE | --older-than 90d [--model app.Model] [--dry-run]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cli import (
    add_common_arguments,
    age,
    model_argument,
    moment,
    progress,
    pruned_lines,
    running,
)
from ...retention import prune


class Command(BaseCommand):
    help = (
        "Remove the events recorded before a date, and the contexts no event points to any "
        "more, through the privileged maintenance path (whole partitions are dropped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--before", type=moment, help="A date or an ISO 8601 datetime.")
        when.add_argument("--older-than", type=age, help="An age: 90d, 12w or 36h.")
        parser.add_argument("--model", help="Only this tracked model (app_label.ModelName).")
        parser.add_argument("--dry-run", action="store_true", help="Count, remove nothing.")
        parser.add_argument("--batch-size", type=int, help="Events per transaction.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with running(self, options) as (output, using), progress(self) as bar:
            model = model_argument(options["model"]) if options["model"] else None
            result = prune(
                options["before"],
                older_than=options["older_than"],
                model=model,
                using=using,
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                progress=bar,
            )
        output.write(result.as_dict())
        for line in [] if options["json"] else pruned_lines(result):
            self.stdout.write(line)
