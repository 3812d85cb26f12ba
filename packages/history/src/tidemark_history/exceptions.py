"""The errors of Tidemark history, all deriving from `tidemark_core.TidemarkError`."""

from __future__ import annotations

from tidemark_core import TidemarkError


class HistoryError(TidemarkError):
    """Base class of the errors raised by Tidemark history."""


class TrackingError(HistoryError):
    """A `track()` declaration cannot be turned into an event model and its triggers."""


class ContextError(HistoryError):
    """History context metadata cannot be stored (it is not JSON-serialisable)."""


class MaintenanceError(HistoryError):
    """Recorded history cannot be pruned or redacted as asked (see `maintenance`)."""
