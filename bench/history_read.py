"""Benchmark: reading history — Tidemark vs django-pghistory's Events and simple-history's as_of.

    python bench/history_read.py [--objects 100000] [--repeat 7]

One run, one database (``tidemark_bench_history_read`` on ``DATABASE_URL``'s server, else the
embedded PostgreSQL). Five Tidemark event tables and five django-pghistory event tables get
the same events, written by set-based SQL: ``--objects`` rows per table, each inserted and
then updated once (1,000,000 events per library by default), in time order (five seconds
apart in each table, the tables interleaved), one context per 20 events of a table.
django-simple-history gets the first table's events. Times are medians of ``--repeat``
runs in autocommit, the libraries alternating which goes first.
"""

from __future__ import annotations

# ruff: noqa: RUF001 - the table prints multiplication signs, as the issue does
import argparse
import datetime
import gc
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "history_read_app.settings"

from common import recreate_database

TABLES = 5
PER_CONTEXT = 20
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
SLOW_MS = 10_000.0
TARGETS_MS = {"object": 20.0, "timeline": 50.0, "context": 20.0, "as_of": 2000.0}


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def timed(action: Callable[[], Any]) -> float:
    """Milliseconds `action()` takes, with the garbage collector off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        action()
        return (time.perf_counter() - start) * 1000
    finally:
        gc.enable()


def context_id(table: int, number: int) -> uuid.UUID:
    """The id the SQL below gives context `number` of event table `table` (1-based)."""
    import hashlib

    return uuid.UUID(hashlib.md5(f"{table}:{number}".encode()).hexdigest())


def load(objects: int) -> None:
    """Write the events of every library with INSERT ... SELECT over generate_series."""
    from history_read_app.models import P1, P2, P3, P4, P5, S1, T1, T2, T3, T4, T5

    import tidemark_history as history

    events = 2 * objects
    # Event g (1-based) of table k: object ((g - 1) % objects) + 1, inserted for the first
    # `objects` events then updated; at START + (g * TABLES + k) seconds; context (g-1)/20.
    at = f"TIMESTAMPTZ '{START.isoformat()}' + make_interval(secs => g * {TABLES} + %(k)s)"
    obj = f"((g - 1) %% {objects}) + 1"
    label = f"CASE WHEN g <= {objects} THEN 'insert' ELSE 'update' END"
    ctx = f"md5(%(k)s || ':' || ((g - 1) / {PER_CONTEXT}))::uuid"
    values = f"'item ' || {obj}, ({obj} %% 1000) + 0.99, g %% 100"
    series = f"FROM generate_series(1, {events}) AS g"
    contexts = events // PER_CONTEXT
    for k, (tm, pg) in enumerate(zip((T1, T2, T3, T4, T5), (P1, P2, P3, P4, P5), strict=True), 1):
        params = {"k": k}
        tm_table = history.event_model(tm)._meta.db_table  # type: ignore[attr-defined]
        pg_table = pg.pgh_event_models["insert"]._meta.db_table  # type: ignore[attr-defined]
        context_rows = (
            f"SELECT md5(%(k)s || ':' || c)::uuid, "
            f"TIMESTAMPTZ '{START.isoformat()}' + make_interval(secs => c * {PER_CONTEXT} * "
            f"{TABLES} + %(k)s), jsonb_build_object('user', c %% 500, 'path', "
            f"'/admin/t' || %(k)s || '/' || c) FROM generate_series(0, {contexts - 1}) AS c"
        )
        sql(
            f"INSERT INTO tidemark_history_context (id, created_at, metadata) {context_rows}",
            params,
        )
        sql(
            "INSERT INTO pghistory_context (id, created_at, updated_at, metadata) "
            f"SELECT id, at, at, metadata FROM ({context_rows}) AS c(id, at, metadata)",
            params,
        )
        sql(
            f"INSERT INTO {tm_table} (history_at, history_label, history_object_id, "
            f"history_context_id, name, price, quantity) "
            f"SELECT {at}, {label}, {obj}, {ctx}, {values} {series}",
            params,
        )
        sql(
            f"INSERT INTO {pg_table} (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id, "
            f"id, name, price, quantity) SELECT {at}, {label}, {obj}, {ctx}, {obj}, {values} "
            f"{series}",
            params,
        )
        if k == 1:
            sh_table = S1.history.model._meta.db_table  # type: ignore[attr-defined]
            kind = f"CASE WHEN g <= {objects} THEN '+' ELSE '~' END"
            sql(
                f"INSERT INTO {sh_table} (history_date, history_type, id, name, price, quantity)"
                f" SELECT {at}, {kind}, {obj}, {values} {series}",
                params,
            )
    sql("VACUUM ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000, help="rows per table")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if args.objects < PER_CONTEXT or args.repeat < 1:
        parser.error(f"--objects must be at least {PER_CONTEXT} and --repeat at least 1")

    import django

    django.setup()
    recreate_database()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    load(args.objects)
    loaded = time.perf_counter() - started

    from history_read_app.models import P3, S1, T1, T3
    from pghistory.models import Events

    import tidemark_history as history

    objects = args.objects
    total = sql(
        "SELECT (SELECT count(*) FROM history_read_app_t1event) * 5, "
        "(SELECT count(*) FROM tidemark_history_context)"
    )[0]
    middle = objects // 2
    # One context in the middle of table 3, and a time when every row of T1 is inserted and
    # half of them updated: as_of() then returns every row, half at their second version.
    context = context_id(3, (objects // PER_CONTEXT) + 7)
    when = START + datetime.timedelta(seconds=(objects + objects // 2) * TABLES + 1)

    work: dict[str, dict[str, Callable[[], Any]]] = {
        "object": {
            "tidemark": lambda: list(history.events(T3(pk=middle))[:50]),
            "pghistory": lambda: list(
                Events.objects.tracks(P3(pk=middle)).order_by("-pgh_created_at")[:50]
            ),
        },
        "timeline": {
            "tidemark": lambda: list(history.events()[:50]),
            "pghistory": lambda: list(Events.objects.order_by("-pgh_created_at")[:50]),
        },
        "context": {
            "tidemark": lambda: list(history.events(context=context)[:50]),
            "pghistory": lambda: list(
                Events.objects.filter(pgh_context_id=context).order_by("-pgh_created_at")[:50]
            ),
        },
        "user": {
            "tidemark": lambda: list(history.events(user=42)[:50]),
            "pghistory": lambda: list(
                Events.objects.filter(pgh_context__metadata__user=42).order_by("-pgh_created_at")[
                    :50
                ]
            ),
        },
        "as_of": {
            "tidemark": lambda: list(history.as_of(T1, when)),
            "simple-history": lambda: list(S1.history.as_of(when)),
        },
    }
    # What each returns, checked once, so no variant is fast by returning less.
    sizes = {
        (key, lib): len(action()) for key, libs in work.items() for lib, action in libs.items()
    }
    assert sizes[("object", "tidemark")] == sizes[("object", "pghistory")] == 2, sizes
    assert sizes[("timeline", "tidemark")] == sizes[("timeline", "pghistory")] == 50, sizes
    assert sizes[("context", "tidemark")] == sizes[("context", "pghistory")] == PER_CONTEXT
    assert sizes[("as_of", "tidemark")] == sizes[("as_of", "simple-history")] == objects, sizes
    newest = [e.history_object_id for e in history.events()[:50]]
    anchor = [e.pgh_obj_id for e in Events.objects.order_by("-pgh_created_at")[:50]]
    assert newest == [int(pk) for pk in anchor], "the two timelines disagree"

    times: dict[tuple[str, str], list[float]] = {}
    for repeat in range(args.repeat):
        for key, libs in work.items():
            order = list(libs.items())
            order = order[repeat % 2 :] + order[: repeat % 2]
            for lib, action in order:
                measured = times.setdefault((key, lib), [])
                # A read that takes longer than SLOW once (pghistory's whole timeline) is
                # measured three times, not --repeat times.
                if len(measured) < 3 or max(measured) < SLOW_MS:
                    measured.append(timed(action))
    median = {pair: statistics.median(values) for pair, values in times.items()}

    load_avg = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    print(
        f"objects={objects} per table, {total[0]:,} events per library in {TABLES} tables, "
        f"{total[1]:,} contexts; loaded in {loaded:.0f}s; repeat={args.repeat} (medians)"
    )
    print(f"load: {load_avg.strip()}\n")
    rows = [
        ("read", "anchor measured here", "Tidemark", "Tidemark target", "met"),
        ("---", "---", "---", "---", "---"),
    ]
    names = {
        "object": ("one object's history page (50 newest)", "pghistory", TARGETS_MS["object"]),
        "timeline": ("last 50 events of the whole timeline", "pghistory", TARGETS_MS["timeline"]),
        "context": ("one context's events", "pghistory", TARGETS_MS["context"]),
        "user": ("last 50 events of one user (metadata)", "pghistory", None),
        "as_of": (f"`as_of` over {objects:,} objects", "simple-history", TARGETS_MS["as_of"]),
    }
    ok = True
    for key, (title, anchor_lib, target) in names.items():
        ours, theirs = median[(key, "tidemark")], median[(key, anchor_lib)]
        met = target is None or ours <= target
        ok = ok and met
        runs = len(times[(key, anchor_lib)])
        rows.append(
            (
                title,
                f"{anchor_lib} {theirs:,.1f} ms ({theirs / ours:,.1f}× Tidemark's time"
                + (f", {runs} runs)" if runs != args.repeat else ")"),
                f"{ours:,.1f} ms",
                f"≤ {target:,.0f} ms" if target is not None else "—",
                "yes" if met else "NO",
            )
        )
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
