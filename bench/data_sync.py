"""Data sync: dump and load the polls tutorial data with Tidemark, feincms3-data and Django.

    python bench/data_sync.py [--sizes 10000,100000] [--skip-large-anchors]

Each size is a number of questions with 5 choices each (10k questions = 60k objects). Two
databases on one PostgreSQL server: the source is filled in SQL, then every tool dumps it
and loads its dump into the emptied target, each step in its own process, so its wall time
and its peak RSS (``os.wait4``) are its own; every figure is the median of ``--repeat`` runs
(3 by default) of that dump and load. ``--skip-large-anchors`` leaves out
feincms3-data and dumpdata/loaddata at every size above the first (they take over ten
minutes each at 600k objects) and says so in the output.

Targets (the script exits non-zero when one is missed): at every size where they ran,
Tidemark loads at least 20x faster than feincms3-data and than loaddata; at 600k objects
(100k questions) and above, Tidemark loads in at most 60 s with a peak RSS of at most 300 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from tidemark_core.devdb import database_url

PROJECT = Path(__file__).resolve().parent / "data_sync_project"
SOURCE, TARGET = "tidemark_bench_source", "tidemark_bench_target"
MIN_RATIO = 20.0
LARGE, MAX_SECONDS, MAX_MB = 100_000, 60.0, 300.0


def url_for(name: str) -> str:
    """The URL of the database `name` on the benchmark's server."""
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{name}"))
    return database_url(name)


