"""``manage.py save_migrations_state``: record the applied migrations of this release."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tidemark_core import TidemarkError

from ...drift import check_drift
from ...saving import save_state
from ...states import format_keys
from ..base import StateCommand


class Command(StateCommand):
    help = (
        "Save the migration state (the full applied set) of the current release: the commit "
        "from --commit, the setting, TIDEMARK_RELEASE_COMMIT or git HEAD. Saving a commit "
        "again warns if it is not the latest state. --check reports drift instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--log-full-data", action="store_true", help="Print every applied migration too."
        )
        parser.add_argument(
            "--log-diff", action="store_true", help="Print the diff against the previous state."
        )
        parser.add_argument("--commit", help="The release's commit SHA (no git needed).")
        parser.add_argument(
            "--tag",
            dest="tags",
            action="extend",
            nargs="+",
            default=[],
            metavar="TAG",
            help="Tags to store besides the git tags of the commit (repeatable).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Save nothing; exit non-zero when the applied migrations differ from the "
            "current saved state or from the code.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = self.setup(options)
        try:
            if options["check"]:
                return self.report_drift(using, options)
            result = save_state(options["commit"], options["tags"], using, path=options["path"])
        except TidemarkError as error:
            raise self.failure(str(error)) from error
        for level, text in result.messages(full_data=options["log_full_data"]):
            self.say(level, text, success=True)
        if options["log_diff"]:
            self.say(*result.diff_message())
        if self.as_json:
            self.dump(
                {
                    "database": using,
                    "commit": result.state.commit,
                    "tags": list(result.state.tags),
                    "outcome": result.outcome,
                    "created": result.created,
                    "applied": [list(key) for key in sorted(result.applied)],
                    "messages": [text for _, text in result.messages()],
                }
            )
        return None

    def report_drift(self, using: str, options: dict[str, Any]) -> None:
        if options["commit"] or options["tags"]:
            raise self.failure("--check saves nothing: it takes no --commit or --tag.")
        drift = check_drift(using)
        if self.as_json:
            self.dump(
                {
                    "database": using,
                    "ok": drift.ok,
                    "current": drift.current.commit if drift.current else None,
                    "problems": drift.problems(),
                    "pending": [list(key) for key in sorted(drift.pending)],
                    "unknown": [list(key) for key in sorted(drift.unknown)],
                }
            )
        if not drift.ok:
            raise self.failure("Migration state drift:\n- " + "\n- ".join(drift.problems()))
        assert drift.current is not None
        self.say(
            "info",
            f"The applied migrations of {using!r} match the current state "
            f"{drift.current.label} and the code ({len(drift.applied)} applied).",
            success=True,
        )
        if options["log_full_data"]:
            self.say("info", f"Data = {format_keys(drift.applied)}")
