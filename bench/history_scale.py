"""Benchmark: history at scale — pruning, partitioned writes, baselines.

    python bench/history_scale.py [--events 10000000] [--months 12] [--rows 100000]
        [--repeat 5] [--backfill 1000000] [--batch-size 10000]

One run, one database (``tidemark_bench_history_scale`` on ``DATABASE_URL``'s server, else
the embedded PostgreSQL):

1. Pruning one month of `--events` events spread evenly over `--months` months, built with
   set-based SQL (``INSERT ... SELECT FROM generate_series``) twice: into a plain event
   table and into one partitioned by month. ``history.prune()`` of the oldest month on each,
   in the same run: the partitioned table drops the month's partition, the plain one deletes
   its rows in batches through the maintenance path. The drop is repeated on the next two
   months (median of 3); the batched DELETE runs once.
2. Write overhead of a partitioned event table: the bulk rows of bench/history.py
   (``bulk_create`` and one ``QuerySet.update`` of `--rows` rows) on a model tracked with a
   plain event table and on one tracked with a partitioned one; medians of `--repeat` runs,
   the order alternating, tables truncated, checkpointed and vacuumed between runs.
3. Baselines of `--backfill` rows written by set-based SQL while no trigger ran:
   ``history_backfill`` vs django-simple-history's ``populate_history``, both with
   `--batch-size` rows per batch.
"""

from __future__ import annotations

# ruff: noqa: RUF001 - the table prints multiplication signs
import argparse
import datetime
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "history_scale_app.settings"

from common import recreate_database

TARGETS = {"prune": 100.0, "write": 1.05, "backfill": 10.0}
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
COLUMNS = "name, sku, price, quantity, active, weight, updated_at"
VALUES = "'item ' || i, 'SKU-' || lpad(i::text, 8, '0'), 9.99, i % 100, i % 2 = 0, i * 0.5, now()"


def setup() -> None:
    import django

    django.setup()
    recreate_database()
    import pgtrigger
    from django.core.management import call_command

    # simple-history's table refers to auth_user: auth first, then the unmigrated bench app.
    call_command("migrate", "auth", verbosity=0)
    call_command("migrate", run_syncdb=True, verbosity=0)
    pgtrigger.install()


