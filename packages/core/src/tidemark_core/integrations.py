"""How the Tidemark apps meet when several are installed: the one seam between them.

Core names no app. Each app offers what it has to the others in its ``AppConfig.ready()``
(`offer`), and an app that can use a capability asks core for it (`offered` or one of the
typed accessors below), doing without when the app that offers it is not installed:

| capability | offered by | used by |
|---|---|---|
| `HISTORY_CONTEXT`: a ``context(**metadata)`` factory | history | every command that changes rows |
| `SAVED_RELEASES`: ``saved_releases(using)`` | migration-state | ``show_migration_changes`` |
| `RELEASE_RECORDER`: a `ReleaseRecorder` | migration-state | ``apply_migrations --save-state`` |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from .plan import Key

HISTORY_CONTEXT = "history.context"
SAVED_RELEASES = "releases.saved"
RELEASE_RECORDER = "releases.recorder"

_offers: dict[str, Any] = {}


def offer(capability: str, provider: Any) -> None:
    """Make `provider` available to the other apps as `capability` (from ``ready()``)."""
    _offers[capability] = provider


def withdraw(capability: str) -> None:
    """Take `capability` back (tests that uninstall an app use it)."""
    _offers.pop(capability, None)


def offered(capability: str) -> Any | None:
    """What an installed app offers as `capability`, or None."""
    return _offers.get(capability)


def history_context(**metadata: Any) -> AbstractContextManager[Any]:
    """The history context of the block when an app offers one, else a no-op.

    Commands that change rows (rollbacks, migration runs, dataset loads) wrap their work in
    it, so the history of every row they touch says which command, release or dataset did it.
    """
    factory: Callable[..., AbstractContextManager[Any]] | None = offered(HISTORY_CONTEXT)
    return nullcontext() if factory is None else factory(**metadata)


class Release(Protocol):
    """A release, as another app records it."""

    @property
    def commit(self) -> str:
        """The release's git commit."""

    @property
    def tags(self) -> tuple[str, ...]:
        """Its tags."""


class SavedRelease(Release, Protocol):
    """A recorded release, as `saved_releases` lists them."""

    @property
    def applied(self) -> frozenset[Key]:
        """The applied migrations recorded for it."""


def saved_releases(using: str) -> list[SavedRelease] | None:
    """The releases recorded for the database `using`, oldest first; None when not offered."""
    provider: Callable[[str], Sequence[SavedRelease]] | None = offered(SAVED_RELEASES)
    return None if provider is None else list(provider(using))


class RecordedRelease(Release, Protocol):
    """What recording a release did."""

    @property
    def outcome(self) -> str:
        """How the save ended (``"created"``, ``"confirmed"``, ...)."""

    def messages(self) -> list[tuple[str, str]]:
        """What happened, as ``(level, text)`` pairs, level ``"info"`` or ``"warning"``."""


@dataclass(frozen=True)
class ReleaseRequest:
    """The release a migration run asks to record once it succeeds.

    Attributes:
        using: The database alias.
        commit: The commit given by the user, or None for the configured one or git's.
        tags: Tags to record besides git's.
        app_label: The app the run migrates, or None for all.
        migration_name: The run's target migration in that app, if any.
    """

    using: str
    commit: str | None = None
    tags: tuple[str, ...] = ()
    app_label: str | None = None
    migration_name: str | None = None


class ReleaseRecorder(Protocol):
    """Records the release a migration run deploys, under the run's migration lock."""

    def prepare(self, request: ReleaseRequest) -> str:
        """Check, before anything is applied, that the release can be recorded.

        Returns:
            The commit that will be recorded.

        Raises:
            TidemarkError: The release cannot be recorded; the message says why.
        """

    def record(self, request: ReleaseRequest, commit: str) -> RecordedRelease:
        """Record the release as `commit`; the caller holds the migration lock."""


def release_recorder() -> ReleaseRecorder | None:
    """The `ReleaseRecorder` an installed app offers, or None."""
    recorder: ReleaseRecorder | None = offered(RELEASE_RECORDER)
    return recorder
