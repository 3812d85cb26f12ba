"""The data-sync app installs alone, passes its checks and exports a sorted API."""

from __future__ import annotations

from importlib.metadata import version

from django.core import checks
from django.core.management import call_command
from django.test import override_settings

import tidemark_data_sync
from tests.api import assert_public_api
from tidemark_data_sync.checks import check_postgresql, check_settings_valid


def test_public_api_is_exactly_the_sorted_all() -> None:
    assert_public_api("tidemark_data_sync")
    assert tidemark_data_sync.__version__ == version("django-tidemark-data-sync")


def test_system_checks_pass_on_postgresql() -> None:
    call_command("check", fail_level="WARNING", databases=["default", "other"])
    assert check_postgresql(databases=["default", "other"]) == []


def test_e001_when_the_database_is_not_postgresql() -> None:
    [error] = check_postgresql(databases=["lite"])

    assert error.id == "tidemark_data_sync.E001"
    assert error.level == checks.ERROR


def test_settings_are_checked_by_name_with_what_they_accept() -> None:
    assert check_settings_valid() == []
    with override_settings(
        TIDEMARK_DATA_SYNC_DATASETS="not a path", TIDEMARK_DATA_SYNC_LOCK_TIMEOUT=-5
    ):
        datasets, timeout = check_settings_valid()
    assert (datasets.id, timeout.id) == ("tidemark_data_sync.E002", "tidemark_data_sync.E003")
    assert datasets.msg.startswith(
        "TIDEMARK_DATA_SYNC_DATASETS must be the dotted path of a callable returning the "
        "datasets, e.g. 'shop.datasets.datasets', not 'not a path'"
    )
    assert timeout.msg.startswith(
        "TIDEMARK_DATA_SYNC_LOCK_TIMEOUT must be a number of seconds, 0 or more, not -5"
    )
