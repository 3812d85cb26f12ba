"""Tidemark core: the shared base of the Tidemark apps.

The development database seam (`tidemark_core.devdb`), advisory locks and lock timeouts,
exact migration plans, the run journal and its recovery, lock-safe statements, and the
base error class. For the apps themselves: the seam where they meet
(`tidemark_core.integrations`), settings declared once and checked (`tidemark_core.conf`),
progress output for commands (`tidemark_core.progress`) and their ``--json`` documents
(`tidemark_core.output`).
"""

from __future__ import annotations

from importlib.metadata import version as _version

from .conf import migration_lock_timeout
from .exceptions import (
    InterruptedRun,
    IrreversibleStepsError,
    LockNotAcquired,
    NotPostgreSQL,
    PlanError,
    SessionLost,
    TidemarkError,
    UnknownDatabase,
)
from .executor import execute, refuse_non_atomic
from .guard import Blocker, StatementLimits
from .integrations import history_context
from .journal import (
    OpenRun,
    RunRecord,
    refuse_unresolved,
    runs,
    session_lost,
    unresolved_runs,
)
from .locks import (
    MIGRATION_LOCK,
    HeldLock,
    advisory_lock,
    is_lock_timeout,
    lock_timeout,
    retry_on_lock_timeout,
)
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
from .recovery import Resolution, resolve_interrupted

__version__ = _version("django-tidemark-core")

__all__ = [
    "Blocker",
    "HeldLock",
    "InterruptedRun",
    "IrreversibleStepsError",
    "Key",
    "LockNotAcquired",
    "MIGRATION_LOCK",
    "NotPostgreSQL",
    "OpenRun",
    "Plan",
    "PlanError",
    "REVERSE_ADVICE",
    "Resolution",
    "RunRecord",
    "SessionLost",
    "StatementLimits",
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
    "refuse_non_atomic",
    "refuse_unresolved",
    "require_database",
    "require_postgresql",
    "resolve_interrupted",
    "retry_on_lock_timeout",
    "runs",
    "server_version",
    "session_lost",
    "unresolved_runs",
]
