"""Erasure: redact() rewrites one object's events, strips the values from context metadata,
through the maintenance path only, and leaves a record without the erased values."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.scale.models import Member, Reading
from tests.history.test_guard import role
from tests.history.testapp.models import Category
from tidemark_history.exceptions import HistoryError, MaintenanceError
from tidemark_history.models import Context, Redaction
from tidemark_history.redaction import redact

MemberEvent = Member.history.field.model  # type: ignore[attr-defined]
ERASED = ("ann@example.com", "ann@new.example.com", "Ann Smith")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann() -> Member:
    with history.context(user_email="ann@example.com", path="/signup/", user=7):
        member = Member.objects.create(email="ann@example.com", name="Ann Smith")
    with history.context(tags=["ann@example.com", "vip"], by={"name": "Ann Smith", "id": 7}):
        Member.objects.filter(pk=member.pk).update(email="ann@new.example.com")
    with history.context(user_email="bob@example.com"):
        Member.objects.create(email="bob@example.com", name="Bob")
    member.refresh_from_db()
    return member


def everything() -> str:
    """Every event and context as text, to look for a value anywhere."""
    rows = [*events(MemberEvent), *Context.objects.values()]
    return json.dumps(rows, default=str)


def test_redact_removes_the_values_from_events_and_context_and_leaves_a_record(
    ann: Member,
) -> None:
    done = redact(Member, ann.pk, ["email", "name"], by="dpo@example.com")

    text = everything()
    assert not [value for value in ERASED if value in text]
    assert done.events == 2
    assert done.contexts == 2
    assert [(e["email"], e["name"], e["plan"]) for e in events(MemberEvent)] == [
        (None, None, "free"),
        (None, None, "free"),
        ("bob@example.com", "Bob", "free"),
    ]
    assert sorted(json.dumps(c.metadata, sort_keys=True) for c in Context.objects.all()) == [
        '{"by": {"id": 7}, "tags": ["vip"]}',
        '{"path": "/signup/", "user": 7}',
        '{"user_email": "bob@example.com"}',
    ]
    record = Redaction.objects.get()
    assert (record.model, record.object_id, record.fields) == (
        "scale.Member",
        str(ann.pk),
        ["email", "name"],
    )
    assert (record.events, record.contexts, record.requested_by) == (2, 2, "dpo@example.com")
    assert record.database_role == raw("SELECT current_user")[0][0]
    assert record.at is not None
    stored = json.dumps(list(Redaction.objects.values()), default=str)
    assert not [value for value in ERASED if value in stored]


def test_context_values_strip_the_person_s_identifiers_too(ann: Member) -> None:
    redact(Member, ann.pk, ["email"], context_values=[7])

    assert sorted(json.dumps(c.metadata, sort_keys=True) for c in Context.objects.all()) == [
        '{"by": {"name": "Ann Smith"}, "tags": ["vip"]}',
        '{"path": "/signup/"}',
        '{"user_email": "bob@example.com"}',
    ]
    assert [e["name"] for e in events(MemberEvent)] == ["Ann Smith", "Ann Smith", "Bob"]


def test_erased_values_are_null_and_replacements_win() -> None:
    reading = Reading.objects.create(sensor="ann-home", value=3)

    redact(Reading, reading.pk, ["sensor", "value"], replacements={"sensor": "(erased)"})

    event_model = Reading.history.field.model  # type: ignore[attr-defined]
    # Event columns are nullable (no recorded value is ever made up), so NULL erases.
    assert [(e["sensor"], e["value"]) for e in events(event_model)] == [("(erased)", None)]


def test_a_dry_run_counts_and_changes_nothing(ann: Member) -> None:
    before = everything()

    done = redact(Member, ann.pk, ["email"], dry_run=True)

    assert (done.events, done.contexts) == (2, 2)
    assert everything() == before
    assert not Redaction.objects.exists()


def test_an_application_role_cannot_redact_and_the_guard_still_refuses(ann: Member) -> None:
    before = everything()

    with role(), pytest.raises(MaintenanceError, match="may not"):
        redact(Member, ann.pk, ["email"])
    with role(), pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE scale_memberevent SET email = ''")
    redact(Member, ann.pk, ["email"])
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE tidemark_history_redaction SET fields = '[]'")
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM tidemark_history_redaction")

    assert everything() != before
    assert Redaction.objects.count() == 1


def test_bad_arguments_are_refused(ann: Member) -> None:
    with pytest.raises(HistoryError, match="not tracked"):
        redact(Category, 1, ["name"])
    with pytest.raises(HistoryError, match=r"\['nope'\] are not among them"):
        redact(Member, ann.pk, ["email", "nope"])
    with pytest.raises(HistoryError, match="name fields"):
        redact(Member, ann.pk, [])
    with pytest.raises(HistoryError, match="at least 1"):
        redact(Member, ann.pk, ["email"], batch_size=0)
    assert not Redaction.objects.exists()


def test_the_command_redacts_and_reports(ann: Member, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("history_redact", "scale.Member", str(ann.pk), "--field", "email", "--dry-run")
    assert capsys.readouterr().out == (
        f"scale.Member {ann.pk}: would rewrite 2 events and 2 contexts (email)\n"
    )
    call_command(
        "history_redact",
        "scale.Member",
        str(ann.pk),
        "--field",
        "email",
        "--field",
        "name",
        "--context-value",
        "7",
        "--by",
        "ticket 4711",
        "--json",
    )
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "ok": True,
        "dry_run": False,
        "events": 2,
        "contexts": 2,
        "redaction": Redaction.objects.get().pk,
    }
    assert Redaction.objects.get().requested_by == "ticket 4711"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scale.Nope", "1", "--field", "email"], "No model"),
        (["scale.Member", "1", "--field", "nope"], "are not among them"),
        (["scale.Member", "1", "--field", "email", "--database", "nope"], "not configured"),
    ],
)
def test_the_command_refuses_bad_input(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("history_redact", *argv)


def test_every_kind_of_field_is_erased_to_null() -> None:
    import datetime
    from decimal import Decimal

    from tests.history.testapp.models import Category, Item

    shelf = Category.objects.create(name="shelf")
    item = Item.objects.create(
        name="tea", price=Decimal("2.50"), quantity=3, category=shelf, data={"a": 1}
    )
    member = Member.objects.create(email="c@example.com", name="C", newsletter=True)

    redact(Item, item.pk, ["price", "quantity", "category", "data"])
    redact(Member, member.pk, ["newsletter", "birthday"], replacements={"birthday": None})

    [event] = history.event_model(Item).objects.all()
    assert (event.price, event.quantity, event.category_id, event.data) == (None,) * 4
    assert event.name == "tea"
    assert [(e.newsletter, e.birthday) for e in member.history.all()] == [(None, None)]
    redact(Member, member.pk, ["birthday"], replacements={"birthday": datetime.date(1900, 1, 1)})
    assert [e.birthday for e in member.history.all()] == [datetime.date(1900, 1, 1)]


def test_only_the_event_models_that_copy_a_field_are_rewritten() -> None:
    from tests.history.testapp.models import Page

    with history.context(author="Ann Smith's desk", title="Draft by Ann"):
        page = Page.objects.create(title="Draft by Ann", price=3)
        Page.objects.filter(pk=page.pk).update(status="live")  # PageEvent: "published"
    with history.context(note="Draft by Ann, second look"):
        Page.objects.filter(pk=page.pk).update(status="draft")
        Page.objects.filter(pk=page.pk).update(status="live")

    done = redact(Page, page.pk, ["title"])

    assert done.events == 2  # PageEvent copies the title, PriceChange does not
    assert [e.price for e in page.price_changes.all()] == [3]
    # Text that merely contains the value is kept; the exact value is removed.
    assert sorted(json.dumps(c.metadata) for c in Context.objects.all()) == [
        '{"author": "Ann Smith\'s desk"}',
        '{"note": "Draft by Ann, second look"}',
    ]


def test_nothing_to_strip_when_the_values_are_empty() -> None:
    with history.context(note="kept"):
        member = Member.objects.create(email="", name="")

    assert redact(Member, member.pk, ["email", "name"]).contexts == 0
    assert [c.metadata for c in Context.objects.all()] == [{"note": "kept"}]
