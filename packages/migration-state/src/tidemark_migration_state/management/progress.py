"""Progress of a running rollback: a rich bar on a terminal, one line per step otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.core.management.base import OutputWrapper

STEP_ACTIONS = ("apply_", "unapply_")


@contextmanager
def progress(stdout: OutputWrapper, total: int, quiet: bool) -> Iterator[Callable[..., None]]:
    """A progress callback for `tidemark_core.execute`, for `total` steps."""
    if quiet or total == 0:
        yield lambda *args, **kwargs: None
        return
    if stdout.isatty():
        from rich.console import Console
        from rich.progress import Progress

        console = Console(file=cast("IO[str]", stdout._out), force_terminal=True)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Rolling back", total=total)

            def advance(action: str, migration: Any = None, fake: bool = False) -> None:
                if not action.startswith(STEP_ACTIONS):
                    return
                if action.endswith("_start"):
                    verb = "Unapplying" if action.startswith("unapply") else "Applying"
                    bar.update(task, description=f"{verb} {migration}")
                elif action.endswith("_success"):
                    bar.advance(task)

            yield advance
        return

    def report(action: str, migration: Any = None, fake: bool = False) -> None:
        if not action.startswith(STEP_ACTIONS):
            return  # "render_start" and "render_success" are not steps
        if action.endswith("_start"):
            verb = "Unapplying" if action.startswith("unapply") else "Applying"
            stdout.write(f"  {verb} {migration}...", ending="")
            stdout.flush()
        elif action.endswith("_success"):
            stdout.write(" OK")

    yield report
