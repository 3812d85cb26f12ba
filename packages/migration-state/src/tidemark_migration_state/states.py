"""Saved migration states: record the current one, list them, find one by commit or tag."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import django
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from tidemark_core import (
    MIGRATION_LOCK,
    Key,
    advisory_lock,
    applied_migrations,
    require_postgresql,
)

from . import conf
from .exceptions import MigrationStateError, StateNotFound
from .release import Release, current_release, resolve_git_tag

if TYPE_CHECKING:
    from .models import MigrationState

WARNING = "warning"
INFO = "info"


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
            applied=_keys(state.applied),
            leaves=_keys(state.leaves),
            django_version=state.django_version,
            created_at=state.created_at,
            saved_at=state.saved_at,
        )

    @property
    def label(self) -> str:
        """The commit and tags as the anchor prints them: ``"3f2c…" ['v1.2.0']``."""
        return f'"{self.commit}" {list(self.tags)}'


def _keys(pairs: Iterable[Iterable[str]]) -> frozenset[Key]:
    return frozenset((str(app), str(name)) for app, name in pairs)


def _pairs(keys: Iterable[Key]) -> list[list[str]]:
    return [list(key) for key in sorted(keys)]


def format_keys(keys: Iterable[Key]) -> str:
    """``app.name, app.name`` in sorted order."""
    return ", ".join(f"{app}.{name}" for app, name in sorted(keys)) or "none"


def _model() -> type[MigrationState]:
    from .models import MigrationState

    return MigrationState


def require_tables(using: str) -> None:
    """Raise a clear error when the app's tables do not exist yet on `using`."""
    table = _model()._meta.db_table
    if table not in connections[using].introspection.table_names():
        raise MigrationStateError(
            f"The table {table!r} does not exist on the database {using!r}. Run "
            f"`manage.py migrate --database {using}` first."
        )


def saved_states(using: str = DEFAULT_DB_ALIAS) -> list[SavedState]:
    """Every state saved for the database alias `using`, oldest first.

    Other code (for example smooth-migrations, to say since which release something has
    existed) reads the release history through this function.
    """
    require_tables(using)
    rows = _model().objects.using(using).filter(database=using).order_by("created_at", "id")
    return [SavedState.from_model(row) for row in rows]


def current_state(using: str = DEFAULT_DB_ALIAS) -> SavedState | None:
    """The state the database was last brought to: by the latest save, or latest rollback.

    Returns None when nothing was saved yet.
    """
    from .models import Rollback

    require_tables(using)
    saved = _model().objects.using(using).filter(database=using).order_by("saved_at", "id").last()
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


def find_state(
    *,
    commit: str | None = None,
    tag: str | None = None,
    using: str = DEFAULT_DB_ALIAS,
    path: str | Path = ".",
) -> SavedState:
    """The saved state of a commit (a unique prefix is enough) or of a tag.

    With neither, the state saved before the current one (what ``rollback_migrations``
    without ``-t``/``-c`` rolls back to). Tags are looked up in the database first; git
    (at or above `path`) is consulted only for a tag no saved state has.

    Raises:
        StateNotFound: Nothing matches, the prefix is ambiguous, or there is no previous
            state; the message lists what exists.
    """
    if commit is not None and tag is not None:
        raise StateNotFound("Give a commit or a tag, not both.")
    states = saved_states(using)
    if not states:
        raise StateNotFound(
            f"There are no saved states for the database {using!r}. Rollback procedure "
            "impossible. Save one with `manage.py save_migrations_state` after each deploy."
        )
    if commit is not None:
        return _by_commit(states, commit, using)
    if tag is not None:
        tagged = [state for state in states if tag in state.tags]
        if len(tagged) == 1:
            return tagged[0]
        if not tagged:
            sha = resolve_git_tag(path, tag)
            if sha is not None:
                return _by_commit(states, sha, using)
        known = sorted({name for state in states for name in state.tags})
        raise StateNotFound(
            f"No saved state of {using!r} has the tag {tag!r}"
            + (" (and git does not know it either)" if not tagged else "")
            + f". Known tags: {', '.join(known) or 'none'}. See `rollback_migrations --list`."
        )
    current = current_state(using)
    assert current is not None
    index = next(i for i, state in enumerate(states) if state.id == current.id)
    if index == 0:
        raise StateNotFound(
            f"The current state {current.label} is the oldest saved state of {using!r}; "
            "there is no previous state to roll back to. Rollback procedure impossible."
        )
    return states[index - 1]


