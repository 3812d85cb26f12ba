"""What the history commands share: errors as `CommandError`, ``--json``, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from tidemark_core import TidemarkError
from tidemark_core.output import JsonOutput
from tidemark_core.postgres import require_database
from tidemark_core.progress import progress_bar

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
