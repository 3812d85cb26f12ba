"""Progress output of commands: a bar on a terminal, migrate's lines or nothing in a pipe."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper
from django.db.migrations import Migration

from tidemark_core.progress import MigrationLines, migration_progress, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


MIGRATION = Migration("0001_initial", "alpha")


def events(callback: object) -> None:
    for action in (
        "render_start",
        "apply_start",
        "apply_success",
        "unapply_start",
        "unapply_success",
    ):
        callback(action, MIGRATION)  # type: ignore[operator]


def test_no_bar_in_a_pipe_and_named_tasks_on_a_terminal() -> None:
    with progress_bar(OutputWrapper(io.StringIO())) as quiet:
        assert quiet is None
    terminal = Terminal()
    stderr = OutputWrapper(terminal)
    stderr.style_func = lambda text: f"<red>{text}</red>"  # as Django styles stderr
    with progress_bar(stderr) as bar:
        assert bar is not None
        bar.update("Reading the dump", 5, 10)
        bar.advance("Reading the dump", description="Reading the dump (6 of 10)")
    written = terminal.getvalue()
    assert "Reading the dump" in written
    assert "<red>" not in written  # the bar passes unstyled


def test_migration_lines_as_migrate_prints_them() -> None:
    out = io.StringIO()
    events(MigrationLines(OutputWrapper(out), success=lambda text: text.upper()))
    assert (
        out.getvalue()
        == "  Applying alpha.0001_initial... OK\n  Unapplying alpha.0001_initial... OK\n"
    )


def test_migration_progress_in_a_pipe_prints_lines_and_on_a_terminal_draws_a_bar() -> None:
    out = io.StringIO()
    with migration_progress(OutputWrapper(out), total=2, title="Rolling back") as callback:
        events(callback)
    assert out.getvalue().splitlines() == [
        "  Applying alpha.0001_initial... OK",
        "  Unapplying alpha.0001_initial... OK",
    ]
    terminal = Terminal()
    with migration_progress(OutputWrapper(terminal), total=2, title="Rolling back") as callback:
        events(callback)
    assert "Applying alpha.0001_initial..." not in terminal.getvalue()
    assert "Unapplying alpha.0001_initial" in terminal.getvalue()


def test_migration_progress_is_silent_when_quiet_or_empty() -> None:
    out = io.StringIO()
    with migration_progress(OutputWrapper(out), total=2, title="x", quiet=True) as callback:
        events(callback)
    with migration_progress(OutputWrapper(out), total=0, title="x") as callback:
        events(callback)
    assert out.getvalue() == ""
