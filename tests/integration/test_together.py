"""All four Tidemark apps installed in one project load, pass their checks and agree."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command


@pytest.mark.django_db(databases=["default", "other"])
def test_all_apps_install_together_and_pass_their_checks() -> None:
    labels = {config.label for config in apps.get_app_configs()}
    assert {
        "tidemark_core",
        "tidemark_history",
        "tidemark_migration_state",
        "tidemark_smooth_migrations",
        "tidemark_data_sync",
    } <= labels
    call_command("check", fail_level="WARNING", databases=["default", "other"])


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_every_app_reports_the_same_version() -> None:
    import tidemark_core
    import tidemark_data_sync
    import tidemark_history
    import tidemark_migration_state
    import tidemark_smooth_migrations

    versions = {
        module.__version__
        for module in (
            tidemark_core,
            tidemark_data_sync,
            tidemark_history,
            tidemark_migration_state,
            tidemark_smooth_migrations,
        )
    }
    assert versions == {tidemark_core.__version__}
