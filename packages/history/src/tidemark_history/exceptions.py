"""The errors of Tidemark history, all deriving from `tidemark_core.TidemarkError`."""

from __future__ import annotations

from typing import Any

from tidemark_core import TidemarkError


class HistoryError(TidemarkError):
    """Base class of the errors raised by Tidemark history."""


class TrackingError(HistoryError):
    """A `track()` declaration cannot be turned into an event model and its triggers."""


class ContextError(HistoryError):
    """History context metadata cannot be stored: not JSON-serialisable, or holding what
    PostgreSQL's jsonb refuses (NUL characters, lone surrogates, NaN, infinities)."""


class MaintenanceError(HistoryError):
    """Recorded history cannot be pruned or redacted as asked (see `maintenance`)."""


class RevertError(HistoryError):
    """A revert cannot be done: an event lacks values the row needs, or there is no
    recorded earlier state to go back to."""


class RevertConflict(HistoryError):
    """Rows a context changed were changed again afterwards; `conflicts` lists those events.

    Pass ``force=True`` to `revert_context()` to overwrite the later changes.
    """

    def __init__(self, message: str, conflicts: list[Any]) -> None:
        super().__init__(message)
        self.conflicts = conflicts
