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
