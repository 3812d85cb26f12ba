"""show_migration_changes: what is left to contract, grouped right, dated by saved releases."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.db import models
from django.db.migrations.loader import MigrationLoader
from django.test.utils import isolate_apps, override_settings

import tidemark_smooth_migrations as smooth
from tests.migration_support import Release
from tidemark_core import integrations
from tidemark_smooth_migrations import NotNullableFieldError
from tidemark_smooth_migrations import changes as changes_module
from tidemark_smooth_migrations.changes import (
    Change,
    introduced_by,
    overdue,
    pending_changes,
    with_releases,
)
from tidemark_smooth_migrations.checks import check_new_fields_enforced, check_settings_valid
from tidemark_smooth_migrations.conf import max_releases

from .migrations_src import NORTH_0001

EXPAND = ("testapp", "0002_expand")
INITIAL = ("testapp", "0001_initial")


@dataclass
class State:
    """A saved release as tidemark_migration_state.saved_states() returns it."""

    commit: str
    applied: frozenset[tuple[str, str]]
    tags: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def show(*args: str) -> str:
    out = StringIO()
    call_command("show_migration_changes", *args, stdout=out, no_color=True)
    return out.getvalue()


def test_pending_changes_are_found_with_the_migration_that_introduced_them() -> None:
    found = {(change.kind, change.label): change.migration for change in pending_changes()}

    assert found == {
        ("new_field", "testapp.Product.currency"): EXPAND,
        ("new_field", "testapp.Product.stock"): EXPAND,
        ("backward_compatible_model", "testapp.Product"): EXPAND,
        ("deprecated_field", "testapp.Product.legacy_code"): EXPAND,
        ("deprecated_field", "testapp.Product.old_notes"): EXPAND,
        ("deprecated_model", "testapp.Coupon"): INITIAL,
    }


def test_output_groups_each_kind_under_its_own_heading() -> None:
    lines = show().splitlines()

    assert lines == [
        "New fields (make them NOT NULL in the next release: remove new_field()):",
        "  testapp.Product.currency",
        "  testapp.Product.stock",
        "Backward-compatible models (remove @backward_compatible_model with their last new_field):",
        "  testapp.Product",
        "Deprecated fields (drop the columns in the next release):",
        "  testapp.Product.legacy_code",
        "  testapp.Product.old_notes",
        "Deprecated models (drop the tables in the next release):",
        "  testapp.Coupon",
    ]


def test_json_and_check_without_migration_state() -> None:
    data = json.loads(show("--json"))

    assert [item["label"] for item in data["deprecated_model"]] == ["testapp.Coupon"]
    assert data["new_field"][0] == {
        "kind": "new_field",
        "label": "testapp.Product.currency",
        "migration": "testapp.0002_expand",
        "since": None,
        "releases": 0,
    }
    assert data["dated"] is False
    with pytest.raises(CommandError, match="6 backward-compatibility change"):
        show("--check")


def test_saved_releases_are_none_without_migration_state() -> None:
    assert integrations.saved_releases("default") is None


def test_with_releases_dates_each_change_by_the_oldest_saved_release_holding_it() -> None:
    before = State("a" * 40, frozenset({INITIAL}), tags=("v1",))
    expanded = State("b" * 40, frozenset({INITIAL, EXPAND}), tags=("v2", "latest"))
    later = State("c" * 40, frozenset({INITIAL, EXPAND}))
    pending = [
        Change("new_field", "testapp", "Product", "currency", EXPAND),
        Change("deprecated_model", "testapp", "Coupon", None, INITIAL),
        Change("new_field", "testapp", "Product", "stock", ("testapp", "0003_unreleased")),
        Change("deprecated_model", "testapp", "Other", None, None),
    ]

    dated = with_releases(pending, [before, expanded, later])

    assert [(c.since, c.releases) for c in dated] == [
        ("v2", 2),
        ("v1", 3),
        (None, 0),
        (None, 0),
    ]
    assert [c.label for c in overdue(dated, 2, dated=True)] == ["testapp.Coupon"]
    assert [c.since for c in with_releases(pending[:1], [later])] == ["c" * 12]
    assert overdue(pending, 2, dated=False) == pending


def test_check_with_saved_releases_fails_only_on_overdue_changes(
    request: pytest.FixtureRequest,
) -> None:
    states = [
        State("a" * 40, frozenset({INITIAL}), tags=("v1",)),
        State("b" * 40, frozenset({INITIAL, EXPAND}), tags=("v2",)),
    ]
    # What tidemark_migration_state offers when installed, through core's seam.
    integrations.offer(integrations.SAVED_RELEASES, lambda using: states)
    request.addfinalizer(lambda: integrations.withdraw(integrations.SAVED_RELEASES))

    output = show()
    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES=2):
        show("--check")
    with pytest.raises(CommandError, match=r"1 backward-compatibility change\(s\) have existed"):
        show("--check")

    assert "  testapp.Product.currency  (since release v2, 1 release(s))" in output
    assert "  testapp.Coupon  (since release v1, 2 release(s))" in output


def test_max_releases_setting() -> None:
    assert max_releases() == 1
    assert check_settings_valid() == []
    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES=3):
        assert max_releases() == 3
    with (
        override_settings(TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES="2"),
        pytest.raises(ImproperlyConfigured, match="whole number"),
    ):
        max_releases()
    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES=-1):
        [error] = check_settings_valid()
    assert error.id == "tidemark_smooth_migrations.E002"
    assert error.msg.startswith(
        "TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES must be a whole number of releases (0 or more), "
        "not -1"
    )


def test_w001_new_field_without_backward_compatible_model() -> None:
    with isolate_apps("tests.smooth_migrations.testapp") as registry:

        class Unchecked(models.Model):
            size = smooth.new_field(models.IntegerField())

            class Meta:
                app_label = "testapp"

            def __str__(self) -> str:
                return str(self.pk)

        [warning] = check_new_fields_enforced(app_configs=[registry.get_app_config("testapp")])

    assert warning.id == "tidemark_smooth_migrations.W001"
    assert warning.level == checks.WARNING
    assert "testapp.Unchecked" in warning.msg
    assert check_new_fields_enforced() == []


@pytest.mark.django_db(databases=["default", "other"])
def test_introduced_by_follows_state_operations_and_create_model(release: Release) -> None:
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_size": """
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("north", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField("thing", "size", models.IntegerField(null=True))],
            database_operations=[migrations.RunSQL("SELECT 1", reverse_sql="SELECT 1")],
        ),
    ]
