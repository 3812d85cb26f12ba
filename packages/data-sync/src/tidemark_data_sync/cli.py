"""What the commands share: a progress bar on a terminal, errors, and the printed result."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from tidemark_core import TidemarkError
from tidemark_core.progress import progress_bar

from .report import LoadResult
from .staging import Progress


def add_load_options(parser: CommandParser) -> None:
    """The options every loading command has: ``--plan`` and ``--max-delete``."""
    parser.add_argument("--plan", action="store_true", help="Show the changes; write nothing.")
    parser.add_argument(
        "--max-delete",
        type=int,
        default=None,
        metavar="N",
        help="Abort, changing nothing, when more than N rows would be deleted.",
    )


def write_result(stream: OutputWrapper, result: LoadResult, as_json: bool) -> None:
    """Print the result as a table with samples, or as JSON."""
    if as_json:
        stream.write(json.dumps(result.to_dict(), indent=2))
    else:
        stream.write(result.render(), ending="")


def run_load(
    command: BaseCommand, work: Callable[[Progress | None], LoadResult], as_json: bool
) -> None:
    """Run a load (or plan) with a progress bar on the command's stderr, then print it.

    Tidemark errors become a `CommandError` carrying their message.
    """
    try:
        with progress_bar(command.stderr) as bar:
            result = work(bar.update if bar is not None else None)
    except TidemarkError as error:
        raise CommandError(str(error)) from error
    write_result(command.stdout, result, as_json)
