"""Settings of the Tidemark apps: declared once, read lazily, validated by system checks.

Each app lists its settings as `Setting` objects in its own ``conf.py`` and reads them through
one accessor each, at call time (never at import). The app's system check runs
`check_settings` on the same objects, so a bad value is reported by ``manage.py check`` with
the setting's name and the values it accepts, instead of failing later in a command.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its name, its default, and how a configured value is validated.

    Attributes:
        name: The Django setting, e.g. ``TIDEMARK_DATA_SYNC_LOCK_TIMEOUT``.
        default: The value when the setting is absent.
        parse: Turns a configured value into the typed value; raises `ValueError` or
            `TypeError` when the value is not acceptable.
        accepted: The accepted values in words, completing "must be ...".
        check_id: The id of the system check reporting a bad value.
        renamed_from: An earlier name still read when `name` is absent (reported by a
            warning of the same check).
    """

    name: str
    default: T
    parse: Callable[[Any], T]
    accepted: str
    check_id: str
    renamed_from: str | None = None

    def _configured(self) -> tuple[bool, Any]:
        for name in (self.name, self.renamed_from):
            if name is not None and hasattr(settings, name):
                return True, getattr(settings, name)
        return False, self.default

    def raw(self) -> Any:
        """The configured value as it is, unvalidated (the default when it is absent)."""
        return self._configured()[1]

    def value(self) -> T:
        """The typed value of the setting (the default when it is absent).

        Raises:
            ImproperlyConfigured: The configured value is not acceptable; the message
                names the setting and what it accepts.
        """
        configured, raw = self._configured()
        if not configured:
            return self.default
        try:
            return self.parse(raw)
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(self.problem(raw, error)) from None

    def problem(self, raw: Any, error: BaseException | None = None) -> str:
        """The message for an unacceptable value."""
        detail = f" ({error})" if error is not None and str(error) else ""
        return f"{self.name} must be {self.accepted}, not {raw!r}{detail}."

    def check(self) -> list[CheckMessage]:
        """The system-check messages for this setting (empty when it is fine)."""
        messages: list[CheckMessage] = []
        if (
            self.renamed_from is not None
            and hasattr(settings, self.renamed_from)
            and not hasattr(settings, self.name)
        ):
            messages.append(
                CheckWarning(
                    f"{self.renamed_from} was renamed to {self.name}.",
                    hint=f"Rename the setting to {self.name}; the old name will stop working.",
                    id=self.check_id,
                )
            )
        try:
            self.value()
        except ImproperlyConfigured as error:
            messages.append(
                Error(
                    str(error),
                    hint=f"Set {self.name} to {self.accepted}, or remove it to use the "
                    f"default ({self.default!r}).",
                    id=self.check_id,
                )
            )
        return messages


def check_settings(*declared: Setting[Any]) -> list[CheckMessage]:
    """The system-check messages of several settings, in order."""
    return [message for setting in declared for message in setting.check()]


def seconds(value: Any) -> float:
    """A duration in seconds: a finite number, 0 or more (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("out of range")
    return number


def whole_number(minimum: int) -> Callable[[Any], int]:
    """A parser for an integer of at least `minimum` (not a boolean)."""

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not a whole number")
        if value < minimum:
            raise ValueError("too small")
        return value

    return parse


def optional_text(value: Any) -> str | None:
    """A non-empty string, or None (an empty or blank string counts as None)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value.strip() or None


MIGRATION_LOCK_TIMEOUT = Setting(
    "TIDEMARK_MIGRATION_LOCK_TIMEOUT",
    60.0,
    seconds,
    "a number of seconds, 0 or more",
    "tidemark_core.E001",
    renamed_from="TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT",
)
"""Seconds a migration run, rollback or release save waits for another one's lock."""


def migration_lock_timeout() -> float:
    """``TIDEMARK_MIGRATION_LOCK_TIMEOUT``: seconds to wait for the migration lock.

    Shared by every command that takes `MIGRATION_LOCK` (``apply_migrations``,
    ``rollback_migrations``, ``save_migrations_state``). Default: 60.
    """
    return MIGRATION_LOCK_TIMEOUT.value()


def check_core_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``tidemark_core.E001``: the settings of core are valid.

    Apps that use core's settings register this very function, so it runs once however
    many of them are installed.
    """
    return check_settings(MIGRATION_LOCK_TIMEOUT)
