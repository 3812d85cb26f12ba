"""Tidemark core: the shared base of the Tidemark apps.

The development database seam (`tidemark_core.devdb`), advisory locks and lock timeouts,
exact migration plans, and the base error class.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from .exceptions import IrreversibleStepsError, LockNotAcquired, PlanError, TidemarkError
from .executor import MIGRATION_LOCK, execute
from .integrations import history_context
from .locks import advisory_lock, is_lock_timeout, lock_timeout, retry_on_lock_timeout
from .plan import Key, Plan, Step, applied_migrations, irreversible_operations, normalize
from .postgres import (
    NotPostgreSQL,
    is_postgresql,
    postgresql_check,
    quote_identifier,
    require_postgresql,
    server_version,
)

__version__ = _version("django-tidemark-core")

__all__ = [
    "IrreversibleStepsError",
    "Key",
    "LockNotAcquired",
    "MIGRATION_LOCK",
    "NotPostgreSQL",
    "Plan",
    "PlanError",
    "Step",
    "TidemarkError",
    "__version__",
    "advisory_lock",
    "applied_migrations",
    "execute",
    "history_context",
    "irreversible_operations",
    "is_lock_timeout",
    "is_postgresql",
    "lock_timeout",
    "normalize",
    "postgresql_check",
    "quote_identifier",
    "require_postgresql",
    "retry_on_lock_timeout",
    "server_version",
]
