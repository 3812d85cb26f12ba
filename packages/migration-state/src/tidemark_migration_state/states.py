"""Saved migration states: the value of one, every state of an alias, the current one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS, connections

from tidemark_core import Key

from .exceptions import MigrationStateError

if TYPE_CHECKING:
    from .models import MigrationState


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
        """The value of a `MigrationState` row."""
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


def require_tables(using: str) -> None:
    """Raise a clear error when the app's tables do not exist yet on `using`."""
    table = state_model()._meta.db_table
    if table not in connections[using].introspection.table_names():
        raise MigrationStateError(
            f"The table {table!r} does not exist on the database {using!r}. Run "
            f"`manage.py migrate --database {using}` first."
        )


def saved_states(using: str = DEFAULT_DB_ALIAS) -> list[SavedState]:
    """Every state saved for the database alias `using`, oldest first.

    Other apps (for example smooth-migrations, to say since which release something has
    existed) read the release history through this function, offered to them by
    `tidemark_core.integrations`.
    """
    require_tables(using)
    rows = state_model().objects.using(using).filter(database=using).order_by("created_at", "id")
    return [SavedState.from_model(row) for row in rows]


def current_state(using: str = DEFAULT_DB_ALIAS) -> SavedState | None:
    """The state the database was last brought to: by the latest save, or latest rollback.

    Returns None when nothing was saved yet.
    """
    from .models import Rollback

    require_tables(using)
    saved = (
        state_model().objects.using(using).filter(database=using).order_by("saved_at", "id").last()
    )
    rolled = (
        Rollback.objects.using(using)
        .filter(database=using, result=Rollback.Result.SUCCEEDED)
        .select_related("to_state")
        .order_by("finished_at", "id")
        .last()
    )
    if (
        rolled is not None
        and rolled.finished_at is not None
        and (saved is None or rolled.finished_at >= saved.saved_at)
    ):
        return SavedState.from_model(rolled.to_state)
    return SavedState.from_model(saved) if saved is not None else None
