"""What the commands share: progress bars on a terminal, errors, and the printed result."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from tidemark_core import TidemarkError

from .report import LoadResult
from .staging import Progress


@contextmanager
def progress_bar(stream: OutputWrapper) -> Iterator[Progress | None]:
    """A rich progress callback drawing on `stream` when it is a terminal, else None."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    console = Console(file=cast(IO[str], stream._out), force_terminal=True)
    with Bar(console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done)

        yield update


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
        with progress_bar(command.stderr) as progress:
            result = work(progress)
    except TidemarkError as error:
        raise CommandError(str(error)) from error
    write_result(command.stdout, result, as_json)