def _by_commit(states: list[SavedState], commit: str, using: str) -> SavedState:
    prefix = commit.strip().lower()
    matches = [state for state in states if state.commit.startswith(prefix)] if prefix else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise StateNotFound(
            f"Can't find a saved state of {using!r} for commit {commit!r}. Saved commits: "
            + ", ".join(state.commit[:12] for state in states)
            + ". See `rollback_migrations --list`."
        )
    raise StateNotFound(
        f"The commit prefix {commit!r} matches {len(matches)} saved states ("
        + ", ".join(state.commit for state in matches)
        + "). Please give more digits of the commit hash."
    )


def code_leaves() -> frozenset[Key]:
    """The leaf migrations of the code on disk."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


@dataclass(frozen=True)
class SaveResult:
    """What `save_state` did.

    Attributes:
        state: The saved state (as stored after the call).
        outcome: ``"created"`` (a new state), ``"confirmed"`` (the commit was already the
            current state), ``"resumed"`` (an existing state matching the database became
            current again, e.g. a roll forward) or ``"conflict"`` (an existing state whose
            applied set differs from the database; it was kept unchanged).
        release: Where the commit and tags came from.
        previous: The state saved before this one, if any.
        current_before: The current state before the call.
        newest: The most recently created state, when it is not `state`.
        applied: The database's applied set at the time of the call.
        added_tags: Tags added to the state by this call.
        moved_tags: Tags taken from other states of the alias, as ``(tag, old commit)``.
    """

    state: SavedState
    outcome: str
    release: Release
    previous: SavedState | None
    current_before: SavedState | None
    newest: SavedState | None
    applied: frozenset[Key]
    added_tags: tuple[str, ...] = ()
    moved_tags: tuple[tuple[str, str], ...] = field(default=())

    @property
    def created(self) -> bool:
        """Whether a new state was created."""
        return self.outcome == "created"

    def messages(self, *, full_data: bool = False) -> list[tuple[str, str]]:
        """What happened, as ``(level, text)`` pairs (level ``"info"`` or ``"warning"``)."""
        state = self.state
        result = [(WARNING, warning) for warning in self.release.warnings]
        data = f"\nData = {format_keys(self.applied)}" if full_data else ""
        created = f"Created {state.created_at:%Y-%m-%d %H:%M:%S %Z}"
        if self.outcome == "created":
            result.append((INFO, f"State successfully created for commit {state.label}.{data}"))
        elif self.outcome == "confirmed":
            result.append(
                (
                    INFO,
                    f"State for current commit {state.label} already exists. {created}.\n"
                    f"This is the latest state for this service. So all is fine.{data}",
                )
            )
        else:
            text = f"State for current commit {state.label} already exists. {created}.\n"
            if self.newest is not None:
                text += (
                    "This is NOT the latest state for this service.\n"
                    f"Latest: commit {self.newest.label}, created "
                    f"{self.newest.created_at:%Y-%m-%d %H:%M:%S %Z}.\n"
                )
            elif self.current_before is not None and self.current_before.id != state.id:
                text += f"The current state was {self.current_before.label}.\n"
            if self.outcome == "resumed":
                text += (
                    "The database's applied migrations match this state, so it is the current "
                    "state again (a roll forward, or an older release deployed after a "
                    "release without migrations)."
                )
            else:
                added = format_keys(self.applied - state.applied)
                removed = format_keys(state.applied - self.applied)
                text += (
                    "The database's applied migrations differ from those saved for this "
                    f"commit (applied now but not saved: {added}; saved but not applied now: "
                    f"{removed}). The saved state was kept unchanged. Did you forget to "
                    "perform rollback before changing service version? So migrations may be "
                    "in inconsistent state, please check it!"
                )
            warn = self.newest is not None or self.outcome == "conflict"
            result.append((WARNING if warn else INFO, text))
        if self.added_tags and self.outcome != "created":
            result.append((INFO, f"Tags added: {', '.join(self.added_tags)}."))
        for tag, old in self.moved_tags:
            result.append((WARNING, f"Tag {tag!r} moved here from commit {old!r}."))
        return result

    def diff_message(self) -> tuple[str, str]:
        """The difference from the previous state, for ``--log-diff``.

        The previous state is the one current before this save (after a rollback, the
        state rolled back to), else the one saved before this one.
        """
        previous = self.previous
        if self.current_before is not None and self.current_before.id != self.state.id:
            previous = self.current_before
        if previous is None:
            return (INFO, "There is only one state in DB. No diff to show.")
        added = self.state.applied - previous.applied
        removed = previous.applied - self.state.applied
        if not added and not removed:
            return (INFO, f"Diff not found against the previous state {previous.label}.")
        return (
            WARNING,
            f"Diff against the previous state {previous.label}:\n"
            f"  applied since: {format_keys(added)}\n"
            f"  unapplied since: {format_keys(removed)}",
        )


def save_state(
    commit: str | None = None,
    tags: Iterable[str] = (),
    using: str = DEFAULT_DB_ALIAS,
    *,
    path: str | Path = ".",
    lock_timeout: float | None = None,
) -> SaveResult:
    """Record the applied migrations of the database `using` as the state of a release.

    Safe to call from every replica at start-up: it holds the migration advisory lock and
    each (alias, commit) pair is unique, so concurrent calls leave exactly one state.
    Calling it again for a saved commit keeps the saved applied set, adds new tags, and
    makes the state current again when the database matches it.

    Args:
        commit: The release's commit; default: the setting, the environment variable, or
            git ``HEAD`` at or above `path` (see `current_release`).
        tags: Tags to store besides the ones git has for the commit.
        using: The database alias.
        path: Where to look for the git repository.
        lock_timeout: Seconds to wait for the migration lock (default: the setting
            ``TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT``).

    Raises:
        ReleaseUnknown: The commit cannot be determined.
        MigrationStateError: The app's tables do not exist on `using`, or a tag is empty.
        NotPostgreSQL: `using` is not a PostgreSQL database.
        LockNotAcquired: Another deploy or rollback holds the lock.
    """
    require_postgresql(using, feature="save_migrations_state")
    extra = tuple(tags)
    if any(not tag.strip() for tag in extra):
        raise MigrationStateError("Tags must not be empty.")
    release = current_release(path, commit)
    wanted_tags = sorted(set(release.tags) | {tag.strip() for tag in extra})
    model = _model()
    require_tables(using)
    timeout = conf.lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout):
        applied = applied_migrations(using)
        current_before = current_state(using)
        now = timezone.now()
        with transaction.atomic(using=using):
            row, created = model.objects.using(using).get_or_create(
                database=using,
                commit=release.commit,
                defaults={
                    "tags": wanted_tags,
                    "applied": _pairs(applied),
                    "leaves": _pairs(code_leaves()),
                    "django_version": django.get_version(),
                    "created_at": now,
                    "saved_at": now,
                },
            )
            added: list[str] = []
            if created:
                outcome = "created"
            else:
                added = [tag for tag in wanted_tags if tag not in row.tags]
                row.tags = sorted({*row.tags, *added})
                if _keys(row.applied) != applied:
                    outcome = "conflict"
                else:
                    is_current = current_before is not None and current_before.id == row.pk
                    outcome = "confirmed" if is_current else "resumed"
                    row.saved_at = now
                row.save(using=using, update_fields=["tags", "saved_at"])
            moved = _move_tags(row, wanted_tags, using)
        states = saved_states(using)
    index = next(i for i, state in enumerate(states) if state.id == row.pk)
    newest = states[-1] if states[-1].id != row.pk else None
    return SaveResult(
        state=states[index],
        outcome=outcome,
        release=release,
        previous=states[index - 1] if index else None,
        current_before=current_before,
        newest=newest,
        applied=applied,
        added_tags=tuple(added),
        moved_tags=moved,
    )


def _move_tags(row: MigrationState, tags: list[str], using: str) -> tuple[tuple[str, str], ...]:
    """A git tag names one commit: take `tags` away from the alias's other states."""
    moved = []
    others = _model().objects.using(using).filter(database=using).exclude(pk=row.pk)
    for tag in tags:
        for other in others.filter(tags__contains=[tag]):
            other.tags = [name for name in other.tags if name != tag]
            other.save(using=using, update_fields=["tags"])
            moved.append((tag, other.commit))
    return tuple(moved)
