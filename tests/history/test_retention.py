"""Pruning: by date and by model, whole partitions dropped, orphan contexts removed, only
through the maintenance path; the guard refuses an ordinary DELETE during and after."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

import tidemark_history as history
from tests.history.conftest import events, raw
from tests.history.scale.models import Member, Reading
from tests.history.test_guard import role
from tests.history.testapp.models import Category
from tidemark_history.exceptions import HistoryError, MaintenanceError
from tidemark_history.models import Context
from tidemark_history.partitions import maintain_partitions, partitions
from tidemark_history.retention import prune

MemberEvent = Member.history.field.model  # type: ignore[attr-defined]
ReadingEvent = Reading.history.field.model  # type: ignore[attr-defined]
UTC = datetime.UTC
JAN = datetime.datetime(2025, 1, 1, tzinfo=UTC)
FEB = datetime.datetime(2025, 2, 1, tzinfo=UTC)
MAR = datetime.datetime(2025, 3, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def old_event(model: type, obj: object, at: datetime.datetime, **values: object) -> int:
    event = model._default_manager.create(  # type: ignore[attr-defined]
        history_label="update", history_object=obj, history_at=at, **values
    )
    return int(event.pk)


def member_events() -> list[tuple[str, str]]:
    return [(e["history_label"], e["name"]) for e in events(MemberEvent)]


def test_prune_by_date_removes_older_events_and_keeps_the_rest() -> None:
    member = Member.objects.create(email="a@example.com", name="now")
    old_event(MemberEvent, member, JAN, email="a@example.com", name="jan")
    old_event(MemberEvent, member, FEB, email="a@example.com", name="feb")

    result = prune(FEB, model=Member)

    assert (result.events, result.tables[0].events, result.dry_run) == (1, 1, False)
    assert member_events() == [("insert", "now"), ("update", "feb")]


def test_prune_by_model_leaves_other_models_alone() -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    reading = Reading.objects.create(sensor="tide")
    old_event(MemberEvent, member, JAN, email="a@example.com", name="jan")
    old_event(ReadingEvent, reading, JAN, sensor="tide", value=1)

    result = prune(FEB, model=Reading)

    assert [t.event_model for t in result.tables] == [ReadingEvent]
    assert [e["history_label"] for e in events(ReadingEvent)] == ["insert"]
    assert member_events() == [("insert", "m"), ("update", "jan")]
    # The event model itself can be named too.
    assert prune(FEB, model=MemberEvent).events == 1


def test_a_dry_run_counts_and_removes_nothing() -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    for day in range(1, 4):
        old_event(MemberEvent, member, JAN.replace(day=day), email="a@example.com", name="jan")

    result = prune(older_than=datetime.timedelta(days=30), model=Member, dry_run=True)

    assert (result.events, result.dry_run) == (3, True)
    assert len(events(MemberEvent)) == 4


def test_the_guard_refuses_an_ordinary_delete_during_and_after_a_prune() -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    for day in range(1, 6):
        old_event(MemberEvent, member, JAN.replace(day=day), email="a@example.com", name="jan")
    refused: list[str] = []

    def meanwhile(task: str, done: int, total: int | None) -> None:
        for attempt in (lambda: raw("DELETE FROM scale_memberevent"), _as_app_role_delete):
            with pytest.raises(DatabaseError, match="append-only") as error:
                attempt()
            refused.append(str(error.value).splitlines()[0])

    result = prune(FEB, model=Member, batch_size=2, progress=meanwhile)

    assert result.events == 5
    assert len(refused) >= 6  # two refusals after each of the three batches (and at start)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM scale_memberevent")
    with pytest.raises(DatabaseError, match="append-only"):
        _as_app_role_delete()
    assert member_events() == [("insert", "m")]


def _as_app_role_delete() -> None:
    with role():
        raw("DELETE FROM scale_memberevent")


def test_an_application_role_cannot_prune() -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    old_event(MemberEvent, member, JAN, email="a@example.com", name="jan")
    reading = Reading.objects.create(sensor="tide")
    maintain_partitions(ahead=0, now=JAN)
    old_event(ReadingEvent, reading, JAN, sensor="tide", value=1)

    with role(), pytest.raises(MaintenanceError, match="may not"):
        prune(FEB, model=Member)
    with role(), pytest.raises(MaintenanceError, match="may not drop history partitions"):
        prune(FEB, model=Reading)

    assert len(events(MemberEvent)) == 2
    assert len(events(ReadingEvent)) == 2


def test_a_whole_period_of_a_partitioned_table_is_dropped_not_deleted() -> None:
    maintain_partitions(ahead=2, now=JAN)
    reading = Reading.objects.create(sensor="tide")
    for day in (1, 15, 31):
        old_event(ReadingEvent, reading, JAN.replace(day=day), sensor="tide", value=day)
    mid_feb = old_event(ReadingEvent, reading, FEB.replace(day=15), sensor="tide", value=45)
    old_event(ReadingEvent, reading, MAR.replace(day=2), sensor="tide", value=61)
    names = {p.lower: p.name for p in partitions(ReadingEvent)}
    raw("SELECT pg_stat_reset()")

    result = prune(FEB.replace(day=20), model=Reading)

    [table] = result.tables
    assert table.dropped == [names[JAN]]
    assert table.events == 4  # three in the dropped partition, one deleted from February
    assert names[JAN] not in {p.name for p in partitions(ReadingEvent)}
    assert raw("SELECT to_regclass(%s)", [names[JAN]]) == [(None,)]
    assert mid_feb not in {e["history_id"] for e in events(ReadingEvent)}
    assert [e["value"] for e in events(ReadingEvent)] == [0, 61]


def test_contexts_no_event_points_to_are_removed_with_the_events() -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    contexts = {
        name: Context.objects.create(id=uuid.uuid4(), metadata={"reason": name})
        for name in ("old", "still used", "orphan", "recent orphan")
    }
    for name in ("old", "still used", "orphan"):
        _age_context(contexts[name].pk, JAN)
    old_event(
        MemberEvent,
        member,
        JAN,
        email="a@example.com",
        name="jan",
        history_context_id=contexts["old"].pk,
    )
    old_event(
        MemberEvent,
        member,
        MAR,
        email="a@example.com",
        name="mar",
        history_context_id=contexts["still used"].pk,
    )

    result = prune(FEB)

    assert (result.events, result.contexts) == (1, 2)
    assert {c.metadata["reason"] for c in Context.objects.all()} == {"still used", "recent orphan"}
    assert member_events() == [("insert", "m"), ("update", "mar")]
    # Named models only: contexts stay, another event model may still point to them.
    assert prune(FEB, model=Member).contexts == 0


def _age_context(context_id: object, at: datetime.datetime) -> None:
    """Date a context back, through the maintenance path once contexts are append-only."""
    from tidemark_history.retention import _context_guarded

    if _context_guarded("default"):
        raw(
            "SELECT tidemark_history_update('tidemark_history_context'::regclass, "
            "ARRAY[%s]::text[], jsonb_build_object('created_at', %s::text))",
            [str(context_id), at.isoformat()],
        )
    else:
        raw("UPDATE tidemark_history_context SET created_at = %s WHERE id = %s", [at, context_id])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(HistoryError, match="exactly one"):
        prune()
    with pytest.raises(HistoryError, match="exactly one"):
        prune(FEB, older_than=datetime.timedelta(days=1))
    with pytest.raises(HistoryError, match="in the future"):
        prune(datetime.datetime.now(UTC) + datetime.timedelta(days=1))
    with pytest.raises(HistoryError, match="neither a tracked model nor an event model"):
        prune(FEB, model=Category)
    with pytest.raises(HistoryError, match="at least 1"):
        prune(FEB, batch_size=0)


def test_the_command_prunes_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    member = Member.objects.create(email="a@example.com", name="m")
    old_event(MemberEvent, member, JAN, email="a@example.com", name="jan")

    call_command("history_prune", "--before", "2025-02-01", "--model", "scale.Member", "--dry-run")
    assert capsys.readouterr().out == (
        "scale.MemberEvent: would remove 1 event\n"
        "Before 2025-02-01T00:00:00+00:00: would remove 1 event and 0 contexts no event "
        "points to.\n"
    )
    call_command("history_prune", "--older-than", "30d", "--model", "scale.Member", "--json")
    document = json.loads(capsys.readouterr().out)
    assert (document["ok"], document["events"], document["dry_run"]) == (True, 1, False)
    assert member_events() == [("insert", "m")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--before", "yesterday"], "not a date or datetime"),
        (["--before", "2025-13-45"], "not a date or datetime"),
        (["--older-than", "3 months"], "not an age"),
        (["--before", "2999-01-01"], "in the future"),
        (["--before", "2025-01-01", "--model", "scale.Nope"], "No model"),
        (["--before", "2025-01-01", "--database", "nope"], "not configured"),
    ],
)
def test_the_command_refuses_bad_input(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("history_prune", *argv)


def test_cut_offs_as_dates_and_ages() -> None:
    from tidemark_history.retention import cutoff

    assert cutoff(datetime.date(2025, 2, 1)) == FEB
    assert cutoff(datetime.datetime(2025, 2, 1)) == FEB  # naive: the current time zone
    with pytest.raises(HistoryError, match="must not be negative"):
        cutoff(older_than=datetime.timedelta(days=-1))


def test_a_dry_run_counts_the_contexts_too_and_progress_is_reported() -> None:
    orphan = Context.objects.create(id=uuid.uuid4(), metadata={"reason": "orphan"})
    _age_context(orphan.pk, JAN)
    seen: list[tuple[str, int]] = []

    assert prune(FEB, dry_run=True).contexts == 1
    assert Context.objects.filter(pk=orphan.pk).exists()
    result = prune(FEB, progress=lambda task, done, total: seen.append((task, done)))

    assert result.contexts == 1
    assert ("contexts", 1) in seen
    assert not Context.objects.filter(pk=orphan.pk).exists()


def test_the_drop_function_refuses_what_is_not_a_dated_event_partition() -> None:
    from tidemark_history.retention import _drop_partition

    for table in ("scale_readingevent_default", "scale_member", "scale_memberevent"):
        with pytest.raises(DatabaseError, match="is not a dated partition of an event table"):
            _drop_partition(table, "default")
    assert raw("SELECT to_regclass('scale_readingevent_default')") != [(None,)]


def test_once_contexts_are_append_only_they_too_go_through_the_maintenance_path() -> None:
    """The context table's own guard (a later part) is honoured as soon as it exists."""
    from tidemark_history.redaction import redact

    with history.context(email="ann@example.com"):
        member = Member.objects.create(email="ann@example.com", name="Ann")
    orphan = Context.objects.create(id=uuid.uuid4(), metadata={"reason": "orphan"})
    _age_context(orphan.pk, JAN)
    [(function,)] = raw(
        "SELECT tgfoid::regproc::text FROM pg_trigger WHERE tgrelid = "
        "'scale_memberevent'::regclass AND tgname LIKE 'pgtrigger\\_append\\_only\\_%%' "
        "AND tgtype & 32 = 0"
    )
    raw(
        "CREATE TRIGGER pgtrigger_append_only_ctxtest BEFORE UPDATE OR DELETE ON "
        f"tidemark_history_context FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )
    try:
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM tidemark_history_context")

        assert prune(FEB).contexts == 1
        assert redact(Member, member.pk, ["email"]).contexts == 1
        assert [c.metadata for c in Context.objects.all()] == [{}]
    finally:
        raw("DROP TRIGGER pgtrigger_append_only_ctxtest ON tidemark_history_context")


def test_on_a_terminal_the_command_draws_a_progress_bar() -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    member = Member.objects.create(email="a@example.com", name="m")
    for day in range(1, 4):
        old_event(MemberEvent, member, JAN.replace(day=day), email="a@example.com", name="jan")
    out, err = io.StringIO(), Terminal()

    call_command(
        "history_prune", "--before", "2025-02-01", "--batch-size", "1", stdout=out, stderr=err
    )

    assert "scale.MemberEvent events" in err.getvalue()  # the bar's task, drawn on stderr
    assert "scale.MemberEvent: removed 3 events\n" in out.getvalue()
    assert member_events() == [("insert", "m")]


def test_the_command_counts_dropped_partitions(capsys: pytest.CaptureFixture[str]) -> None:
    maintain_partitions(ahead=1, now=JAN)
    reading = Reading.objects.create(sensor="tide")
    old_event(ReadingEvent, reading, JAN.replace(day=9), sensor="tide", value=1)

    call_command("history_prune", "--before", "2025-02-01", "--model", "scale.Reading", "--dry-run")
    call_command("history_prune", "--before", "2025-02-01", "--model", "scale.Reading")

    assert capsys.readouterr().out.splitlines()[::2] == [
        "scale.ReadingEvent: would remove 1 event (1 partition to drop)",
        "scale.ReadingEvent: removed 1 event (1 partition dropped)",
    ]
