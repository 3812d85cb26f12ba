"""Smooth migrations and migration state together: unfinished contract steps dated by release."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tidemark_migration_state import save_state

pytestmark = pytest.mark.django_db(transaction=True)


def changes() -> dict[str, dict[str, object]]:
    out = StringIO()
    call_command("show_migration_changes", "--json", stdout=out)
    data = json.loads(out.getvalue())
    return {
        change["label"]: change
        for kind in ("new_field", "deprecated_field")
        for change in data[kind]
    }


def test_pending_changes_are_dated_by_the_saved_releases_that_had_them() -> None:
    save_state(commit="1" * 40, tags=["v1.0"])

    first = changes()
    assert first["testapp.Product.currency"]["since"] == "v1.0"
    assert first["testapp.Product.currency"]["releases"] == 1
    assert first["testapp.Product.legacy_code"]["since"] == "v1.0"
    call_command("show_migration_changes", "--check", stdout=StringIO())

    save_state(commit="2" * 40, tags=["v1.1"])

    assert changes()["testapp.Product.currency"]["releases"] == 2
    with pytest.raises(
        CommandError, match=r"more than 1 saved release.*testapp\.Product\.currency"
    ):
        call_command("show_migration_changes", "--check", stdout=StringIO())
    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_MAX_RELEASES=2):
        call_command("show_migration_changes", "--check", stdout=StringIO())
