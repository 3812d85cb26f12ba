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
    refuse_unresolved,
    require_postgresql,
)

from .exceptions import DamagedState
from .lineage import enter
from .release import Release, current_release, validate_tags
from .states import (
    SavedState,
    current_state,
    keys,
    lineage_model,
    pairs,
    previous_state,
    problems,
    require_tables,
    saved_states,
    state_model,
)
from .wording import RESOLVE_ADVICE, diff_message, save_messages

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
        previous: The release in force before this one, along the lineage (for a save
            that did not make it current, the one in force), if any.
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
    makes the state current again when the database matches it. Everything is written in
    one transaction: a save commits a valid state, or nothing.

    Args:
        commit: The release's commit; default: the setting, the environment variable, or
            git ``HEAD`` at or above `path` (see `current_release`).
        tags: Tags to store besides the ones git has for the commit, exactly as given.
        using: The database alias.
        path: Where to look for the git repository.
        lock_timeout: Seconds to wait for the migration lock (default: the setting
            ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``).

    Raises:
        ReleaseUnknown: The commit cannot be determined.
        MigrationStateError: The app's tables do not exist on `using`, or a tag is empty,
            starts or ends with whitespace, or holds a control character.
        DamagedState: The state saved for this commit is damaged; nothing was written.
        InterruptedRun: A migration run on `using` was interrupted and is unresolved: the
            applied set may be half-way, so nothing is saved.
        NotPostgreSQL: `using` is not a PostgreSQL database.
        LockNotAcquired: Another deploy or rollback holds the lock.
    """
    require_postgresql(using, feature="save_migrations_state")
    extra = validate_tags(tags)
    release = current_release(path, commit)
    wanted_tags = sorted(set(release.tags) | set(extra))
    require_tables(using)
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout):
        refuse_unresolved(using, advice=RESOLVE_ADVICE)
        applied = applied_migrations(using)
        current_before = _current_or_none(using)
        with transaction.atomic(using=using):
            row, outcome, added = _save_row(
                using, release.commit, wanted_tags, applied, current_before
            )
            moved = _move_tags(row, wanted_tags, using)
            state = SavedState.from_model(row)
            previous = _in_force_before(using, state, outcome, current_before)
        newest = saved_states(using)[-1]
    return SaveResult(
        state=state,
        outcome=outcome,
        release=release,
        previous=previous,
        current_before=current_before,
        newest=newest if newest.id != state.id else None,
        applied=applied,
        added_tags=tuple(added),
        moved_tags=moved,
    )


def _current_or_none(using: str) -> SavedState | None:
    """The state in force, or None when there is none or it is damaged (a save repairs that)."""
    try:
        return current_state(using)
    except DamagedState:
        return None


def _save_row(
    using: str,
    commit: str,
    tags: list[str],
    applied: frozenset[Key],
    current_before: SavedState | None,
) -> tuple[MigrationState, str, list[str]]:
    """Create the state of `commit`, or update the saved one; enter it in the lineage."""
    now = timezone.now()
    row, created = (
        state_model()
        .objects.using(using)
        .get_or_create(
            database=using,
            commit=commit,
            defaults={
                "tags": tags,
                "applied": pairs(applied),
                "leaves": pairs(code_leaves()),
                "django_version": django.get_version(),
                "created_at": now,
                "saved_at": now,
            },
        )
    )
    if created:
        enter(lineage_model(), using, using, row.pk, "saved", at=now)
        return row, "created", []
    found = problems(row)
    if found:
        raise DamagedState(row.pk, row.database, row.commit, found)
    added = [tag for tag in tags if tag not in row.tags]
    row.tags = sorted({*row.tags, *added})
    if keys(row.applied) != applied:
        outcome = "conflict"
    else:
        outcome = (
            "confirmed" if current_before is not None and current_before.id == row.pk else "resumed"
        )
        row.saved_at = now
        enter(lineage_model(), using, using, row.pk, "resumed", at=now)
    row.save(using=using, update_fields=["tags", "saved_at"])
    return row, outcome, added


def _in_force_before(
    using: str, state: SavedState, outcome: str, current_before: SavedState | None
) -> SavedState | None:
    """The release in force before `state`, along the lineage (for ``--log-diff``).

    For a save that did not make `state` current (a conflict), the one in force now.
    """
    if outcome == "conflict":
        return current_before
    try:
        return previous_state(using)
    except DamagedState:
        return None


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
