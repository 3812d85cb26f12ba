"""The migration-state app installs alone, passes its checks and exports a sorted API."""

from __future__ import annotations

from importlib.metadata import version
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

import tidemark_migration_state
from tests.api import assert_public_api
from tidemark_migration_state.checks import check_postgresql, check_release_commit


def test_public_api_is_exactly_the_sorted_all() -> None:
    assert_public_api("tidemark_migration_state")
    assert tidemark_migration_state.__version__ == version("django-tidemark-migration-state")


@pytest.mark.django_db(databases=["default", "other"])
def test_system_checks_pass_on_postgresql() -> None:
    # Explicit aliases: Django 6.1 checks every configured alias otherwise, "lite" included.
    call_command("check", fail_level="WARNING", databases=["default", "other"])
    assert check_postgresql(databases=["default", "other"]) == []


def test_e001_when_the_database_is_not_postgresql() -> None:
    [error] = check_postgresql(databases=["lite"])

    assert error.id == "tidemark_migration_state.E001"
    assert error.level == checks.ERROR


@pytest.mark.django_db
@pytest.mark.parametrize(
    "auto_field", ["django.db.models.BigAutoField", "django.db.models.AutoField"]
)
def test_makemigrations_check_is_clean_under_either_default_auto_field(auto_field: str) -> None:
    out = StringIO()
    with override_settings(DEFAULT_AUTO_FIELD=auto_field):
        call_command(
            "makemigrations", "tidemark_migration_state", "--check", "--dry-run", stdout=out
        )
    assert "No changes detected" in out.getvalue()


def test_e002_when_the_configured_release_commit_is_not_a_sha(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert check_release_commit() == []
    monkeypatch.setenv("TIDEMARK_RELEASE_COMMIT", "release-42")

    [error] = check_release_commit()

    assert error.id == "tidemark_migration_state.E002"
    assert error.msg == (
        "The environment variable TIDEMARK_RELEASE_COMMIT must be 4 to 64 hexadecimal digits, "
        "such as the output of `git rev-parse HEAD`, not 'release-42'."
    )
    assert "git rev-parse HEAD" in (error.hint or "")
    with override_settings(TIDEMARK_MIGRATION_STATE_COMMIT="AB12cd34"):
        assert check_release_commit() == []
    with override_settings(TIDEMARK_MIGRATION_STATE_COMMIT="  "):  # blank: the variable counts
        [error] = check_release_commit()
        assert "TIDEMARK_RELEASE_COMMIT" in error.msg
    with override_settings(TIDEMARK_MIGRATION_STATE_COMMIT="main"):
        [error] = check_release_commit()
    assert error.msg.startswith("TIDEMARK_MIGRATION_STATE_COMMIT must be 4 to 64 hexadecimal")
    assert "'main'" in error.msg
