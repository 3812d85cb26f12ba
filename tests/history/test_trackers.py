"""Trackers and conditions as django-pghistory users write them, and their argument checks."""

from __future__ import annotations

from typing import Any

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import models

import tidemark_history as history
from tests.app_registry import forget_models
from tests.history.conftest import raw
from tests.history.test_schema import migrations  # noqa: F401 - the fixture

MODULE = "tests.history.evolve.models"


def model(model_name: str, bases: tuple[type, ...] = (models.Model,), **fields: Any) -> Any:
    meta = type("Meta", (), {"app_label": "evolve"})
    return type(model_name, bases, {"__module__": MODULE, "Meta": meta, **fields})


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda: history.UpdateEvent("renamed"),
            r"label=\.\.\., e\.g\. UpdateEvent\(label='renamed'\)",
        ),
        (lambda: history.UpdateEvent(condition=42), r"a condition is history\.Changed"),
        (lambda: history.InsertEvent("Created!"), r"the label 'Created!' must be"),
        (lambda: history.InsertEvent(label=7), r"the label 7 must be a string"),
        (
            lambda: history.ManualEvent(None),
            r'ManualEvent needs a label, e\.g\. ManualEvent\("audit"\)',
        ),
        (lambda: history.Changed(exclude="name"), r"exclude=\['name'\]"),
        (lambda: history.Changed(1), r"field names are strings; got 1"),
        (lambda: history.track(history.InsertEvent), r"Call it: InsertEvent\(\)"),
        (lambda: history.track("insert"), r"trackers are history\.InsertEvent\(\)"),
        (
            lambda: history.track(fields="name"),
            r'fields is a list of field names, e\.g\. fields=\["name"\]',
        ),
        (lambda: history.track(exclude=[3]), r"exclude is a list of field names"),
    ],
)
def test_arguments_of_the_wrong_kind_are_refused_with_what_to_write(
    declare: Any, message: str
) -> None:
    with pytest.raises(history.TrackingError, match=message):
        declare()


def test_declaration_errors_name_the_app_and_the_field() -> None:
    forget_models("evolve")
    try:
        with pytest.raises(history.TrackingError, match=r"app_label='nowhere'.*no installed app"):
            history.track(app_label="nowhere")(model("Thing", name=models.CharField(max_length=9)))
        forget_models("evolve")
        with pytest.raises(history.TrackingError, match=r"Changed\('size'\): Thing has no field"):
            history.track(history.UpdateEvent(condition=history.Changed("size")))(
                model("Thing", name=models.CharField(max_length=9))
            )
        with pytest.raises(history.TrackingError, match=r"decorates a model class, not 'app\.M'"):
            history.track()("app.M")  # type: ignore[type-var]
    finally:
        forget_models("evolve")


def test_pghistory_labels_are_accepted() -> None:
    assert history.InsertEvent("model.create").label == "model.create"
    assert history.DeleteEvent("group.remove").label == "group.remove"
    assert history.UpdateEvent(label="model-update").label == "model-update"


def test_any_change_is_changed_over_the_tracked_fields() -> None:
    assert issubclass(history.AnyChange, history.Changed)
    assert history.AnyChange is not pgtrigger.AnyChange


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations")
def test_conditions_mean_the_tracked_fields_of_the_own_table() -> None:
    forget_models("evolve")
    place = history.track()(model("Place", name=models.CharField(max_length=20)))
    # A multi-table-inheritance child: its own table has only shop's fields.
    history.track()(model("Shop", bases=(place,), kind=models.CharField(max_length=20)))
    history.track(
        history.UpdateEvent(condition=history.AnyChange(exclude_auto=True), label="model.update"),
        exclude=["notes"],
    )(
        model(
            "Note",
            title=models.CharField(max_length=20),
            notes=models.TextField(default=""),
            touched=models.DateTimeField(auto_now=True),
        )
    )
    call_command("makemigrations", "evolve", verbosity=0)
    call_command("migrate", "evolve", verbosity=0)

    raw("INSERT INTO evolve_place (name) VALUES ('harbour')")
    raw("INSERT INTO evolve_shop (place_ptr_id, kind) VALUES (1, 'chandler')")
    raw("UPDATE evolve_place SET name = 'quay'")  # the parent's table: the Place event only
    raw("UPDATE evolve_shop SET kind = 'baker'")
    assert raw("SELECT history_label, kind FROM evolve_shopevent ORDER BY history_id") == [
        ("insert", "chandler"),
        ("update", "baker"),
    ]

    raw("INSERT INTO evolve_note (title, notes, touched) VALUES ('a', '', now())")
    raw("UPDATE evolve_note SET notes = 'excluded, not tracked'")
    raw("UPDATE evolve_note SET touched = now() - interval '1 day'")  # auto_now only
    raw("UPDATE evolve_note SET title = 'b', touched = now()")
    assert raw("SELECT history_label, title FROM evolve_noteevent ORDER BY history_id") == [
        ("model.update", "b")
    ]
