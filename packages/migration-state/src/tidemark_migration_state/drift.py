"""Drift between the database, its current saved state and the code (``--check``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from tidemark_core import Key, RunRecord, applied_migrations, unresolved_runs

from .exceptions import DamagedState
from .states import SavedState, current_state, format_keys


@dataclass(frozen=True)
class Drift:
    """The result of `check_drift`.

    Attributes:
        database: The alias checked.
        current: The current saved state, if any.
        applied: The database's applied set.
        not_saved: Applied on the database, absent from the current state.
        not_applied: In the current state, not applied on the database.
        pending: Migrations of the code not applied yet (``migrate`` would apply them).
        unknown: Applied migrations of installed apps that the code does not have
            (typically: an older release runs against a newer schema).
        interrupted: Migration runs that were interrupted and nobody resolved: the
            applied set may be half-way between two releases.
        damaged: What is wrong with the state in force, when its row is damaged.
    """

    database: str
    current: SavedState | None
    applied: frozenset[Key]
    not_saved: frozenset[Key]
    not_applied: frozenset[Key]
    pending: frozenset[Key]
    unknown: frozenset[Key]
    interrupted: tuple[RunRecord, ...] = ()
    damaged: str | None = None

    @property
    def ok(self) -> bool:
        """True when the database, its current state and the code all agree."""
        return not self.problems()

    def problems(self) -> list[str]:
        """One sentence per disagreement (empty when `ok`)."""
        found = [
            f"An interrupted migration run was never resolved: {run.describe()}. Resolve it "
            "with --recover or --resume."
            for run in self.interrupted
        ]
        if self.damaged is not None:
            found.append(self.damaged)
        elif self.current is None:
            found.append(f"No migration state is saved for the database {self.database!r}.")
        elif self.not_saved or self.not_applied:
            found.append(
                f"The applied migrations of {self.database!r} differ from its current saved "
                f"state {self.current.label}: applied but not saved: "
                f"{format_keys(self.not_saved)}; saved but not applied: "
                f"{format_keys(self.not_applied)}."
            )
        if self.pending:
            found.append(
                f"The code has migrations not applied on {self.database!r}: "
                f"{format_keys(self.pending)}."
            )
        if self.unknown:
            found.append(
                f"Migrations applied on {self.database!r} that the code does not have "
                f"(was a newer release's schema left in place?): {format_keys(self.unknown)}."
            )
        return found


def check_drift(using: str = DEFAULT_DB_ALIAS) -> Drift:
    """Compare the applied set of `using` with its current saved state and with the code."""
    applied = applied_migrations(using)
    damaged = None
    try:
        current = current_state(using)
    except DamagedState as error:
        current, damaged = None, str(error)
    executor = MigrationExecutor(connections[using])
    loader = executor.loader
    pending = frozenset(
        (migration.app_label, migration.name)
        for migration, _ in executor.migration_plan(loader.graph.leaf_nodes())
    )
    known = set(loader.disk_migrations)
    known.update(name for migration in loader.replacements.values() for name in migration.replaces)
    installed = {config.label for config in apps.get_app_configs()}
    unknown = frozenset(key for key in applied if key[0] in installed and key not in known)
    saved = current.applied if current is not None else applied
    return Drift(
        database=using,
        current=current,
        applied=applied,
        not_saved=applied - saved,
        not_applied=saved - applied,
        pending=pending,
        unknown=unknown,
        interrupted=tuple(unresolved_runs(using)),
        damaged=damaged,
    )
