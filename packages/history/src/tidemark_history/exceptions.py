"""The errors of Tidemark history, all deriving from `tidemark_core.TidemarkError`."""

from __future__ import annotations

from tidemark_core import TidemarkError


class HistoryError(TidemarkError):
    """Base class of the errors raised by Tidemark history."""


class TrackingError(HistoryError):
    """A `track()` declaration cannot be turned into an event model and its triggers."""


class ContextError(HistoryError):
    """History context metadata cannot be stored: not JSON-serialisable, or holding what
    PostgreSQL's jsonb refuses (NUL characters, lone surrogates, NaN, infinities)."""
