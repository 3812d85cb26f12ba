"""`manage.py history_backfill app.Model [--batch-size N] [--database] [--json]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...backfill import backfill
from ...cli import add_common_arguments, model_argument, plural, progress, running
from ...context import context


class Command(BaseCommand):
    help = (
        "Write one baseline event per row of a tracked model that has no event yet. "
        "Batched, resumable (run it again), safe while the application writes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="The tracked model, as app_label.ModelName.")
        parser.add_argument("--batch-size", type=int, help="Rows per transaction.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with running(self, options) as (output, using), progress(self) as bar:
            model = model_argument(options["model"])
            with context(command="history_backfill"):
                done = backfill(
                    model,
                    batch_size=options["batch_size"],
                    using=using,
                    progress=bar,
                )
        found = [
            {"model": d.event_model._meta.label, "rows": d.rows, "created": d.created} for d in done
        ]
        output.write({"event_models": found})
        for d in [] if options["json"] else done:
            self.stdout.write(
                f"{d.event_model._meta.label}: {plural(d.created, 'baseline event')} written "
                f"({plural(d.rows, 'row')} looked at)"
            )
