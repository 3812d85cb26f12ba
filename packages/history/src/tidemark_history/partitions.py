"""Time-partitioned event tables: ``track(partition="month")`` and ``history_partitions``.

The event table of such a model is range-partitioned on ``history_at``. Migrations create
and change it as they do any table: the partitioning is an entry of the event model's
``Meta.constraints`` (`Partitioning`), so ``makemigrations`` writes an ``AddConstraint`` when
a model starts being partitioned and a ``RemoveConstraint`` when it stops, and both rebuild
the table with its rows. Each partitioned table also has a DEFAULT partition, the safety
net: an event whose period has no partition yet lands there instead of failing, and
``history_partitions`` (meant for cron) moves such rows to partitions of their own and
creates the partitions of the coming periods ahead.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections, models, router, transaction
from django.db.models.constraints import BaseConstraint

from .conf import partitions_ahead
from .exceptions import TrackingError
from .partition_sql import FUNCTIONS, literal

PERIODS = ("day", "week", "month", "year")


class Partitioning(BaseConstraint):
    """The event table is range-partitioned on ``history_at``, one partition per `period`.

    Not a constraint: `track(partition=...)` puts it in the event model's
    ``Meta.constraints`` so that migrations carry it. Adding it rebuilds the table as a
    partitioned one (rows kept); removing it rebuilds a plain table.

    Args:
        name: The name Django knows it by (unique per table, as constraint names are).
        period: ``"day"``, ``"week"`` (from Monday), ``"month"`` or ``"year"``, in UTC.
    """

    def __init__(self, *, name: str, period: str) -> None:
        if period not in PERIODS:
            raise TrackingError(
                f"partition={period!r}: choose one of {', '.join(map(repr, PERIODS))}."
            )
        super().__init__(name=name)
        self.period = period

    def _sql(self, model: type[models.Model] | None, schema_editor: Any, period: str | None) -> str:
        assert model is not None
        table = literal(schema_editor.quote_name(model._meta.db_table))
        value = "NULL" if period is None else literal(period)
        return (
            f"{FUNCTIONS}\nSELECT tidemark_history_rebuild({table}, {value}, {partitions_ahead()})"
        )

    def constraint_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        # CREATE TABLE cannot be given PARTITION BY from here: the new, empty table is
        # rebuilt once the migration's other statements (its triggers) have run.
        schema_editor.deferred_sql.append(self._sql(model, schema_editor, self.period))
        return ""

    def create_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        return self._sql(model, schema_editor, self.period)

    def remove_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        # Run here without parameters: remove_constraint() would pass an empty tuple, and
        # the driver would then read the format() placeholders of the SQL as its own.
        schema_editor.execute(self._sql(model, schema_editor, None), params=None)
        return ""

    def validate(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to validate on a row."""

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return (
            "tidemark_history.partitions.Partitioning",
            (),
            {"name": self.name, "period": self.period},
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Partitioning):
            return (self.name, self.period) == (other.name, other.period)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.name, self.period))


def period_of(event_model: type[models.Model]) -> str | None:
    """The partition period of an event model, None when its table is not partitioned."""
    for constraint in event_model._meta.constraints:
        if isinstance(constraint, Partitioning):
            return constraint.period
    return None


def partitioned_models(
    only: Iterable[type[models.Model]] | None = None,
) -> list[type[models.Model]]:
    """The event models whose tables are partitioned (of `only`, when given)."""
    candidates = list(only) if only is not None else apps.get_models()
    return [model for model in candidates if period_of(model) is not None]


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned event table."""

    name: str
    lower: datetime.datetime | None
    upper: datetime.datetime | None
    is_default: bool


def partitions(event_model: type[models.Model], using: str | None = None) -> list[Partition]:
    """The partitions of `event_model`'s table, oldest first, the DEFAULT one first of all."""
    database = using or router.db_for_read(event_model)
    table = connections[database].ops.quote_name(event_model._meta.db_table)
    with connections[database].cursor() as cursor:
        cursor.execute(
            "SELECT partition::text, lower_bound, upper_bound, is_default "
            "FROM tidemark_history_partitions(%s::regclass)",
            [table],
        )
        return [Partition(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Maintained:
    """What `maintain_partitions` did to one table."""

    model: type[models.Model]
    created: list[str]
    moved: int


def maintain_partitions(
    ahead: int | None = None,
    using: str = "default",
    models_: Iterable[type[models.Model]] | None = None,
    now: datetime.datetime | None = None,
) -> list[Maintained]:
    """Create the partitions of the current and the next `ahead` periods of each partitioned
    event table, and move the rows that landed in its DEFAULT partition to their own.

    Run it as the role that owns the event tables (the one migrations run as), from cron,
    more often than once per period. Each table is handled in its own transaction.

    Args:
        ahead: Periods to create ahead (default ``TIDEMARK_HISTORY_PARTITIONS_AHEAD``).
        using: The database alias.
        models_: Only these event models (default: every partitioned one).
        now: The current time (for tests).
    """
    count = partitions_ahead() if ahead is None else ahead
    if count < 0:
        raise ValueError("ahead must be 0 or more periods.")
    results = []
    for model in partitioned_models(models_):
        if not router.allow_migrate_model(using, model):
            continue
        results.append(_maintain(model, count, using, now))
    return results


def _maintain(
    model: type[models.Model], ahead: int, using: str, now: datetime.datetime | None
) -> Maintained:
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    period = period_of(model)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        before = {p.name for p in partitions(model, using)}
        cursor.execute("SELECT tidemark_history_settle_default(%s::regclass, %s)", [table, period])
        moved = int(cursor.fetchone()[0])
        for step in range(ahead + 1):
            cursor.execute(
                "SELECT tidemark_history_add_partition(%s::regclass, %s, "
                "date_trunc(%s, coalesce(%s::timestamptz, now()), 'UTC') "
                "+ (%s || ' ' || %s)::interval)",
                [table, period, period, now, step, period],
            )
        created = [p.name for p in partitions(model, using) if p.name not in before]
    return Maintained(model, sorted(created), moved)


def partitioning(table: str, period: str | None) -> list[BaseConstraint]:
    """The ``Meta.constraints`` of an event table partitioned by `period` (None: not)."""
    if period is None:
        return []
    name = f"th_{hashlib.sha1(table.encode()).hexdigest()[:10]}_part"
    return [Partitioning(name=name, period=period)]
