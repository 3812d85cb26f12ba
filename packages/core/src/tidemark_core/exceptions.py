"""The errors raised by Tidemark: every app's errors derive from `TidemarkError`."""

from __future__ import annotations


class TidemarkError(Exception):
    """Base class of every error raised by a Tidemark app."""


class NotPostgreSQL(TidemarkError):
    """A PostgreSQL-only feature was used on a database of another vendor."""


class UnknownDatabase(TidemarkError):
    """A database alias is not configured in ``settings.DATABASES``."""


class LockNotAcquired(TidemarkError):
    """An advisory lock could not be taken within its timeout.

    Attributes:
        name: The lock's name.
        holder_pid: The PostgreSQL backend PID holding the lock, when it could be read.
    """

    def __init__(self, name: str, timeout: float, holder_pid: int | None) -> None:
        self.name = name
        self.timeout = timeout
        self.holder_pid = holder_pid
        holder = (
            f"backend PID {holder_pid} holds it"
            if holder_pid is not None
            else "its holder could not be identified"
        )
        super().__init__(
            f"Could not acquire the lock {name!r} within {timeout:g}s: {holder}. "
            "Another deploy, rollback or load is probably running; wait for it to finish, "
            "or inspect it with: SELECT * FROM pg_stat_activity WHERE pid = <PID>."
        )


class PlanError(TidemarkError):
    """A migration plan cannot be built or executed; nothing was changed."""


class IrreversibleStepsError(PlanError):
    """A plan contains steps that cannot be run backwards.

    Attributes:
        steps: The offending steps.
    """

    def __init__(self, message: str, steps: tuple[object, ...]) -> None:
        self.steps = steps
        super().__init__(message)
