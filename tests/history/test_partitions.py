"""Time-partitioned event tables: made by migrations, written across periods, never losing
an event for want of a partition, guarded like any event table."""

from __future__ import annotations

import datetime
import itertools
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

import tidemark_history as history
from tests.app_registry import forget_models
from tests.history.conftest import events, raw
from tests.history.scale.models import Member, Reading
from tidemark_history.partitions import Partitioning, maintain_partitions, partitions

ReadingEvent = Reading.history.field.model  # type: ignore[attr-defined]
MemberEvent = Member.history.field.model  # type: ignore[attr-defined]
UTC = datetime.UTC

pytestmark = pytest.mark.django_db(transaction=True)


def kind(table: str) -> str:
    return str(raw("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])[0][0])


def partition_of(history_id: int) -> str:
    rows = raw(
        "SELECT tableoid::regclass::text FROM scale_readingevent WHERE history_id = %s",
        [history_id],
    )
    return str(rows[0][0])


def month(year: int, number: int) -> datetime.datetime:
    return datetime.datetime(year, number, 1, tzinfo=UTC)


def test_the_migrated_event_table_is_partitioned_by_month_with_a_default_partition() -> None:
    now = datetime.datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    found = partitions(ReadingEvent)

    assert kind("scale_readingevent") == "p"
    assert kind("scale_memberevent") == "r"
    assert found[0].is_default
    assert found[0].name == "scale_readingevent_default"
    bounded = [p for p in found if not p.is_default]
    # The current month and the three ahead (TIDEMARK_HISTORY_PARTITIONS_AHEAD's default).
    assert [p.lower for p in bounded][:1] == [start]
    assert len(bounded) == 4
    assert all(a.upper == b.lower for a, b in itertools.pairwise(bounded))
    assert bounded[0].name == f"scale_readingevent_p{start:%Y%m%d}"


def test_events_across_a_period_boundary_land_in_their_month() -> None:
    maintain_partitions(ahead=1, now=month(2026, 1))
    reading = Reading.objects.create(sensor="tide", value=1)
    late = ReadingEvent.objects.create(
        history_label="insert",
        history_object=reading,
        history_at=datetime.datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        sensor="tide",
        value=2,
    )
    early = ReadingEvent.objects.create(
        history_label="update",
        history_object=reading,
        history_at=month(2026, 2),
        sensor="tide",
        value=3,
    )

    assert partition_of(late.pk) == "scale_readingevent_p20260101"
    assert partition_of(early.pk) == "scale_readingevent_p20260201"
    assert [e["value"] for e in events(ReadingEvent)] == [1, 2, 3]
    assert list(reading.history.order_by("history_at").values_list("value", flat=True)) == [
        2,
        3,
        1,
    ]


def test_an_event_of_a_period_without_a_partition_is_kept_then_moved_to_its_own() -> None:
    reading = Reading.objects.create(sensor="tide")
    old = ReadingEvent.objects.create(
        history_label="update",
        history_object=reading,
        history_at=datetime.datetime(2019, 5, 17, 12, tzinfo=UTC),
        sensor="tide",
        value=7,
    )
    assert partition_of(old.pk) == "scale_readingevent_default"

    [done] = maintain_partitions()

    assert done.moved == 1
    assert done.created == ["scale_readingevent_p20190501"]
    assert partition_of(old.pk) == "scale_readingevent_p20190501"
    assert raw("SELECT count(*) FROM scale_readingevent_default") == [(0,)]
    assert [(e["history_id"], e["value"]) for e in events(ReadingEvent)] == [
        (old.pk - 1, 0),
        (old.pk, 7),
    ]
    # A second run has nothing left to do.
    assert maintain_partitions()[0].moved == 0
    assert maintain_partitions()[0].created == []


def test_history_partitions_command_reports_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = {p.name for p in partitions(ReadingEvent)}

    call_command("history_partitions", "--ahead", "5")

    after = partitions(ReadingEvent)
    created = {p.name for p in after} - before
    assert created  # two months more than the migration made ahead
    assert capsys.readouterr().out == (
        f"scale.ReadingEvent: {len(created)} partition{'s' if len(created) > 1 else ''} "
        "created, 0 events moved out of the DEFAULT partition\n"
    )
    lowers = {p.lower for p in after}
    month = start
    for _ in range(6):
        assert month in lowers
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def test_history_partitions_command_json_and_bad_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("history_partitions", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True
    assert document["tables"][0]["model"] == "scale.ReadingEvent"

    with pytest.raises(CommandError, match="--ahead must be 0 or more"):
        call_command("history_partitions", "--ahead", "-1")
    with pytest.raises(CommandError, match="not configured"):
        call_command("history_partitions", "--database", "nope")


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM {table}",
        "UPDATE {table} SET value = 0",
    ],
)
@pytest.mark.parametrize("target", ["current", "default"])
def test_each_partition_is_append_only(sql: str, target: str) -> None:
    Reading.objects.create(sensor="tide")
    found = partitions(ReadingEvent)
    table = found[0].name if target == "default" else found[1].name

    with pytest.raises(DatabaseError, match="History is append-only"):
        raw(sql.format(table=table))

    assert len(events(ReadingEvent)) == 1


def test_the_partitioned_table_is_append_only_and_tracks_as_before() -> None:
    with history.context(user="ann"):
        reading = Reading.objects.create(sensor="tide", value=1)
        Reading.objects.filter(pk=reading.pk).update(value=2)
    reading.delete()

    with pytest.raises(DatabaseError, match="append-only"):
        ReadingEvent.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE scale_readingevent SET value = 0")

    found = events(ReadingEvent)
    assert [(e["history_label"], e["value"]) for e in found] == [
        ("insert", 1),
        ("update", 2),
        ("delete", 2),
    ]
    assert found[0]["history_context_id"] is not None


def migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("scale", target)])


