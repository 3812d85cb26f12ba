"""Find a saved state: by commit (a unique prefix), by tag, or the previous one."""

from __future__ import annotations

from pathlib import Path

from django.db import DEFAULT_DB_ALIAS

from .exceptions import StateNotFound
from .release import resolve_git_tag
from .states import SavedState, current_state, saved_states


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
