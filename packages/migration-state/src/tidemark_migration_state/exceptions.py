"""The errors raised by Tidemark migration state; all derive from `TidemarkError`."""

from __future__ import annotations

from tidemark_core import TidemarkError


class MigrationStateError(TidemarkError):
    """Base class of the errors of Tidemark migration state."""


class ReleaseUnknown(MigrationStateError):
    """The release commit could not be determined (no ``--commit``, setting or git)."""


class StateNotFound(MigrationStateError):
    """No saved state matches the requested commit or tag, or the match is ambiguous."""
