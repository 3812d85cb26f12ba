"""The demo's story played for the tests, and what its databases hold after each step.

The story is ``example_project/story``: the same steps `make demo` runs, in subprocesses on a
checkout of the shop's releases, against databases of the tests' own names. After each step
a `Snapshot` reads both databases with plain SQL, so the tests check the databases, not the
narration.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg

from tests.story import STEPS, DemoError, Narrator, databases, prepare

DATABASE = "test_tidemark_demo"
Row = dict[str, Any]
"""A row of a table: its columns and values (decimals as text)."""


@dataclass(frozen=True)
class Event:
    """One recorded change of a product: which row, what, and its context's metadata."""

    product: int
    label: str
    name: str | None
    price: str | None
    in_stock: bool | None
    context: dict[str, Any] | None


@dataclass(frozen=True)
class Snapshot:
    """What a step said, and what the production and staging databases hold after it."""

    narration: str
    applied: frozenset[tuple[str, str]]
    schema: dict[str, list[tuple[str, ...]]]
    releases: list[tuple[str, list[str], frozenset[tuple[str, str]]]]
    rollbacks: list[tuple[str, str, str]]
    runs: list[tuple[str, str, str]]
    products: dict[int, Row]
    events: list[Event]
    staging_products: dict[int, Row]
    users: dict[str, int]

    @classmethod
    def take(cls, narrator: Narrator, narration: str) -> Snapshot:
        url, production = narrator.url, narrator.database
        with databases.connect(url, production) as connection:
            return cls(
                narration=narration,
                applied=frozenset(rows(connection, "SELECT app, name FROM django_migrations")),
                schema=databases.schema(url, production),
                releases=[
                    (commit, tags, frozenset(map(tuple, applied)))
                    for commit, tags, applied in rows(
                        connection,
                        "SELECT commit, tags, applied"
                        " FROM tidemark_migration_state_migrationstate ORDER BY id",
                    )
                ],
                rollbacks=rows(
                    connection,
                    "SELECT f.commit, t.commit, r.result"
                    " FROM tidemark_migration_state_rollback r"
                    " JOIN tidemark_migration_state_migrationstate f ON f.id = r.from_state_id"
                    " JOIN tidemark_migration_state_migrationstate t ON t.id = r.to_state_id"
                    " ORDER BY r.id",
                ),
                runs=rows(
                    connection,
                    "SELECT command, status, release FROM tidemark_migration_runs ORDER BY id",
                ),
                products=products(connection),
                events=[Event(*row) for row in rows(connection, EVENTS)],
                staging_products=staging_products(url, narrator.staging_database),
                users=dict(rows(connection, "SELECT username, id FROM auth_user")),
            )


EVENTS = (
    "SELECT e.history_object_id, e.history_label, e.name, e.price::text, e.in_stock,"
    " c.metadata FROM shop_productevent e"
    " LEFT JOIN tidemark_history_context c ON c.id = e.history_context_id ORDER BY e.history_id"
)


def rows(connection: Any, query: str) -> list[Any]:
    """The rows of `query`, as lists (one value: the values), or [] without the table."""
    try:
        found = connection.execute(query).fetchall()
    except psycopg.errors.UndefinedTable:
        return []
    return [row[0] if len(row) == 1 else tuple(row) for row in found]


def products(connection: Any) -> dict[int, Row]:
    """Every product, by id: every column (the release's), decimals as text."""
    try:
        cursor = connection.execute("SELECT * FROM shop_product ORDER BY id")
    except psycopg.errors.UndefinedTable:
        return {}
    names = [column.name for column in cursor.description]
    return {
        row[0]: {
            name: str(value) if name == "price" else value
            for name, value in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    }


def staging_products(url: str, database: str) -> dict[int, Row]:
    with databases.connect(url, database) as connection:
        return products(connection)


@dataclass
class Played:
    """The story played to its end: the narrator and the snapshot after each step."""

    narrator: Narrator
    steps: dict[str, Snapshot]


def play(url: str, directory: Path) -> Played:
    """Play every step of the story, taking a snapshot after each."""
    out = StringIO()
    narrator = Narrator(url, out=out, directory=directory, database=DATABASE)
    prepare(narrator)
    steps = {}
    for step in STEPS:
        start = out.tell()
        try:
            step(narrator)
        except DemoError as error:
            raise AssertionError(f"{error}\n{out.getvalue()[start:]}") from None
        steps[step.__name__] = Snapshot.take(narrator, out.getvalue()[start:])
    return Played(narrator, steps)


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def serving(narrator: Narrator) -> Iterator[str]:
    """The demo's admin served by ``runserver`` from the checkout; yields its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=narrator.checkout.path,
        env=narrator.environment("production"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            assert process.poll() is None, "runserver exited"
            assert time.monotonic() < deadline, "runserver did not answer"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()
