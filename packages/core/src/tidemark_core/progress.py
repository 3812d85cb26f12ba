"""Progress of long commands: a rich bar on a terminal, plain lines or nothing in a pipe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.core.management.base import OutputWrapper

MigrationCallback = Callable[..., None]
"""Django's executor callback: ``callback(action, migration=None, fake=False, **extra)``."""

_STARTS = {"apply_start": "Applying", "unapply_start": "Unapplying"}
_SUCCESSES = ("apply_success", "unapply_success")


def _unstyled(text: str) -> str:
    return text


class _Stream:
    """A text file for rich that writes through a command's `OutputWrapper`, unstyled.

    Only the wrapper's public methods are used: rich's control sequences pass as they are,
    without the wrapper's line endings or its style (red on ``stderr``).
    """

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(text, style_func=_unstyled, ending="")
        return len(text)

    def flush(self) -> None:
        self._out.flush()


class ProgressBar:
    """Named tasks drawn as rich progress bars (see `progress_bar`)."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._tasks: dict[str, Any] = {}

    def _task(self, name: str, total: int | None) -> Any:
        if name not in self._tasks:
            self._tasks[name] = self._bar.add_task(name, total=total)
        return self._tasks[name]

    def update(self, name: str, done: int, total: int | None = None) -> None:
        """Show `done` of `total` (None: unknown) for the task `name`, created on first use."""
        self._bar.update(self._task(name, total), completed=done, total=total)

    def advance(self, name: str, description: str | None = None) -> None:
        """Count one more unit of the task `name`; optionally show `description` instead."""
        task = self._task(name, None)
        self._bar.advance(task)
        if description is not None:
            self._bar.update(task, description=description)

    def describe(self, name: str, description: str, total: int | None = None) -> None:
        """Show `description` on the task `name`."""
        self._bar.update(self._task(name, total), description=description)


@contextmanager
def progress_bar(stream: OutputWrapper) -> Iterator[ProgressBar | None]:
    """A `ProgressBar` drawn on `stream` when it is a terminal, else None.

    The bar disappears when the block ends, so only the command's own output stays.
    """
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    console = Console(file=cast("IO[str]", _Stream(stream)), force_terminal=True)
    with Progress(console=console, transient=True) as bar:
        yield ProgressBar(bar)


class MigrationLines:
    """Django's executor events as ``migrate`` prints them: ``  Applying app.0001_x... OK``.

    Args:
        stream: Where to write.
        success: Styles the `` OK`` (``command.style.SUCCESS`` for migrate's green).
    """

    def __init__(self, stream: OutputWrapper, success: Callable[[str], str] = _unstyled) -> None:
        self.stream = stream
        self.success = success

    def __call__(
        self, action: str, migration: Any = None, fake: bool = False, **extra: Any
    ) -> None:
        if action in _STARTS:
            self.stream.write(f"  {_STARTS[action]} {migration}...", ending="")
            self.stream.flush()
        elif action in _SUCCESSES:
            self.stream.write(self.success(" OK"))


@contextmanager
def migration_progress(
    stream: OutputWrapper, *, total: int, title: str, quiet: bool = False
) -> Iterator[MigrationCallback]:
    """A progress callback for `tidemark_core.execute` over `total` steps.

    On a terminal, a bar titled `title` that names the running step; otherwise one
    `MigrationLines` line per step; nothing when `quiet` or there is no step.
    """
    if quiet or total == 0:
        yield lambda *args, **kwargs: None
        return
    with progress_bar(stream) as bar:
        if bar is None:
            yield MigrationLines(stream)
            return
        bar.describe(title, title, total)

        def advance(action: str, migration: Any = None, fake: bool = False, **extra: Any) -> None:
            if action in _STARTS:
                bar.describe(title, f"{_STARTS[action]} {migration}")
            elif action in _SUCCESSES:
                bar.advance(title)

        yield advance