""",
        }
    )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    with isolate_apps("tests.smooth_migrations.deployapps.north"):

        class Thing(models.Model):
            name = models.CharField(max_length=50, unique=True)
            size = models.IntegerField(null=True)

            class Meta:
                app_label = "north"

            def __str__(self) -> str:
                return self.name

    assert introduced_by(loader, Thing, ["size"]) == ("north", "0002_size")
    assert introduced_by(loader, Thing, ["name"]) == ("north", "0001_initial")
    assert introduced_by(loader, Thing, ["name", "size"], oldest=True) == ("north", "0001_initial")
    assert introduced_by(loader, Thing) == ("north", "0002_size")
    assert introduced_by(loader, Thing, ["missing"]) is None


def test_show_says_when_nothing_is_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes_module, "pending_changes", list)

    assert show() == "No backward-compatibility changes pending.\n"
    show("--check")


def test_full_clean_of_a_blank_new_field_and_of_other_errors() -> None:
    with isolate_apps("tests.smooth_migrations.testapp"):

        @smooth.backward_compatible_model
        class Optional(models.Model):
            name = models.CharField(max_length=10)
            nickname = smooth.new_field(models.CharField(max_length=10, blank=True))

            class Meta:
                app_label = "testapp"

            def __str__(self) -> str:
                return self.name

    with pytest.raises(NotNullableFieldError, match="nickname"):
        Optional(name="a").full_clean()
    with pytest.raises(ValidationError) as caught:
        Optional(name="", nickname="b").full_clean()
    assert not isinstance(caught.value, NotNullableFieldError)
    Optional(name="a", nickname="").full_clean()
