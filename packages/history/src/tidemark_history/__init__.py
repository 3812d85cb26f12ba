"""Tidemark history: every change of a tracked model, recorded by PostgreSQL triggers."""

from __future__ import annotations

from importlib.metadata import version as _version

from pgtrigger import F, Q

from .backfill import backfill
from .context import context
from .event import Event, Kind
from .events import create_event
from .exceptions import (
    ContextError,
    HistoryError,
    MaintenanceError,
    RevertConflict,
    RevertError,
    TrackingError,
)
from .partitions import maintain_partitions
from .reading import AsOfQuerySet, as_of, deleted, event_model, event_models
from .redaction import redact
from .retention import prune
from .revert import Reversion, RevertPlan, plan_revert_context, revert_context
from .timeline import Timeline, events
from .trackers import (
    AnyChange,
    Changed,
    DeleteEvent,
    InsertEvent,
    ManualEvent,
    Tracker,
    UpdateEvent,
)
from .tracking import track

__version__ = _version("django-tidemark-history")

__all__ = [
    "AnyChange",
    "AsOfQuerySet",
    "Changed",
    "ContextError",
    "DeleteEvent",
    "Event",
    "F",
    "HistoryError",
    "InsertEvent",
    "Kind",
    "MaintenanceError",
    "ManualEvent",
    "Q",
    "Reversion",
    "RevertConflict",
    "RevertError",
    "RevertPlan",
    "Timeline",
    "Tracker",
    "TrackingError",
    "UpdateEvent",
    "__version__",
    "as_of",
    "backfill",
    "context",
    "create_event",
    "deleted",
    "event_model",
    "event_models",
    "events",
    "maintain_partitions",
    "plan_revert_context",
    "prune",
    "redact",
    "revert_context",
    "track",
]
