"""The history app installs alone, passes its checks and exports a sorted API."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

import tidemark_history
from tests.api import assert_public_api
from tidemark_history.checks import check_postgresql


def test_public_api_is_exactly_the_sorted_all() -> None:
    assert_public_api("tidemark_history")
    assert tidemark_history.__version__ == version("django-tidemark-history")


@pytest.mark.django_db(databases=["default", "other"])
def test_system_checks_pass_on_postgresql() -> None:
    # With databases, the checks also verify every Tidemark trigger (W002).
    call_command("check", fail_level="WARNING", databases=["default", "other"])
    assert check_postgresql(databases=["default", "other"]) == []


def test_e001_when_the_database_is_not_postgresql() -> None:
    [error] = check_postgresql(databases=["lite"])

    assert error.id == "tidemark_history.E001"
    assert error.level == checks.ERROR


def test_e002_without_pgtrigger_in_installed_apps() -> None:
    from tidemark_history.checks import check_pgtrigger_installed

    assert check_pgtrigger_installed() == []
    with override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "tidemark_history"]):
        [error] = check_pgtrigger_installed()
    assert error.id == "tidemark_history.E002"
    assert "pgtrigger" in error.hint


def test_e003_without_contrib_postgres_in_installed_apps() -> None:
    from tidemark_history.checks import check_contrib_postgres_installed

    assert check_contrib_postgres_installed() == []
    with override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "pgtrigger"]):
        [error] = check_contrib_postgres_installed()
    assert error.id == "tidemark_history.E003"
    assert "django.contrib.postgres" in error.hint
