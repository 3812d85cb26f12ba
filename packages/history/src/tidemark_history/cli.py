"""What the history commands share: errors as `CommandError`, ``--json``, progress."""

from __future__ import annotations

import argparse
import datetime
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from tidemark_core import TidemarkError
from tidemark_core.output import JsonOutput
from tidemark_core.postgres import require_database
from tidemark_core.progress import progress_bar

from .retention import Pruned

Progress = Callable[[str, int, "int | None"], None]
"""``progress(task, done, total)``: called as a long command advances."""


def add_common_arguments(parser: CommandParser) -> None:
    """``--database`` and ``--json``."""
    parser.add_argument("--database", default="default", help="The database alias.")
    parser.add_argument("--json", action="store_true", help="Print one JSON document.")


@contextmanager
def running(command: BaseCommand, options: dict[str, Any]) -> Iterator[tuple[JsonOutput, str]]:
    """The ``--json`` output and the checked alias; errors become `CommandError`."""
    output = JsonOutput(command.stdout, options["json"])
    with output.failures():
        try:
            yield output, require_database(options["database"])
        except (TidemarkError, ValueError) as error:
            raise CommandError(str(error)) from error


@contextmanager
def progress(command: BaseCommand) -> Iterator[Progress | None]:
    """A `Progress` callback drawing a bar on a terminal (stderr), None in a pipe."""
    with progress_bar(command.stderr) as bar:
        if bar is None:
            yield None
            return

        def advance(task: str, done: int, total: int | None) -> None:
            bar.update(task, done, total)

        yield advance


def model_argument(label: str) -> type[models.Model]:
    """The model named ``app_label.ModelName``, or a `CommandError` saying what exists."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        raise CommandError(
            f"No model {label!r}: name it as app_label.ModelName, e.g. shop.Product."
        ) from None


def plural(count: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def moment(text: str) -> datetime.datetime | datetime.date:
    """``--before``: an ISO 8601 date or datetime."""
    try:
        parsed = parse_datetime(text) or parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or datetime; write 2026-01-31 or 2026-01-31T12:00+00:00."
        )
    return parsed


_AGE = re.compile(r"^(\d+)([dwh])$")
_UNITS = {"d": "days", "w": "weeks", "h": "hours"}


def age(text: str) -> datetime.timedelta:
    """``--older-than``: a number of days, weeks or hours (``90d``, ``12w``, ``36h``)."""
    match = _AGE.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age; write a number and d, w or h, e.g. 90d."
        )
    return datetime.timedelta(**{_UNITS[match[2]]: int(match[1])})


def pruned_lines(result: Pruned) -> list[str]:
    """What a prune removed (or would remove), one line per event model and a total."""
    verb = "would remove" if result.dry_run else "removed"
    lines = []
    for table in result.tables:
        dropped = ""
        if table.dropped:
            state = "to drop" if result.dry_run else "dropped"
            dropped = f" ({plural(len(table.dropped), 'partition')} {state})"
        events = plural(table.events, "event")
        lines.append(f"{table.event_model._meta.label}: {verb} {events}{dropped}")
    lines.append(
        f"Before {result.before.isoformat()}: {verb} {plural(result.events, 'event')} and "
        f"{plural(result.contexts, 'context')} no event points to."
    )
    return lines
