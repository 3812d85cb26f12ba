"""Saved migration states: the value of one, every state of an alias, the current one.

A row edited by hand may no longer hold a state (an applied set that is null or not a list
of pairs, tags that are not strings): it is reported as a `DamagedState`, by id and commit,
with what is wrong and how to fix it, and every other state keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections

from tidemark_core import Key

from .exceptions import DamagedState, MigrationStateError

if TYPE_CHECKING:
    from .models import LineageEntry, MigrationState


def _pair_problem(value: Any, name: str) -> str | None:
    if not isinstance(value, list):
        return f"{name} is {_shown(value)}, not a list of [app, name] pairs"
    for item in value:
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(p, str) for p in item)
        ):
            return f"{name} holds {_shown(item)}, which is not an [app, name] pair"
    return None


def _shown(value: Any) -> str:
    text = "null" if value is None else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def problems(state: MigrationState) -> list[str]:
    """What is wrong with a `MigrationState` row (empty when it holds a valid state)."""
    found = [
        problem
        for problem in (
            _pair_problem(state.applied, "applied"),
            _pair_problem(state.leaves, "leaves"),
        )
        if problem
    ]
    tags = state.tags
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        found.append(f"tags is {_shown(tags)}, not a list of strings")
    return found


@dataclass(frozen=True)
class SavedState:
    """One saved state: the full applied migration set of one database alias at one release.

    Attributes:
        id: The row's primary key.
        database: The database alias it belongs to.
        commit: The release's git commit (hex SHA).
        tags: The release's tags, sorted (from git at save time, plus ``--tag``).
        applied: Every applied migration, as ``(app_label, name)`` pairs.
        leaves: The leaf migrations of the release's code.
        django_version: The Django version that saved it.
        created_at: When it was first saved.
        saved_at: When it was last saved or confirmed by a save.
    """

    id: int
    database: str
    commit: str
    tags: tuple[str, ...]
    applied: frozenset[Key]
    leaves: frozenset[Key]
    django_version: str
    created_at: datetime
    saved_at: datetime

    @classmethod
    def from_model(cls, state: MigrationState) -> SavedState:
        """The value of a `MigrationState` row.

        Raises:
            DamagedState: The row does not hold a valid state.
        """
        found = problems(state)
        if found:
            raise DamagedState(state.pk, state.database, state.commit, found, state.created_at)
        return cls(
            id=state.pk,
            database=state.database,
            commit=state.commit,
            tags=tuple(state.tags),
            applied=keys(state.applied),
            leaves=keys(state.leaves),
            django_version=state.django_version,
            created_at=state.created_at,
            saved_at=state.saved_at,
        )

    @property
    def label(self) -> str:
        """The commit and tags as django-rollback prints them: ``"3f2c…" ['v1.2.0']``."""
        return f'"{self.commit}" {list(self.tags)}'


def keys(pairs: Iterable[Iterable[str]]) -> frozenset[Key]:
    """Stored ``[app, name]`` pairs as a set of keys."""
    return frozenset((str(app), str(name)) for app, name in pairs)


def pairs(applied: Iterable[Key]) -> list[list[str]]:
    """A set of keys as sorted ``[app, name]`` pairs, as they are stored."""
    return [list(key) for key in sorted(applied)]


def format_keys(applied: Iterable[Key]) -> str:
    """``app.name, app.name`` in sorted order."""
    return ", ".join(f"{app}.{name}" for app, name in sorted(applied)) or "none"


def state_model() -> type[MigrationState]:
    """The `MigrationState` model (imported when used: the app registry must be ready)."""
    from .models import MigrationState

    return MigrationState


def lineage_model() -> type[LineageEntry]:
    """The `LineageEntry` model."""
    from .models import LineageEntry

    return LineageEntry


def require_tables(using: str) -> None:
    """Raise a clear error when the app's tables do not exist yet on `using`."""
    table = lineage_model()._meta.db_table
    if table not in connections[using].introspection.table_names():
        raise MigrationStateError(
            f"The tables of tidemark_migration_state are not all there on the database "
            f"{using!r} ({table!r} is missing). Run `manage.py migrate --database {using}` "
            "first."
        )


def _rows(using: str) -> Any:
    return state_model().objects.using(using).filter(database=using).order_by("created_at", "id")


def saved_states(using: str = DEFAULT_DB_ALIAS) -> list[SavedState]:
    """Every valid state saved for the database alias `using`, oldest first.

    Damaged rows are left out (see `damaged_states`). Other apps (for example
    smooth-migrations, to say since which release something has existed) read the release
    history through this function, offered to them by `tidemark_core.integrations`.
    """
    require_tables(using)
    return [SavedState.from_model(row) for row in _rows(using) if not problems(row)]


def damaged_states(using: str = DEFAULT_DB_ALIAS) -> list[DamagedState]:
    """The rows of `using` that do not hold a valid state, oldest first, each explained."""
    require_tables(using)
    return [
        DamagedState(row.pk, row.database, row.commit, problems(row), row.created_at)
        for row in _rows(using)
        if problems(row)
    ]


def load(state_id: int, using: str) -> SavedState:
    """The saved state with the id `state_id`.

    Raises:
        DamagedState: Its row does not hold a valid state.
    """
    return SavedState.from_model(state_model().objects.using(using).get(pk=state_id))


def current_state(using: str = DEFAULT_DB_ALIAS) -> SavedState | None:
    """The state in force: the last one saved or rolled back to (see `lineage`).

    Returns None when nothing was saved yet.

    Raises:
        DamagedState: The state in force is damaged (its row says what is wrong).
    """
    from .lineage import current_entry

    require_tables(using)
    entry = current_entry(lineage_model(), using, using)
    return None if entry is None else load(entry.state_id, using)


def previous_state(using: str = DEFAULT_DB_ALIAS) -> SavedState | None:
    """The state that was in force before the current one, along the lineage, if any.

    Raises:
        DamagedState: That state is damaged.
    """
    from .lineage import current_entry

    require_tables(using)
    entry = current_entry(lineage_model(), using, using)
    if entry is None or entry.previous_id is None:
        return None
    return load(entry.previous.state_id, using)
