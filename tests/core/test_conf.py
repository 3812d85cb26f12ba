"""Settings declared once: typed values, defaults, renamed names and their system checks."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tidemark_core import migration_lock_timeout
from tidemark_core.conf import (
    Setting,
    check_core_settings,
    check_settings,
    optional_text,
    seconds,
    whole_number,
)

RETRIES = Setting(
    "TIDEMARK_TEST_RETRIES", 5, whole_number(1), "a whole number, 1 or more", "tidemark_x.E009"
)


def test_a_setting_is_its_default_until_configured_and_read_when_used() -> None:
    assert RETRIES.value() == 5
    assert RETRIES.raw() == 5
    with override_settings(TIDEMARK_TEST_RETRIES=8):
        assert RETRIES.value() == 8
        assert check_settings(RETRIES) == []


def test_a_bad_value_names_the_setting_and_the_accepted_values() -> None:
    with override_settings(TIDEMARK_TEST_RETRIES="3"):
        with pytest.raises(ImproperlyConfigured) as error:
            RETRIES.value()
        [message] = check_settings(RETRIES)
    assert str(error.value) == (
        "TIDEMARK_TEST_RETRIES must be a whole number, 1 or more, not '3' (not a whole number)."
    )
    assert message.id == "tidemark_x.E009"
    assert message.msg == str(error.value)
    assert message.hint == (
        "Set TIDEMARK_TEST_RETRIES to a whole number, 1 or more, or remove it to use the "
        "default (5)."
    )


def test_the_migration_lock_timeout_is_one_setting_with_its_old_name_still_read() -> None:
    assert migration_lock_timeout() == 60.0
    assert check_core_settings() == []
    with override_settings(TIDEMARK_MIGRATION_LOCK_TIMEOUT=2):
        assert migration_lock_timeout() == 2.0
    with override_settings(TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT=3):
        assert migration_lock_timeout() == 3.0
        [warning] = check_core_settings()
    assert warning.id == "tidemark_core.E001"
    assert warning.msg == (
        "TIDEMARK_MIGRATION_STATE_LOCK_TIMEOUT was renamed to TIDEMARK_MIGRATION_LOCK_TIMEOUT."
    )
    assert not warning.is_serious()
    with override_settings(TIDEMARK_MIGRATION_LOCK_TIMEOUT="soon"):
        [error] = check_core_settings()
    assert error.is_serious()
    assert error.msg.startswith(
        "TIDEMARK_MIGRATION_LOCK_TIMEOUT must be a number of seconds, 0 or more, not 'soon'"
    )


@pytest.mark.parametrize("bad", [True, -1, math.inf, math.nan, "5", None])
def test_seconds_refuse_what_is_not_a_duration(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        seconds(bad)


def test_parsers_accept_what_they_promise() -> None:
    assert seconds(0) == 0.0
    assert seconds(2.5) == 2.5
    assert whole_number(0)(0) == 0
    with pytest.raises(ValueError, match="too small"):
        whole_number(1)(0)
    with pytest.raises(TypeError):
        whole_number(0)(False)
    assert optional_text(None) is None
    assert optional_text("  ") is None
    assert optional_text(" a.b ") == "a.b"
    with pytest.raises(TypeError):
        optional_text(3)