def test_migrations_turn_an_event_table_with_rows_partitioned_and_back() -> None:
    try:
        migrate("0001_initial")
        assert kind("scale_readingevent") == "r"
        first = Reading.objects.create(sensor="a")
        ReadingEvent.objects.create(
            history_label="update",
            history_object=first,
            history_at=datetime.datetime(2024, 3, 3, tzinfo=UTC),
            sensor="a",
            value=5,
        )
        before = events(ReadingEvent)

        migrate("0002_partition_readings")

        assert kind("scale_readingevent") == "p"
        assert events(ReadingEvent) == before
        assert "scale_readingevent_p20240301" in {p.name for p in partitions(ReadingEvent)}
        # The sequence goes on after the copied ids; the triggers came along.
        second = Reading.objects.create(sensor="b")
        assert second.history.get().history_id == before[-1]["history_id"] + 1
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM scale_readingevent")
        assert raw(
            "SELECT count(*) FROM pg_index WHERE indrelid = 'scale_readingevent'::regclass"
        ) == [(4,)]

        migrate("0001_initial")

        assert kind("scale_readingevent") == "r"
        assert [e["sensor"] for e in events(ReadingEvent)] == ["a", "a", "b"]
        Reading.objects.create(sensor="c")
        with pytest.raises(DatabaseError, match="append-only"):
            raw("DELETE FROM scale_readingevent")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("scale"))
    assert kind("scale_readingevent") == "p"


def test_reading_and_undo_work_the_same_on_a_partitioned_table() -> None:
    with history.context(user="ann") as block:
        reading = Reading.objects.create(sensor="tide", value=1)
    Reading.objects.filter(pk=reading.pk).update(value=2)
    [insert, update] = reading.history.order_by("history_id")

    assert update.diff() == {"value": (1, 2)}
    assert [e.history_label for e in history.events(obj=reading)] == ["update", "insert"]
    assert [e.pk for e in history.events(context=block.id)] == [insert.pk]
    assert history.as_of(Reading, insert.history_at).get(pk=reading.pk).value == 1

    insert.revert()
    assert Reading.objects.get(pk=reading.pk).value == 1
    pk = reading.pk
    reading.delete()
    restored = insert.revert()
    assert (restored.pk, Reading.objects.get(pk=pk).value) == (pk, 1)
    assert [e.history_label for e in restored.history.order_by("history_id")] == [
        "insert",
        "update",
        "update",
        "delete",
        "insert",
    ]


def test_an_unknown_period_is_refused_at_import() -> None:
    from django.db import models

    try:
        with pytest.raises(history.TrackingError, match="partition='fortnight': choose one"):

            @history.track(partition="fortnight")
            class Tide(models.Model):  # noqa: DJ008 - never made
                class Meta:
                    app_label = "evolve"
    finally:
        forget_models("evolve", ["Tide"])

    constraint = Partitioning(name="th_x_part", period="week")
    assert constraint == Partitioning(name="th_x_part", period="week")
    assert constraint != Partitioning(name="th_x_part", period="month")
    assert constraint != object()
    assert len({constraint, Partitioning(name="th_x_part", period="week")}) == 1
    assert constraint.validate(ReadingEvent, ReadingEvent()) is None
    assert constraint.deconstruct() == (
        "tidemark_history.partitions.Partitioning",
        (),
        {"name": "th_x_part", "period": "week"},
    )


