"""What saving a state says: the messages of ``save_migrations_state`` and ``--log-diff``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .states import format_keys

if TYPE_CHECKING:
    from .saving import SaveResult
    from .states import SavedState

WARNING = "warning"
INFO = "info"


def save_messages(result: SaveResult, *, full_data: bool = False) -> list[tuple[str, str]]:
    """What a save did, as ``(level, text)`` pairs (level ``"info"`` or ``"warning"``).

    The sentences are django-rollback's where their meaning holds, so scraped logs keep
    working.
    """
    state = result.state
    messages = [(WARNING, warning) for warning in result.release.warnings]
    data = f"\nData = {format_keys(result.applied)}" if full_data else ""
    if result.outcome == "created":
        messages.append((INFO, f"State successfully created for commit {state.label}.{data}"))
    elif result.outcome == "confirmed":
        messages.append(
            (
                INFO,
                f"State for current commit {state.label} already exists. {_created(state)}.\n"
                f"This is the latest state for this service. So all is fine.{data}",
            )
        )
    else:
        warn = result.newest is not None or result.outcome == "conflict"
        messages.append((WARNING if warn else INFO, _existing(result)))
    if result.added_tags and result.outcome != "created":
        messages.append((INFO, f"Tags added: {', '.join(result.added_tags)}."))
    for tag, old in result.moved_tags:
        messages.append((WARNING, f"Tag {tag!r} moved here from commit {old!r}."))
    return messages


def _created(state: SavedState) -> str:
    return f"Created {state.created_at:%Y-%m-%d %H:%M:%S %Z}"


def _existing(result: SaveResult) -> str:
    """A save of a commit saved before, that was not the current state."""
    state = result.state
    text = f"State for current commit {state.label} already exists. {_created(state)}.\n"
    if result.newest is not None:
        text += (
            "This is NOT the latest state for this service.\n"
            f"Latest: commit {result.newest.label}, created "
            f"{result.newest.created_at:%Y-%m-%d %H:%M:%S %Z}.\n"
        )
    elif result.current_before is not None and result.current_before.id != state.id:
        text += f"The current state was {result.current_before.label}.\n"
    if result.outcome == "resumed":
        return text + (
            "The database's applied migrations match this state, so it is the current "
            "state again (a roll forward, or an older release deployed after a "
            "release without migrations)."
        )
    added = format_keys(result.applied - state.applied)
    removed = format_keys(state.applied - result.applied)
    return text + (
        "The database's applied migrations differ from those saved for this "
        f"commit (applied now but not saved: {added}; saved but not applied now: "
        f"{removed}). The saved state was kept unchanged. Did you forget to "
        "perform rollback before changing service version? So migrations may be "
        "in inconsistent state, please check it!"
    )


def diff_message(result: SaveResult) -> tuple[str, str]:
    """The difference from the previous state, for ``--log-diff``.

    The previous state is the one current before this save (after a rollback, the
    state rolled back to), else the one saved before this one.
    """
    previous = result.previous
    if result.current_before is not None and result.current_before.id != result.state.id:
        previous = result.current_before
    if previous is None:
        return (INFO, "There is only one state in DB. No diff to show.")
    added = result.state.applied - previous.applied
    removed = previous.applied - result.state.applied
    if not added and not removed:
        return (INFO, f"Diff not found against the previous state {previous.label}.")
    return (
        WARNING,
        f"Diff against the previous state {previous.label}:\n"
        f"  applied since: {format_keys(added)}\n"
        f"  unapplied since: {format_keys(removed)}",
    )
