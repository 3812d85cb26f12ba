"""Tidemark core: the shared base of the Tidemark apps.

The development database seam (`tidemark_core.devdb`), advisory locks and lock timeouts,
exact migration plans, and the base error class. For the apps themselves: the seam where
they meet (`tidemark_core.integrations`), settings declared once and checked
(`tidemark_core.conf`), and progress output for commands (`tidemark_core.progress`).
"""

from __future__ import annotations

from importlib.metadata import version as _version

from .conf import migration_lock_timeout
from .exceptions import (
    IrreversibleStepsError,
    LockNotAcquired,
    NotPostgreSQL,
    PlanError,
    TidemarkError,
    UnknownDatabase,
)
from .executor import MIGRATION_LOCK, execute
from .integrations import history_context
from .locks import advisory_lock, is_lock_timeout, lock_timeout, retry_on_lock_timeout
from .plan import (
    REVERSE_ADVICE,
    Key,
    Plan,
    Step,
    applied_migrations,
    full_order,
    irreversible_operations,
    normalize,
    refuse_irreversible,
)
from .postgres import (
    is_postgresql,
    postgresql_check,
    quote_identifier,
    require_database,
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
    "REVERSE_ADVICE",
    "Step",
    "TidemarkError",
    "UnknownDatabase",
    "__version__",
    "advisory_lock",
    "applied_migrations",
    "execute",
    "full_order",
    "history_context",
    "irreversible_operations",
    "is_lock_timeout",
    "is_postgresql",
    "lock_timeout",
    "migration_lock_timeout",
    "normalize",
    "postgresql_check",
    "quote_identifier",
    "refuse_irreversible",
    "require_database",
    "require_postgresql",
    "retry_on_lock_timeout",
    "server_version",
]
