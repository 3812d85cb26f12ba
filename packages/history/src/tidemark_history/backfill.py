"""Baselines: one event per existing row that has none, so history starts from every row.

A model tracked after its rows existed has no event for them: its first real change cannot
be diffed or reverted, and ``as_of`` does not know the row. `backfill()` writes one baseline
event (label ``baseline``, which ``as_of`` and diffs read as the row's state) per row of the
tracked model that has no event at all in the event table, copying its current values.

It walks the rows in primary-key order, `batch_size` per transaction. Each batch first takes
a ``SHARE`` lock on the tracked table, so the writes in flight finish first and new ones
wait for the batch (a fraction of a second at the default size; reads never wait), then
inserts, in one statement, the baselines of the batch's rows that have no event. So it is
safe to run while the application writes: no write fails or goes unrecorded, and no row
that has an event (even one committed a moment ago) gets a baseline; it never writes a
second baseline, and an interrupted run is resumed by running it again. A batch that waits
more than two seconds for its lock (a long transaction on the table) gives way, so that it
never queues writes behind that transaction, and tries again with a growing pause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models

from tidemark_core.locks import lock_timeout, retry_on_lock_timeout

from .conf import batch_size as default_batch_size
from .exceptions import HistoryError
from .trackers import CONTEXT_EXPRESSION, STORE_CONTEXT_SQL
from .tracking import EventSpec, specs_of

BASELINE_LABEL = "baseline"
LOCK_WAIT = 2.0
"""Seconds a batch waits for its lock before it gives way and tries again."""
LOCK_ATTEMPTS = 10


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


def _statement(spec: EventSpec, connection: Any) -> str:
    quote = connection.ops.quote_name
    table = quote(spec.tracked._meta.db_table)
    events = quote(spec.event_table)
    pk = quote(spec.pk_column)
    columns = "".join(f", {quote(column)}" for column in spec.copied_columns)
    values = "".join(f", _row.{quote(column)}" for column in spec.copied_columns)
    return (
        f"WITH _batch AS (SELECT * FROM {table} WHERE (%s::boolean OR {pk} > %s) "
        f"ORDER BY {pk} LIMIT %s), "
        # The batch's key range, by ordering (PostgreSQL has no min() or max() of uuid).
        f"_range AS (SELECT (SELECT count(*) FROM _batch) AS looked, "
        f"(SELECT {pk} FROM _batch ORDER BY {pk} LIMIT 1) AS low, "
        f"(SELECT {pk} FROM _batch ORDER BY {pk} DESC LIMIT 1) AS high), "
        f"_written AS (INSERT INTO {events} "
        f"(history_label, history_object_id, history_context_id{columns}) "
        f"SELECT %s, _row.{pk}, {CONTEXT_EXPRESSION}{values} FROM _batch AS _row "
        f"WHERE NOT EXISTS (SELECT 1 FROM {events} AS _event "
        f"WHERE _event.history_object_id = _row.{pk} "
        # The range bounds the events looked at (an index range scan): without it, each
        # batch read every event written so far.
        f"AND _event.history_object_id BETWEEN (SELECT low FROM _range) "
        f"AND (SELECT high FROM _range)) "
        f"ORDER BY _row.{pk} RETURNING 1) "
        f"SELECT looked, high, (SELECT count(*) FROM _written) FROM _range"
    )


def _backfill(
    spec: EventSpec,
    size: int,
    using: str,
    progress: Callable[[str, int, int | None], None] | None,
) -> Backfilled:
    connection = connections[using]
    lock = f"LOCK TABLE {connection.ops.quote_name(spec.tracked._meta.db_table)} IN SHARE MODE"
    statement = _statement(spec, connection)
    task = f"{spec.event_model._meta.label} baselines"
    total = spec.tracked._default_manager.using(using).count() if progress else None
    last: Any = None
    rows = created = 0

    def batch() -> tuple[int, Any, int]:
        with connection.cursor() as cursor:
            cursor.execute(lock)
            cursor.execute(statement, [last is None, last, size, BASELINE_LABEL])
            looked, key, written = cursor.fetchone()
            if written:
                # As a capture trigger does: the context row, once, with its events.
                cursor.execute(STORE_CONTEXT_SQL)
            return int(looked), key, int(written)

    with lock_timeout(LOCK_WAIT, using=using):
        while True:
            looked, key, written = retry_on_lock_timeout(batch, attempts=LOCK_ATTEMPTS, using=using)
            if not looked:
                return Backfilled(spec.event_model, rows, created)
            rows += looked
            created += written
            last = key
            if progress is not None:
                progress(task, rows, total)
