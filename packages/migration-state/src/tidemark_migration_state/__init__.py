"""Tidemark migration state: record each release's migrations and roll back to any of them."""

from __future__ import annotations

from importlib.metadata import version as _version

from .drift import Drift, check_drift
from .exceptions import MigrationStateError, ReleaseUnknown, StateNotFound
from .listing import timeline
from .lookup import find_state
from .release import Release, current_release
from .rollback import RollbackPlan, RollbackRecord, plan_rollback, rollback, rollbacks
from .saving import SaveResult, save_state
from .states import SavedState, current_state, saved_states

__version__ = _version("django-tidemark-migration-state")

__all__ = [
    "Drift",
    "MigrationStateError",
    "Release",
    "ReleaseUnknown",
    "RollbackPlan",
    "RollbackRecord",
    "SaveResult",
    "SavedState",
    "StateNotFound",
    "__version__",
    "check_drift",
    "current_release",
    "current_state",
    "find_state",
    "plan_rollback",
    "rollback",
    "rollbacks",
    "save_state",
    "saved_states",
    "timeline",
]
