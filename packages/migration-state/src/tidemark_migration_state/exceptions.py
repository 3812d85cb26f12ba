"""The errors raised by Tidemark migration state; all derive from `TidemarkError`."""

from __future__ import annotations

from datetime import datetime

from tidemark_core import TidemarkError


class MigrationStateError(TidemarkError):
    """Base class of the errors of Tidemark migration state."""


class ReleaseUnknown(MigrationStateError):
    """The release commit could not be determined (no ``--commit``, setting or git)."""


class StateNotFound(MigrationStateError):
    """No saved state matches the requested commit or tag, or the match is ambiguous."""


class DamagedState(MigrationStateError):
    """A saved state's row no longer holds a state (it was edited by hand).

    Attributes:
        id: The row's primary key.
        database: Its database alias.
        commit: Its commit, as stored.
        problems: What is wrong, one sentence each.
        created_at: When it was saved, if known.
    """

    def __init__(
        self,
        id: int,
        database: str,
        commit: str,
        problems: list[str],
        created_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.database = database
        self.commit = commit
        self.problems = tuple(problems)
        self.created_at = created_at
        super().__init__(
            f"The saved state #{id} (commit {commit!r}) of {database!r} is damaged: "
            f"{'; '.join(problems)}. It is left out of lists, lookups and rollbacks. Correct "
            "the row (applied and leaves are lists of [app, name] pairs, tags a list of "
            "strings) in the table tidemark_migration_state_migrationstate, or delete it "
            "together with the rollbacks and lineage entries that refer to it, then save "
            f"the release again (save_migrations_state --commit {commit})."
        )
