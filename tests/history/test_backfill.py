"""Baselines: one event per row without one, never twice, resumable, from the command too."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models

import tidemark_history as history
from tests.app_registry import forget_models
from tests.history.conftest import events, raw
from tests.history.scale.models import Member, Reading
from tests.history.testapp.models import Category
from tidemark_history.backfill import backfill
from tidemark_history.exceptions import HistoryError

MemberEvent = Member.history.field.model  # type: ignore[attr-defined]
ReadingEvent = Reading.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def untracked_rows() -> Iterator[list[Member]]:
    """Five members written while the table was not tracked (its triggers disabled)."""
    raw("ALTER TABLE scale_member DISABLE TRIGGER USER")
    try:
        members = [
            Member.objects.create(email=f"m{i}@example.com", name=f"member {i}", plan="free")
            for i in range(5)
        ]
    finally:
        raw("ALTER TABLE scale_member ENABLE TRIGGER USER")
    assert events(MemberEvent) == []
    return members


def baselines() -> list[tuple[int, str, str]]:
    return [
        (e["history_object_id"], e["history_label"], e["email"])
        for e in events(MemberEvent)
        if e["history_label"] == "baseline"
    ]


def test_one_baseline_per_row_without_an_event_with_its_values(
    untracked_rows: list[Member],
) -> None:
    tracked = Member.objects.create(email="new@example.com", name="new")  # has its insert

    [done] = backfill(Member, batch_size=2)

    assert (done.event_model, done.rows, done.created) == (MemberEvent, 6, 5)
    assert baselines() == [(m.pk, "baseline", m.email) for m in untracked_rows]
    assert [
        e["history_label"] for e in events(MemberEvent) if e["history_object_id"] == tracked.pk
    ] == ["insert"]


def test_a_second_run_writes_nothing(untracked_rows: list[Member]) -> None:
    backfill(Member)

    [again] = backfill(Member, batch_size=3)

    assert (again.rows, again.created) == (5, 0)
    assert len(baselines()) == 5


def test_an_interrupted_run_resumes_without_duplicates(untracked_rows: list[Member]) -> None:
    seen: list[int] = []

    def interrupt(task: str, done: int, total: int | None) -> None:
        seen.append(done)
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill(Member, batch_size=2, progress=interrupt)
    assert len(baselines()) == 2  # the first batch was committed

    [done] = backfill(Member, batch_size=2)

    assert done.created == 3
    assert sorted(pk for pk, _label, _email in baselines()) == sorted(m.pk for m in untracked_rows)
    assert seen == [2]


def test_the_baseline_is_the_state_later_changes_follow(untracked_rows: list[Member]) -> None:
    backfill(Member)
    member = untracked_rows[0]
    Member.objects.filter(pk=member.pk).update(plan="pro")

    found = [
        (e["history_label"], e["plan"])
        for e in events(MemberEvent)
        if e["history_object_id"] == member.pk
    ]
    assert found == [("baseline", "free"), ("update", "pro")]
    [baseline, update] = member.history.order_by("history_id")
    assert update.diff() == {"plan": ("free", "pro")}
    # as_of knows the row from its baseline on, not before.
    assert history.as_of(Member, baseline.history_at).get(pk=member.pk).plan == "free"
    assert (
        not history.as_of(Member, baseline.history_at - datetime.timedelta(seconds=1))
        .filter(pk=member.pk)
        .exists()
    )


def test_a_partitioned_event_table_gets_baselines_too() -> None:
    raw("ALTER TABLE scale_reading DISABLE TRIGGER USER")
    try:
        reading = Reading.objects.create(sensor="tide", value=4)
    finally:
        raw("ALTER TABLE scale_reading ENABLE TRIGGER USER")

    [done] = backfill(Reading)

    assert done.created == 1
    assert [(e["history_label"], e["value"]) for e in events(ReadingEvent)] == [("baseline", 4)]
    assert reading.history.count() == 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(HistoryError, match="is not tracked"):
        backfill(Category)
    with pytest.raises(HistoryError, match="at least 1"):
        backfill(Member, batch_size=0)


def test_the_command_reports_and_records_its_context(
    untracked_rows: list[Member], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("history_backfill", "scale.Member", "--batch-size", "2")

    assert capsys.readouterr().out == (
        "scale.MemberEvent: 5 baseline events written (5 rows looked at)\n"
    )
    contexts = {e["history_context_id"] for e in events(MemberEvent)}
    assert len(contexts) == 1
    assert None not in contexts
    [(metadata,)] = raw(
        "SELECT metadata FROM tidemark_history_context WHERE id = %s", [contexts.pop()]
    )
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {"command": "history_backfill"}

    call_command("history_backfill", "scale.Member", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "ok": True,
        "event_models": [{"model": "scale.MemberEvent", "rows": 5, "created": 0}],
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scale.Nope"], "No model 'scale.Nope'"),
        (["testapp.Category"], "is not tracked"),
        (["scale.Member", "--batch-size", "0"], "at least 1"),
        (["scale.Member", "--database", "nope"], "not configured"),
    ],
)
def test_the_command_refuses_bad_input(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("history_backfill", *argv)


def test_a_write_in_flight_finishes_first_and_its_row_gets_no_baseline(
    untracked_rows: list[Member],
) -> None:
    import threading

    from django.db import connections, transaction

    updated = threading.Event()

    def application() -> None:
        try:
            with transaction.atomic():
                Member.objects.filter(pk=untracked_rows[0].pk).update(plan="pro")
                updated.set()
                time.sleep(2.5)  # longer than a batch waits for its lock
        finally:
            connections.close_all()

    writer = threading.Thread(target=application)
    writer.start()
    assert updated.wait(10)
    started = time.monotonic()

    [done] = backfill(Member)

    writer.join()
    assert time.monotonic() - started > 1.5  # it waited for the write, gave way, came back
    assert done.created == 4
    first = [
        e["history_label"]
        for e in events(MemberEvent)
        if e["history_object_id"] == untracked_rows[0].pk
    ]
    assert first == ["update"]
    assert sorted(pk for pk, _l, _e in baselines()) == [m.pk for m in untracked_rows[1:]]


def test_a_model_with_a_uuid_primary_key_gets_baselines() -> None:
    # PostgreSQL has no min() or max() of uuid: a batch's key range is read by ordering.
    class Token(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return self.name

    try:
        history.track()(Token)
        TokenEvent = history.event_model(Token)
        with connection.schema_editor() as editor:
            editor.create_model(Token)
            editor.create_model(TokenEvent)
        try:
            raw(f"ALTER TABLE {Token._meta.db_table} DISABLE TRIGGER USER")  # rows, no events
            tokens = Token.objects.bulk_create([Token(name=f"t{i}") for i in range(5)])
            raw(f"ALTER TABLE {Token._meta.db_table} ENABLE TRIGGER USER")
            assert events(TokenEvent) == []

            (result,) = backfill(Token, batch_size=2)
            again = backfill(Token, batch_size=2)

            assert (result.rows, result.created) == (5, 5)
            assert again[0].created == 0
            assert sorted(e["history_object_id"] for e in events(TokenEvent)) == sorted(
                token.pk for token in tokens
            )
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(TokenEvent)
                editor.delete_model(Token)
    finally:
        forget_models("testapp", ["Token"])