def recreate(name: str) -> None:
    with psycopg.connect(url_for("postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def env(default: str = "source") -> dict[str, str]:
    # Children may write and reuse bytecode, as a deployed project does: with
    # PYTHONDONTWRITEBYTECODE set, every process would compile Django from source again
    # (about 1.5 s here) and the start-up would be measured instead of the tools.
    inherited = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    return {
        **inherited,
        "BENCH_SOURCE_URL": url_for(SOURCE),
        "BENCH_TARGET_URL": url_for(TARGET),
        "BENCH_DEFAULT": default,
        "PYTHONPATH": str(PROJECT),
    }


def manage(*args: str, default: str = "source", stdout: object = None) -> tuple[float, float]:
    """Run ``manage.py ARGS`` in a child process: (seconds, peak RSS in MB)."""
    command = [sys.executable, str(PROJECT / "manage.py"), *args]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env(default), stdout=stdout or subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(args)} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def fill(questions: int) -> None:
    with psycopg.connect(url_for(SOURCE), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO polls_question (question_text, pub_date) SELECT "
            "'What is question ' || i || '?', now() - i * interval '1 minute' "
            "FROM generate_series(1, %s) i",
            [questions],
        )
        connection.execute(
            "INSERT INTO polls_choice (question_id, choice_text, votes) SELECT q.id, "
            "'Choice ' || c || ' of ' || q.id, (q.id * c) % 97 FROM polls_question q, "
            "generate_series(1, 5) c"
        )
        connection.execute("ANALYZE")


def empty_target() -> None:
    with psycopg.connect(url_for(TARGET), autocommit=True) as connection:
        connection.execute("TRUNCATE polls_choice, polls_question RESTART IDENTITY CASCADE")


def target_matches_source() -> bool:
    query = (
        "SELECT count(*), sum(hashtext(q.question_text || c.choice_text || c.votes)) "
        "FROM polls_choice c JOIN polls_question q ON q.id = c.question_id"
    )
    results = []
    for name in (SOURCE, TARGET):
        with psycopg.connect(url_for(name), autocommit=True) as connection:
            # Without statistics (autovacuum may not have run yet on a busy machine), the
            # planner can pick a nested loop that takes minutes on 600k rows.
            connection.execute("ANALYZE polls_question, polls_choice")
            results.append(connection.execute(query).fetchone())
    return results[0] == results[1]


def measure(tool: str, folder: Path, repeat: int) -> dict[str, float]:
    """The medians of `repeat` runs of `once`: on a shared machine one run can be unlucky."""
    runs = [once(tool, folder) for _ in range(repeat)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def once(tool: str, folder: Path) -> dict[str, float]:
    """Dump the source and load into the emptied target with one tool."""
    path = folder / f"{tool}.json"
    empty_target()
    if tool == "tidemark":
        dump = manage("dump_dataset", "polls", "-o", str(path), "--database", "source", "-v", "0")
        load = manage("load_dataset", str(path), "--database", "target")
    elif tool == "feincms3-data":
        # Its commands know only the default database.
        with path.open("wb") as out:
            dump = manage("f3dumpdata", "polls", stdout=out)
        load = manage("f3loaddata", str(path), default="target")
    else:
        dump = manage("dumpdata", "polls", "--database", "source", "-o", str(path))
        load = manage("loaddata", str(path), "--database", "target")
    if not target_matches_source():
        raise SystemExit(f"{tool}: the target does not match the source after the load")
    return {
        "dump_s": dump[0],
        "dump_mb": dump[1],
        "load_s": load[0],
        "load_mb": load[1],
        "size_mb": path.stat().st_size / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="Question counts, comma-separated.")
    parser.add_argument(
        "--tools", default="tidemark,feincms3-data,dumpdata", help="Tools, comma-separated."
    )
    parser.add_argument(
        "--skip-large-anchors",
        action="store_true",
        help="Run only Tidemark at the sizes above the first.",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs of each tool at each size (medians)."
    )
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    print(
        f"PostgreSQL: {url_for(SOURCE).split('?')[0]} (+ {TARGET}), Python "
        f"{sys.version.split()[0]}; medians of {options.repeat} runs"
    )
    missed: list[str] = []
    for number, questions in enumerate(sizes):
        recreate(SOURCE)
        recreate(TARGET)
        manage("migrate", "--database", "source")
        manage("migrate", "--database", "target")
        fill(questions)
        objects = questions * 6
        tools = options.tools.split(",")
        skipped = number > 0 and options.skip_large_anchors
        if skipped:
            tools = tools[:1]
        print(f"\n{questions} questions x 5 choices = {objects} objects")
        print(
            f"  {'tool':<14} {'dump s':>8} {'dump MB':>8} {'load s':>8} {'load MB':>8} "
            f"{'file MB':>8}"
        )
        results = {}
        with tempfile.TemporaryDirectory() as folder:
            for tool in tools:
                r = results[tool] = measure(tool, Path(folder), options.repeat)
                print(
                    f"  {tool:<14} {r['dump_s']:>8.2f} {r['dump_mb']:>8.0f} {r['load_s']:>8.2f} "
                    f"{r['load_mb']:>8.0f} {r['size_mb']:>8.1f}",
                    flush=True,
                )
        ours = results["tidemark"]
        if skipped:
            print(
                "  feincms3-data and dumpdata/loaddata skipped at this size (--skip-large-anchors)"
            )
        for anchor in tools[1:]:
            theirs = results[anchor]
            ratio = theirs["load_s"] / ours["load_s"]
            print(
                f"  vs {anchor}: load {ratio:.1f}x faster, "
                f"dump {theirs['dump_s'] / ours['dump_s']:.1f}x faster, "
                f"load peak RSS {theirs['load_mb'] / ours['load_mb']:.1f}x smaller"
            )
            if ratio < MIN_RATIO:
                missed.append(f"{objects} objects: load {ratio:.1f}x faster than {anchor}")
        print(
            f"  Tidemark load: {objects / ours['load_s']:,.0f} objects/s, "
            f"peak RSS {ours['load_mb']:.0f} MB"
        )
        if questions >= LARGE and (ours["load_s"] > MAX_SECONDS or ours["load_mb"] > MAX_MB):
            missed.append(
                f"{objects} objects: load {ours['load_s']:.1f} s, {ours['load_mb']:.0f} MB"
            )
    for name in (SOURCE, TARGET):
        with psycopg.connect(url_for("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    targets = (
        f"load >= {MIN_RATIO:.0f}x faster than each anchor; at >= {LARGE * 6:,} objects "
        f"<= {MAX_SECONDS:.0f} s and <= {MAX_MB:.0f} MB"
    )
    if missed:
        print(f"\nTargets ({targets}) MISSED: " + "; ".join(missed))
        return 1
    print(f"\nTargets ({targets}): met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