def timed(action: Callable[[], Any]) -> float:
    """Seconds `action()` takes, with the garbage collector off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start
    finally:
        gc.enable()


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def month(number: int) -> datetime.datetime:
    """The start of the `number`-th month after START (0: START)."""
    year, index = divmod(START.month - 1 + number, 12)
    return START.replace(year=START.year + year, month=index + 1)


def build_events(table: str, events: int, months: int) -> float:
    """Insert `events` events spread evenly over `months` months; seconds it took."""
    span = f"(timestamptz '{month(months).isoformat()}' - timestamptz '{START.isoformat()}')"
    return timed(
        lambda: sql(
            f"INSERT INTO {table} (history_at, history_label, history_object_id, {COLUMNS}) "
            f"SELECT timestamptz '{START.isoformat()}' + {span} * ((i - 1)::float8 / {events}),"
            f" 'update', i % 100000 + 1, {VALUES} FROM generate_series(1, {events}) AS i"
        )
    )


def prune_bench(args: argparse.Namespace) -> dict[str, Any]:
    from history_scale_app.models import PartItem, PlainItem

    import tidemark_history as history

    plain = PlainItem.history.field.model  # type: ignore[attr-defined]
    part = PartItem.history.field.model  # type: ignore[attr-defined]
    for number in range(args.months):
        sql(
            "SELECT tidemark_history_add_partition(%s::regclass, 'month', %s)",
            [part._meta.db_table, month(number)],
        )
    built = {
        name: build_events(model._meta.db_table, args.events, args.months)
        for name, model in (("plain", plain), ("partitioned", part))
    }
    for model in (plain, part):
        sql(f"VACUUM ANALYZE {model._meta.db_table}")
    first = sql(f"SELECT count(*) FROM {plain._meta.db_table} WHERE history_at < %s", [month(1)])
    drops = []
    results: list[Any] = []
    for number in (1, 2, 3):
        drops.append(
            timed(lambda n=number: results.append(history.prune(month(n), model=PartItem)))  # type: ignore[misc]
        )
        assert results[-1].tables[0].dropped, "the partition was not dropped"
    assert results[0].events == first[0][0], (results[0].events, first)
    deleted: list[Any] = []
    delete = timed(
        lambda: deleted.append(history.prune(month(1), model=PlainItem, batch_size=args.batch_size))
    )
    assert deleted[0].events == first[0][0], (deleted[0].events, first)
    return {"built": built, "month": first[0][0], "drops": drops, "delete": delete}


def write_bench(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from django.db.models import F
    from history_scale_app.models import WritePart, WritePlain

    now = datetime.datetime.now(datetime.UTC)
    kinds = {"plain": WritePlain, "partitioned": WritePart}
    event_tables = {
        kind: model.history.field.model._meta.db_table  # type: ignore[attr-defined]
        for kind, model in kinds.items()
    }

    def rows(model: type[Any]) -> list[Any]:
        return [
            model(
                name=f"item {i}",
                sku=f"SKU-{i:08d}",
                price=Decimal("9.99"),
                quantity=i % 100,
                active=i % 2 == 0,
                weight=i * 0.5,
                updated_at=now,
            )
            for i in range(args.rows)
        ]

    # No autovacuum on the tables, their event tables or the partitions (a partitioned table
    # takes no storage parameters): each run vacuums them itself instead.
    relations = [model._meta.db_table for model in kinds.values()]
    relations.append(event_tables["plain"])
    relations.extend(
        row[0]
        for row in sql(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass",
            [event_tables["partitioned"]],
        )
    )
    for relation in relations:
        sql(f"ALTER TABLE {relation} SET (autovacuum_enabled = false)")
    for model in kinds.values():
        model.objects.bulk_create(rows(model)[:1000])  # warm up
        model.objects.update(quantity=F("quantity") + 1)
    results: dict[str, dict[str, list[float]]] = {kind: {} for kind in kinds}
    for repeat in range(args.repeat):
        order = list(kinds.items())
        if repeat % 2:
            order.reverse()
        for kind, model in order:
            tables = [model._meta.db_table, event_tables[kind]]
            sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            sql("CHECKPOINT")
            objects = rows(model)
            measure = results[kind]
            measure.setdefault("bulk_create", []).append(
                timed(lambda m=model, o=objects: m.objects.bulk_create(o, batch_size=5000))  # type: ignore[misc]
            )
            for table in tables:
                sql(f"VACUUM ANALYZE {table}")
            measure.setdefault("update", []).append(
                timed(lambda m=model: m.objects.update(quantity=F("quantity") + 1))  # type: ignore[misc]
            )
    return {
        kind: {key: statistics.median(values) for key, values in measure.items()}
        for kind, measure in results.items()
    }


def backfill_bench(args: argparse.Namespace) -> dict[str, float]:
    from django.core.management import call_command
    from history_scale_app.models import BaselineItem, SimpleItem

    from tidemark_history.backfill import backfill

    for model in (BaselineItem, SimpleItem):
        table = model._meta.db_table
        sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        sql(
            f"INSERT INTO {table} ({COLUMNS}) SELECT {VALUES} "
            f"FROM generate_series(1, {args.backfill}) AS i"
        )
        sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        sql(f"VACUUM ANALYZE {table}")
    done: list[Any] = []
    tidemark = timed(lambda: done.append(backfill(BaselineItem, batch_size=args.batch_size)))
    assert done[0][0].created == args.backfill, done
    simple = timed(
        lambda: call_command(
            "populate_history",
            "history_scale_app.SimpleItem",
            batchsize=args.batch_size,
            verbosity=0,
        )
    )
    historical = SimpleItem.history.model  # type: ignore[attr-defined]
    assert historical.objects.count() == args.backfill
    return {"tidemark": tidemark, "simple_history": simple}


def report_prune(args: argparse.Namespace, prune: dict[str, Any]) -> tuple[str, ...]:
    drop = statistics.median(prune["drops"])
    ratio = prune["delete"] / drop
    print(
        f"built {args.events:,} events with set-based SQL: plain {prune['built']['plain']:.1f}s, "
        f"partitioned {prune['built']['partitioned']:.1f}s; the oldest month holds "
        f"{prune['month']:,} events"
    )
    print(
        "partition drops (3 months): "
        + ", ".join(f"{seconds:.3f}s" for seconds in prune["drops"])
        + f"; batched DELETE of one month: {prune['delete']:.1f}s"
    )
    return (
        f"prune one month of {args.events:,} events",
        f"batched DELETE {prune['delete']:.1f}s",
        f"partition drop {drop:.3f}s: {ratio:,.0f}× faster",
        "≥ 100× faster",
        ratio >= TARGETS["prune"],
    )


def report_write(args: argparse.Namespace, write: dict[str, dict[str, float]]) -> list[Any]:
    print(
        f"bulk work, plain / partitioned (medians): bulk_create "
        f"{write['plain']['bulk_create']:.3f}s / {write['partitioned']['bulk_create']:.3f}s, "
        f"update {write['plain']['update']:.3f}s / {write['partitioned']['update']:.3f}s"
    )
    rows = []
    for key, work in (("bulk_create", "`bulk_create`"), ("update", "`QuerySet.update`")):
        ratio = write["partitioned"][key] / write["plain"][key]
        rows.append(
            (
                f"{work} of {args.rows:,} rows, partitioned event table",
                "plain event table",
                f"{ratio:.3f}×",
                "≤ 1.05×",
                ratio <= TARGETS["write"],
            )
        )
    return rows


def report_backfill(args: argparse.Namespace, baselines: dict[str, float]) -> tuple[str, ...]:
    rate_tm = args.backfill / baselines["tidemark"]
    rate_sh = args.backfill / baselines["simple_history"]
    ratio = baselines["simple_history"] / baselines["tidemark"]
    print(
        f"baselines of {args.backfill:,} rows: history_backfill {baselines['tidemark']:.1f}s "
        f"({rate_tm:,.0f} rows/s), populate_history {baselines['simple_history']:.1f}s "
        f"({rate_sh:,.0f} rows/s)"
    )
    return (
        f"baselines of {args.backfill:,} rows",
        f"populate_history {rate_sh:,.0f} rows/s",
        f"history_backfill {rate_tm:,.0f} rows/s: {ratio:.1f}× faster",
        "≥ 10× faster",
        ratio >= TARGETS["backfill"],
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backfill", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument(
        "--parts", default="prune,write,backfill", help="Comma-separated: prune, write, backfill."
    )
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if not parts or set(parts) - {"prune", "write", "backfill"}:
        parser.error("--parts takes prune, write and backfill, separated by commas")
    if min(args.events, args.rows, args.repeat, args.backfill, args.batch_size) < 1:
        parser.error("every count must be at least 1")
    if args.months < 4:
        parser.error("--months must be at least 4 (three months are dropped)")
    setup()

    started = time.perf_counter()
    print(
        f"events={args.events:,} months={args.months} rows={args.rows:,} repeat={args.repeat} "
        f"backfill={args.backfill:,} batch-size={args.batch_size:,} parts={','.join(parts)}"
    )
    lines: list[Any] = []
    if "prune" in parts:
        lines.append(report_prune(args, prune_bench(args)))
    if "write" in parts:
        lines.extend(report_write(args, write_bench(args)))
    if "backfill" in parts:
        lines.append(report_backfill(args, backfill_bench(args)))
    print(f"whole run: {time.perf_counter() - started:.0f}s\n")
    print("| work | anchor measured here | Tidemark | target | met |")
    print("| --- | --- | --- | --- | --- |")
    for line in lines:
        cells = [("yes" if c else "NO") if isinstance(c, bool) else c for c in line]
        print("| " + " | ".join(cells) + " |")
    return 0 if all(line[-1] for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
