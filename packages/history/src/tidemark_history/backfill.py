"""Baselines: one event per existing row that has none, so history starts from every row.

A model tracked after its rows existed has no event for them: its first real change cannot
be diffed or reverted, and ``as_of`` does not know the row. `backfill()` writes one baseline
event (label ``baseline``, which ``as_of`` and diffs read as the row's state) per row of the
tracked model that has no event at all in the event table, copying its current values.

It walks the rows in primary-key order, `batch_size` per transaction. Each batch first locks
its rows (``FOR NO KEY UPDATE``: a concurrent update of one of them waits, and its event
comes after the baseline), then, in a second statement that sees everything committed
meanwhile, inserts the baselines of the rows still without an event. So it is safe to run
while the application writes, never writes a second event for a row that has one (two
backfills at once wait for each other's rows), and an interrupted run is resumed by running
it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, transaction

from .conf import batch_size as default_batch_size
from .exceptions import HistoryError
from .trackers import CONTEXT_EXPRESSION
from .tracking import EventSpec, specs_of

BASELINE_LABEL = "baseline"


@dataclass(frozen=True)
class Backfilled:
    """What `backfill()` wrote into one event model."""

    event_model: type[models.Model]
    rows: int
    created: int


def _specs(model: type[models.Model]) -> list[EventSpec]:
    concrete = model._meta.concrete_model or model
    specs = specs_of(concrete)
    if not specs:
        raise HistoryError(
            f"{model._meta.label} is not tracked: decorate it with @history.track() (and "
            "migrate) before writing its baselines."
        )
    return specs


def backfill(
    model: type[models.Model],
    *,
    batch_size: int | None = None,
    using: str = "default",
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[Backfilled]:
    """Write a baseline event for each row of `model` that has no event yet.

    Args:
        model: A tracked model (each of its event models gets baselines).
        batch_size: Rows per transaction (default ``TIDEMARK_HISTORY_BATCH_SIZE``).
        using: The database alias.
        progress: Called as ``progress(task, rows_done, rows_total)`` after each batch.

    Returns:
        One `Backfilled` per event model: rows looked at and baselines written.

    Raises:
        HistoryError: When `model` is not tracked, or the batch size is not positive.
    """
    size = default_batch_size() if batch_size is None else batch_size
    if size < 1:
        raise HistoryError(f"The batch size must be at least 1, not {size}.")
    return [_backfill(spec, size, using, progress) for spec in _specs(model)]


def _statements(spec: EventSpec, connection: Any) -> tuple[str, str]:
    quote = connection.ops.quote_name
    table = quote(spec.tracked._meta.db_table)
    events = quote(spec.event_table)
    pk = quote(spec.pk_column)
    pk_field = spec.tracked._meta.pk
    assert pk_field is not None
    key_type = pk_field.db_type(connection)
    columns = "".join(f", {quote(column)}" for column in spec.copied_columns)
    values = "".join(f", _row.{quote(column)}" for column in spec.copied_columns)
    lock = (
        f"SELECT {pk} FROM {table} WHERE (%s::boolean OR {pk} > %s) "
        f"ORDER BY {pk} LIMIT %s FOR NO KEY UPDATE"
    )
    insert = (
        f"INSERT INTO {events} (history_label, history_object_id, history_context_id{columns}) "
        f"SELECT %s, _row.{pk}, {CONTEXT_EXPRESSION}{values} FROM {table} AS _row "
        f"WHERE _row.{pk} = ANY(CAST(%s AS {key_type}[])) AND NOT EXISTS "
        f"(SELECT 1 FROM {events} AS _event WHERE _event.history_object_id = _row.{pk}) "
        f"ORDER BY _row.{pk}"
    )
    return lock, insert


def _backfill(
    spec: EventSpec,
    size: int,
    using: str,
    progress: Callable[[str, int, int | None], None] | None,
) -> Backfilled:
    connection = connections[using]
    lock, insert = _statements(spec, connection)
    task = f"{spec.event_model._meta.label} baselines"
    total = spec.tracked._default_manager.using(using).count() if progress else None
    last: Any = None
    rows = created = 0
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(lock, [last is None, last, size])
            keys = [row[0] for row in cursor.fetchall()]
            if keys:
                cursor.execute(insert, [BASELINE_LABEL, keys])
                created += cursor.rowcount
        if not keys:
            return Backfilled(spec.event_model, rows, created)
        rows += len(keys)
        last = keys[-1]
        if progress is not None:
            progress(task, rows, total)
