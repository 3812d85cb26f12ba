"""What both commands share: django-rollback's options (-p, -l, --log-level) and a logger."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from tidemark_core import UnknownDatabase, require_database

LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class StateCommand(BaseCommand):
    """A command whose messages also go to a named logger, as django-rollback's do."""

    logger: logging.Logger | None = None
    as_json: bool = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-p",
            "--path",
            default=".",
            help="Git repository path (parent directories are searched). Default: '.'.",
        )
        parser.add_argument(
            "-l", "--logger", help="Logger name to send the messages to as well (e.g. Slack)."
        )
        parser.add_argument(
            "--log-level", help="Level to set on that logger: DEBUG, INFO, WARNING, ..."
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database alias; each alias has its own states. Default: 'default'.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON document instead of text."
        )

    def setup(self, options: dict[str, Any]) -> str:
        """Configure the logger and output mode; return the checked database alias."""
        self.as_json = bool(options["json"])
        self.logger = None
        if options["logger"]:
            self.logger = logging.getLogger(options["logger"])
            if options["log_level"]:
                level = logging.getLevelName(str(options["log_level"]).upper())
                if not isinstance(level, int):
                    raise CommandError(
                        f"Unknown log level {options['log_level']!r}: use DEBUG, INFO, "
                        "WARNING, ERROR or CRITICAL."
                    )
                self.logger.setLevel(level)
        try:
            return require_database(str(options["database"]))
        except UnknownDatabase as error:
            raise self.failure(str(error)) from error

    def say(self, level: str, text: str, *, success: bool = False, echo: bool = True) -> None:
        """Write `text` (unless ``--json`` or not `echo`) and send it to the logger."""
        if echo and not self.as_json:
            style = self.style.WARNING if level == "warning" else None
            if success and level == "info":
                style = self.style.SUCCESS
            self.stdout.write(style(text) if style else text)
        if self.logger is not None:
            self.logger.log(LEVELS[level], text)

    def failure(self, message: str) -> CommandError:
        """A `CommandError` for `message`, logged first."""
        if self.logger is not None:
            self.logger.error(message)
        return CommandError(message)

    def dump(self, data: dict[str, Any]) -> None:
        """Print `data` as JSON."""
        self.stdout.write(json.dumps(data, indent=2, sort_keys=True))
