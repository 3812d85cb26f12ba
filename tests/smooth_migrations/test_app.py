"""The smooth-migrations app installs alone, passes its checks and exports a sorted API."""

from __future__ import annotations

from importlib.metadata import version

from django.core import checks
from django.core.management import call_command

import tidemark_smooth_migrations
from tests.api import assert_public_api
from tidemark_smooth_migrations.checks import check_postgresql


def test_public_api_is_exactly_the_sorted_all() -> None:
    assert_public_api("tidemark_smooth_migrations")
    assert tidemark_smooth_migrations.__version__ == version("django-tidemark-smooth-migrations")


def test_system_checks_pass_on_postgresql() -> None:
    call_command("check", fail_level="WARNING", databases=["default", "other"])
    assert check_postgresql(databases=["default", "other"]) == []


def test_e001_when_the_database_is_not_postgresql() -> None:
    [error] = check_postgresql(databases=["lite"])

    assert error.id == "tidemark_smooth_migrations.E001"
    assert error.level == checks.ERROR


def test_e002_when_the_lint_baseline_is_not_a_mapping() -> None:
    from django.test.utils import override_settings

    from tidemark_smooth_migrations.checks import check_settings_valid

    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE={"shop": 42}):
        [error] = check_settings_valid()

    assert error.id == "tidemark_smooth_migrations.E002"
    assert error.msg.startswith(
        "TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE must be a dict of app label"
    )
    assert check_settings_valid() == []


def test_each_statement_limit_setting_has_its_check() -> None:
    from django.test.utils import override_settings

    from tidemark_smooth_migrations import conf
    from tidemark_smooth_migrations.checks import check_settings_valid

    with override_settings(
        TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT="2s",
        TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT=-1,
        TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES=0,
    ):
        errors = check_settings_valid()

    assert [(error.id, error.msg) for error in errors] == [
        (
            "tidemark_smooth_migrations.E003",
            "TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT must be a number of seconds, 0 "
            "or more, or None (no limit), not '2s' (not a number).",
        ),
        (
            "tidemark_smooth_migrations.E004",
            "TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT must be a number of seconds, 0 or "
            "more, or None (no limit), not -1 (out of range).",
        ),
        (
            "tidemark_smooth_migrations.E005",
            "TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES must be a whole number of tries, 1 or "
            "more, not 0 (too small).",
        ),
    ]
    with override_settings(
        TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT=0,
        TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT=30,
    ):
        limits = conf.statement_limits()
    assert (limits.lock_timeout, limits.statement_timeout, limits.attempts) == (None, 30.0, 5)
    assert conf.statement_limits().lock_timeout == 2.0
