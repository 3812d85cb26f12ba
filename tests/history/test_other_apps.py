"""Models of other apps (auth's User) and many-to-many relations (auto-created through
models), tracked into an app of the user's choice, with the triggers in its migrations."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import models

import tidemark_history as history
from tests.app_registry import forget_models
from tests.history.conftest import raw
from tests.history.test_schema import migrations  # noqa: F401 - the fixture
from tidemark_history.verify import verify_triggers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrations")]
MODULE = "tests.history.evolve.models"


def model(model_name: str, **fields: Any) -> Any:
    meta = type("Meta", (), {"app_label": "evolve"})
    return type(model_name, (models.Model,), {"__module__": MODULE, "Meta": meta, **fields})


@pytest.fixture
def tracked() -> Iterator[dict[str, Any]]:
    """Pizza and its toppings (a tracked many-to-many), auth's User and its groups."""
    forget_models("evolve")
    topping = model("Topping", name=models.CharField(max_length=20))
    pizza = history.track()(
        model(
            "Pizza", name=models.CharField(max_length=20), toppings=models.ManyToManyField(topping)
        )
    )
    history.track(history.InsertEvent("topping.add"), history.DeleteEvent("topping.remove"))(
        pizza.toppings.through
    )
    menu = model("Menu", toppings=models.ManyToManyField(topping, through="Pairing"))
    history.track()(
        model(
            "Pairing",
            menu=models.ForeignKey(menu, models.CASCADE),
            topping=models.ForeignKey(topping, models.CASCADE),
            note=models.CharField(max_length=20, default=""),
        )
    )
    history.track(app_label="evolve", exclude=["password", "last_login"])(User)
    history.track(
        history.InsertEvent("group.add"), history.DeleteEvent("group.remove"), app_label="evolve"
    )(User.groups.through)
    try:
        yield {"Pizza": pizza, "Topping": topping, "Menu": menu}
    finally:
        # The triggers on auth's tables go with the evolve app's migrations.
        call_command("migrate", "evolve", "zero", verbosity=0)
        forget_models("evolve")


def rows(table: str, *columns: str) -> list[tuple[Any, ...]]:
    selected = ", ".join(["history_label", *columns])
    return raw(f"SELECT {selected} FROM {table} ORDER BY history_id")


def test_auth_user_and_many_to_many_relations_are_tracked_with_events(
    tracked: dict[str, Any],
) -> None:
    call_command("makemigrations", "evolve", verbosity=0)
    call_command("migrate", "evolve", verbosity=0)
    # Nothing to write in auth's migrations: every trigger is in evolve's.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    triggers = raw(
        "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger WHERE NOT tgisinternal"
        " AND tgrelid::regclass::text IN ('auth_user', 'auth_user_groups',"
        " 'evolve_pizza_toppings') GROUP BY 1 ORDER BY 1"
    )
    assert triggers == [("auth_user", 3), ("auth_user_groups", 2), ("evolve_pizza_toppings", 2)]
    # history_verify finds every one of them installed and current.
    call_command("history_verify", stdout=StringIO())
    raw("ALTER TABLE auth_user DISABLE TRIGGER USER")
    with pytest.raises(CommandError, match="3 of the"):
        call_command("history_verify", stdout=StringIO(), stderr=StringIO())
    problems = [str(problem) for problem in verify_triggers("default")[1]]
    assert len(problems) == 3
    assert all("on auth_user is disabled" in problem for problem in problems)
    raw("ALTER TABLE auth_user ENABLE TRIGGER USER")

    alice = User.objects.create_user("alice", password="secret")
    staff = Group.objects.create(name="staff")
    alice.groups.add(staff)
    alice.first_name = "Alice"
    alice.save()
    alice.groups.remove(staff)
    alice.set_password("changed")
    alice.save(update_fields=["password"])  # excluded: no event

    assert rows("evolve_userevent", "history_object_id", "username", "first_name") == [
        ("insert", alice.pk, "alice", ""),
        ("update", alice.pk, "alice", "Alice"),
    ]
    assert "password" not in {
        name
        for (name,) in raw(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'evolve_userevent'"
        )
    }
    assert list(alice.history.values_list("history_label", flat=True)) == ["insert", "update"]
    assert rows("evolve_user_groupsevent", "user_id", "group_id") == [
        ("group.add", alice.pk, staff.pk),
        ("group.remove", alice.pk, staff.pk),
    ]

    pizza_model, topping_model = tracked["Pizza"], tracked["Topping"]
    ham, olive = (
        topping_model.objects.create(name="ham"),
        topping_model.objects.create(name="olive"),
    )
    pizza = pizza_model.objects.create(name="Margherita")
    pizza.toppings.add(ham, olive)
    pizza.toppings.remove(ham)
    pizza.toppings.clear()
    assert sorted(rows("evolve_pizza_toppingsevent", "pizza_id", "topping_id")) == sorted(
        [
            ("topping.add", pizza.pk, ham.pk),
            ("topping.add", pizza.pk, olive.pk),
            ("topping.remove", pizza.pk, ham.pk),
            ("topping.remove", pizza.pk, olive.pk),
        ]
    )
    assert rows("evolve_pizzaevent", "name") == [("insert", "Margherita")]

    # An explicit through model is a model like any other.
    menu = tracked["Menu"].objects.create()
    menu.toppings.add(olive, through_defaults={"note": "black"})
    menu.toppings.remove(olive)
    assert rows("evolve_pairingevent", "menu_id", "topping_id", "note") == [
        ("insert", menu.pk, olive.pk, "black"),
        ("delete", menu.pk, olive.pk, "black"),
    ]
