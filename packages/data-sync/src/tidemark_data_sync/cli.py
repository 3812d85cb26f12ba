"""What the commands share: a progress bar on a terminal, errors, and the printed result."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from tidemark_core import TidemarkError
from tidemark_core.output import JsonOutput
from tidemark_core.progress import progress_bar

from .dumping import iter_dump
from .report import LoadResult
from .staging import Progress


def add_load_options(parser: CommandParser) -> None:
    """The options every loading command has: ``--plan``, ``--max-delete`` and ``--json``."""
    parser.add_argument("--plan", action="store_true", help="Show the changes; write nothing.")
    parser.add_argument(
        "--max-delete",
        type=int,
        default=None,
        metavar="N",
        help="Abort, changing nothing, when more than N rows would be deleted.",
    )
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")


def write_results(stream: OutputWrapper, results: list[LoadResult], as_json: bool) -> None:
    """Print the results as tables with samples, or as JSON (``"ok": true``, and the result,
    or ``"results"``: a list, for several dumps).

    When nothing changes, one line says so, once.
    """
    if as_json:
        data = [result.to_dict() for result in results]
        JsonOutput(stream, True).write(data[0] if len(data) == 1 else {"results": data})
    elif len(results) > 1 and not any(result.changed for result in results):
        names = ", ".join(result.name for result in results)
        stream.write(
            f"Nothing to change in database {results[0].database!r}: the target already "
            f"matches the dumps ({names})."
        )
    else:
        stream.write("".join(result.render() for result in results), ending="")


def run_load(
    command: BaseCommand,
    work: Callable[[Progress | None], list[LoadResult]],
    as_json: bool,
) -> None:
    """Run a load (or plan) with a progress bar on the command's stderr, then print it.

    Tidemark errors become a `CommandError` carrying their message; with ``--json`` the
    output is then ``{"ok": false, "error": ...}``. A plan fails exactly when the load
    would (too many deletions, a dump that does not match, ...).
    """
    output = JsonOutput(command.stdout, as_json)
    with output.failures():
        try:
            with progress_bar(command.stderr) as bar:
                results = work(bar.update if bar is not None else None)
        except TidemarkError as error:
            raise CommandError(str(error)) from error
        write_results(command.stdout, results, as_json)


def run_dump(command: BaseCommand, dataset: str, output: str, using: str, summary: bool) -> None:
    """Dump `dataset` to the file `output` (``-``: the command's stdout).

    Then, unless `summary` is False, one line on stderr: rows per model, bytes, seconds. A
    reader that goes away (``| head``) ends the dump quietly.
    """
    start = time.monotonic()
    try:
        lines = iter_dump(dataset, using=using)
        first = next(lines)  # the whole dump is read before a byte is written
        size = _write(command, output, first, lines)
    except TidemarkError as error:
        raise CommandError(str(error)) from error
    except BrokenPipeError:
        _quiet_exit(command)
    except OSError as error:
        raise CommandError(f"Cannot write the dump to {output}: {error.strerror}.") from error
    if summary:
        manifest = json.loads(first)
        counts = ", ".join(f"{label} {count}" for label, count in manifest["counts"].items())
        rows = sum(manifest["counts"].values())
        where = "stdout" if output == "-" else output
        command.stderr.write(
            f"Dumped {dataset} from database {using!r} to {where}: {counts or 'no models'} "
            f"({rows} rows, {size:,} bytes, {time.monotonic() - start:.2f} s)."
        )


def _write(command: BaseCommand, output: str, first: str, lines: Iterator[str]) -> int:
    """Write the dump's lines; return how many bytes they are."""
    size = 0
    if output == "-":
        for text in chain([first], lines):
            command.stdout.write(text, ending="")
            size += len(text.encode())
        command.stdout.flush()  # a closed pipe shows here, not at exit
        return size
    with open(output, "wb") as file:
        for text in chain([first], lines):
            data = text.encode()
            file.write(data)
            size += len(data)
    return size


def _quiet_exit(command: BaseCommand) -> NoReturn:
    out: Any = getattr(command.stdout, "_out", None)
    if out is not None and out is sys.stdout:
        # Python flushes stdout once more at exit; point it at /dev/null so that this
        # flush cannot complain about the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    raise SystemExit(1)