def test_sqlmigrate_shows_the_rebuild_both_ways(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("sqlmigrate", "scale", "0002")
    forwards = capsys.readouterr().out
    call_command("sqlmigrate", "scale", "0002", backwards=True)
    backwards = capsys.readouterr().out

    assert "SELECT tidemark_history_rebuild('\"scale_readingevent\"', 'month', 3)" in forwards
    assert "SELECT tidemark_history_rebuild('\"scale_readingevent\"', NULL, 3)" in backwards


class DenyScale:
    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        return False if app_label == "scale" else None


def test_maintenance_follows_the_routers_and_checks_ahead() -> None:
    from django.test import override_settings

    with override_settings(DATABASE_ROUTERS=[DenyScale()]):
        assert maintain_partitions() == []
    with pytest.raises(ValueError, match="0 or more"):
        maintain_partitions(ahead=-1)


def test_the_partition_functions_refuse_what_is_not_theirs() -> None:
    with pytest.raises(DatabaseError, match="there is no table"):
        raw("SELECT tidemark_history_rebuild('no_such_table', 'month', 1)")
    # Already in the asked shape: nothing to do.
    raw("SELECT tidemark_history_rebuild('scale_readingevent', 'month', 1)")
    raw("SELECT tidemark_history_rebuild('scale_memberevent', NULL, 1)")
    assert kind("scale_readingevent") == "p"
    assert kind("scale_memberevent") == "r"


def test_the_admin_history_page_and_revert_work_on_a_partitioned_table() -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    with history.context(reason="calibration"):
        reading = Reading.objects.create(sensor="tide", value=1)
    Reading.objects.filter(pk=reading.pk).update(value=2)
    first = reading.history.order_by("history_id").first()

    page = client.get(reverse("admin:scale_reading_history", args=[reading.pk])).content.decode()
    assert page.count('class="tidemark-event"') == 2
    assert "calibration" in page
    assert "<del>1</del>" in page
    assert "<ins>2</ins>" in page
    revert = reverse(
        "admin:scale_reading_history_revert", args=[reading.pk, f"readingevent-{first.pk}"]
    )
    assert client.post(revert).status_code == 302
    assert Reading.objects.get().value == 1
    timeline = client.get(reverse("admin:tidemark_history_timeline") + "?model=scale.reading")
    assert timeline.content.decode().count('class="tidemark-event"') == 3  # with the revert


@pytest.mark.parametrize(
    "sql", ["DELETE FROM {table}", "UPDATE {table} SET value = 0", "TRUNCATE {table}"]
)
def test_a_role_with_every_privilege_but_ownership_cannot_touch_a_partition(sql: str) -> None:
    from tests.history.test_guard import role

    Reading.objects.create(sensor="tide")
    current = next(p for p in partitions(ReadingEvent) if not p.is_default)
    with role("ALL PRIVILEGES"):
        # Even with the setting the maintenance functions use, naming the partition.
        raw(
            "SELECT set_config('tidemark_history.maintenance', %s::regclass::oid::text, false)",
            [current.name],
        )
        with pytest.raises(DatabaseError, match="History is append-only"):
            raw(sql.format(table=current.name))
        raw("RESET tidemark_history.maintenance")
    assert len(events(ReadingEvent)) == 1


def test_a_model_created_partitioned_gets_its_partitions_at_once() -> None:
    from django.db import models

    @history.track(partition="day")
    class Gauge(models.Model):
        level = models.IntegerField()

        class Meta:
            app_label = "evolve"

        def __str__(self) -> str:
            return str(self.level)

    gauge_event = Gauge.history.field.model  # type: ignore[attr-defined]
    try:
        with connection.schema_editor() as editor:
            editor.create_model(Gauge)
            editor.create_model(gauge_event)
        found = partitions(gauge_event)
        assert kind("evolve_gaugeevent") == "p"
        assert [p.is_default for p in found] == [True, False, False, False, False]
        assert found[2].upper - found[2].lower == datetime.timedelta(days=1)
        gauge_event.objects.create(history_label="insert", history_object_id=1, level=3)
        assert gauge_event.objects.get().level == 3
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(gauge_event)
            editor.delete_model(Gauge)
        forget_models("evolve", ["Gauge"])


def test_changing_the_period_rebuilds_the_table_with_its_rows() -> None:
    [monthly] = ReadingEvent._meta.constraints
    weekly = Partitioning(name=monthly.name, period="week")
    reading = Reading.objects.create(sensor="tide", value=1)
    old_id = ReadingEvent.objects.create(
        history_label="update",
        history_object=reading,
        history_at=datetime.datetime(2024, 7, 3, tzinfo=UTC),  # a Wednesday
        sensor="tide",
        value=2,
    ).pk
    before = events(ReadingEvent)
    try:
        # What a migration of track(partition="month") -> "week" runs.
        with connection.schema_editor() as editor:
            editor.remove_constraint(ReadingEvent, monthly)
            editor.add_constraint(ReadingEvent, weekly)

        assert events(ReadingEvent) == before
        assert partition_of(old_id) == "scale_readingevent_p20240701"  # that week's Monday
        assert all(
            p.upper - p.lower == datetime.timedelta(days=7)
            for p in partitions(ReadingEvent)
            if not p.is_default
        )
    finally:
        with connection.schema_editor() as editor:
            editor.remove_constraint(ReadingEvent, weekly)
            editor.add_constraint(ReadingEvent, monthly)
    assert partition_of(old_id) == "scale_readingevent_p20240701"
    assert events(ReadingEvent) == before
