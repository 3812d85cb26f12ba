"""`manage.py history_redact app.Model PK --field NAME... [--context-value V...] [--by WHO]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...cli import add_common_arguments, model_argument, plural, running
from ...redaction import redact


class Command(BaseCommand):
    help = (
        "Erase fields of one object from its recorded history (and their values from "
        "context metadata) through the privileged maintenance path, recording that it did."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="The tracked model, as app_label.ModelName.")
        parser.add_argument("pk", help="The primary key of the object.")
        parser.add_argument(
            "--field",
            dest="fields",
            action="append",
            required=True,
            help="A field to erase (repeat for several).",
        )
        parser.add_argument(
            "--context-value",
            dest="context_values",
            action="append",
            default=[],
            help="Another value to strip from context metadata.",
        )
        parser.add_argument("--by", help="Who asks for it (recorded; default: you).")
        parser.add_argument("--dry-run", action="store_true", help="Count, then roll back.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with running(self, options) as (output, using):
            done = redact(
                model_argument(options["model"]),
                options["pk"],
                options["fields"],
                context_values=options["context_values"],
                by=options["by"],
                using=using,
                dry_run=options["dry_run"],
            )
        verb = "would rewrite" if options["dry_run"] else "rewrote"
        output.write(
            {
                "dry_run": options["dry_run"],
                "events": done.events,
                "contexts": done.contexts,
                "redaction": done.record.pk,
            }
        )
        if not options["json"]:
            self.stdout.write(
                f"{options['model']} {options['pk']}: {verb} {plural(done.events, 'event')} "
                f"and {plural(done.contexts, 'context')} ({', '.join(done.record.fields)})"
            )
