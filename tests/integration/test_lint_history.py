"""The linter judges the migrations history generates for tracked models: event tables and
their triggers change together, so only the tracked table's own change is reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgtrigger
import pytest
from django.apps import apps
from django.db import models

import tidemark_history as history
import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp, temporary_app
from tidemark_history.tracking import _specs

pytestmark = pytest.mark.django_db(databases=["default", "other"])

APP, MODULE = "tracked", "tests.integration.tracked.models"


def forget_tracking() -> None:
    for model in list(apps.all_models[APP].values()):
        for uri, (registered, _trigger) in list(pgtrigger.registry._registry.items()):
            if registered is model:
                pgtrigger.registry.delete(uri)
        _specs.pop(model, None)


@pytest.fixture
def tracked(tmp_path: Path) -> Iterator[LintApp]:
    app = temporary_app(tmp_path, APP, MODULE)
    try:
        yield next(app)
    finally:
        forget_tracking()
        next(app, None)


def thing(**extra: Any) -> dict[str, Any]:
    forget_tracking()
    return {
        "Thing": {"name": models.CharField(max_length=20), **extra, "decorators": [history.track()]}
    }


def test_a_field_added_to_a_tracked_model(tracked: LintApp) -> None:
    tracked.release(thing())
    name = tracked.release(thing(colour=models.CharField(max_length=10, default="red")))
    source = tracked.source(name)
    assert "thingevent" in source
    assert "pgtrigger.migrations" in source

    result = tracked.lint(name)

    # The tracked table's INSERTs from the previous release fail (PG008); the event table's
    # copy of the column is written only by the triggers this migration replaces.
    assert [(f.code, f.table) for f in result.findings] == [("PG008", "tracked_thing")]


def test_a_new_field_added_to_a_tracked_model_is_clean(tracked: LintApp) -> None:
    tracked.release(thing())
    name = tracked.release(
        thing(colour=smooth.new_field(models.CharField(max_length=10, default="red")))
    )

    assert tracked.lint(name).findings == []
    warnings = tracked.lint(name, lock_timeout=False).findings
    assert {f.code for f in warnings} == {"PG100"}  # the triggers' brief locks
