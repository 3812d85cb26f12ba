"""Tidemark history: every change of a tracked model, recorded by PostgreSQL triggers."""

from __future__ import annotations

from importlib.metadata import version as _version

from pgtrigger import AnyChange, F, Q

from .context import context
from .events import create_event
from .exceptions import ContextError, HistoryError, MaintenanceError, TrackingError
from .trackers import Changed, DeleteEvent, InsertEvent, ManualEvent, Tracker, UpdateEvent
from .tracking import track

__version__ = _version("django-tidemark-history")

__all__ = [
    "AnyChange",
    "Changed",
    "ContextError",
    "DeleteEvent",
    "F",
    "HistoryError",
    "InsertEvent",
    "MaintenanceError",
    "ManualEvent",
    "Q",
    "Tracker",
    "TrackingError",
    "UpdateEvent",
    "__version__",
    "context",
    "create_event",
    "track",
]
