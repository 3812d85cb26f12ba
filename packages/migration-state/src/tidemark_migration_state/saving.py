"""Save the applied migrations of the database as the state of the release being deployed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import django
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from tidemark_core import (
    MIGRATION_LOCK,
    Key,
    advisory_lock,
    applied_migrations,
    migration_lock_timeout,
    require_postgresql,
)

from .exceptions import MigrationStateError
from .release import Release, current_release
from .states import (
    SavedState,
    current_state,
    keys,
    pairs,
    require_tables,
    saved_states,
    state_model,
)
from .wording import diff_message, save_messages

if TYPE_CHECKING:
    from .models import MigrationState


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

    @property
    def commit(self) -> str:
        """The saved commit."""
        return self.state.commit

    @property
    def tags(self) -> tuple[str, ...]:
        """The saved state's tags after the call."""
        return self.state.tags

    def messages(self, *, full_data: bool = False) -> list[tuple[str, str]]:
        """What happened, as ``(level, text)`` pairs (level ``"info"`` or ``"warning"``)."""
        return save_messages(self, full_data=full_data)

    def diff_message(self) -> tuple[str, str]:
        """The difference from the previous state, for ``--log-diff`` (see `diff_message`)."""
        return diff_message(self)


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
            ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``).

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
    model = state_model()
    require_tables(using)
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
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
                    "applied": pairs(applied),
                    "leaves": pairs(code_leaves()),
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
                if keys(row.applied) != applied:
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
    others = state_model().objects.using(using).filter(database=using).exclude(pk=row.pk)
    for tag in tags:
        for other in others.filter(tags__contains=[tag]):
            other.tags = [name for name in other.tags if name != tag]
            other.save(using=using, update_fields=["tags"])
            moved.append((tag, other.commit))
    return tuple(moved)
