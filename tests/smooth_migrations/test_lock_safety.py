"""Lock-safe execution: every statement gets a lock timeout, a timed-out migration is tried
again, and the output names the sessions it waits for.

A second connection plays the application: it holds a conflicting lock in an open
transaction and lets it go part-way through the run.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.migration_support import Release, schema
from tidemark_core import applied_migrations

from .conftest import TABLES as DEPLOY
from .conftest import migration_rows
from .migrations_src import NORTH_0001, run_sql

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@pytest.fixture
def limits(settings: Any) -> Any:
    """The settings of the test (set up before the release fixture, so restored after it)."""
    settings.TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT = 0.3
    settings.TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES = 5
    return settings


RUN_PYTHON = """
from django.db import migrations

def rename(apps, schema_editor):
    apps.get_model("north", "Thing").objects.update(name="renamed")

class Migration(migrations.Migration):
    dependencies = [("north", "0001_initial")]
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
"""
ADD_FIELD = """
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("north", "0001_initial")]
    operations = [migrations.AddField("thing", "size", models.IntegerField(null=True))]
"""


@pytest.fixture
def app() -> Iterator[BaseDatabaseWrapper]:
    """Another session, as the application's: it may hold locks in an open transaction."""
    connection = connections.create_connection("default")
    connection.inc_thread_sharing()  # a timer thread may end its transaction
    connection.set_autocommit(False)
    yield connection
    connection.rollback()
    connection.close()


def hold(app: BaseDatabaseWrapper, sql: str) -> int:
    """Run `sql` in the application's open transaction; its backend PID."""
    with app.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
        cursor.execute(sql)
    return pid


class ReleaseOnRetry(StringIO):
    """The command's output; the application commits once a lock timeout is reported."""

    def __init__(self, app: BaseDatabaseWrapper) -> None:
        super().__init__()
        self.app = app
        self.released = False

    def write(self, text: str) -> int:
        if "Lock timeout" in text and not self.released:
            self.released = True
            self.app.commit()
        return super().write(text)


def deployed_thing(release: Release) -> None:
    release(north={"0001_initial": NORTH_0001})
    call_command("apply_migrations", stdout=StringIO())
    with connections["default"].cursor() as cursor:
        cursor.execute("INSERT INTO north_thing (name) VALUES ('lamp')")


@pytest.mark.parametrize(
    "migration",
    [
        pytest.param(ADD_FIELD, id="AddField"),
        pytest.param(
            run_sql("north", "0001_initial", "UPDATE north_thing SET name = 'x'"), id="RunSQL"
        ),
        pytest.param(RUN_PYTHON, id="RunPython"),
    ],
)
def test_a_lock_timeout_is_retried_and_the_blocker_is_named(
    limits: Any, release: Release, app: BaseDatabaseWrapper, migration: str
) -> None:
    deployed_thing(release)
    release(north={"0001_initial": NORTH_0001, "0002_change": migration})
    blocker = hold(app, "SELECT * FROM north_thing FOR UPDATE")
    out = ReleaseOnRetry(app)

    call_command("apply_migrations", stdout=out, no_color=True)

    output = out.getvalue()
    assert ("north", "0002_change") in applied_migrations()
    assert "    Waiting for a lock held by:" in output
    assert re.search(
        rf"      PID {blocker} \(idle in transaction( for \d+s)?\): SELECT \* FROM", output
    )
    assert re.search(
        rf"    Lock timeout: canceling statement due to lock timeout \(PID {blocker}\); "
        r"trying north\.0002_change again in \d+\.\ds \(attempt 2 of 5\)\.",
        output,
    )
    assert output.rstrip().endswith("  Applying north.0002_change... OK")


def test_the_last_lock_timeout_fails_the_run_and_rolls_it_back(
    limits: Any, release: Release, app: BaseDatabaseWrapper
) -> None:
    limits.TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_LOCK_TIMEOUT = 0.2
    limits.TIDEMARK_SMOOTH_MIGRATIONS_LOCK_RETRIES = 2
    deployed_thing(release)
    before = schema(pattern=DEPLOY), migration_rows()
    release(north={"0001_initial": NORTH_0001, "0002_change": ADD_FIELD})
    blocker = hold(app, "SELECT * FROM north_thing FOR UPDATE")
    out = StringIO()

    with pytest.raises(CommandError, match="canceling statement due to lock timeout") as caught:
        call_command("apply_migrations", "--json", stdout=out, stderr=StringIO())

    assert (schema(pattern=DEPLOY), migration_rows()) == before
    assert "apply_migrations failed in north.0002_change" in str(caught.value)
    data = json.loads(out.getvalue())
    assert data["ok"] is False
    assert data["retries"] == [
        {"migration": "north.0002_change", "attempt": 2, "blockers": [blocker]}
    ]


def test_the_statement_timeout_fails_a_long_statement(limits: Any, release: Release) -> None:
    limits.TIDEMARK_SMOOTH_MIGRATIONS_STATEMENT_TIMEOUT = 0.2
    deployed_thing(release)
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_slow": run_sql("north", "0001_initial", "SELECT pg_sleep(5)"),
        }
    )

    with pytest.raises(CommandError, match="canceling statement due to statement timeout"):
        call_command("apply_migrations", stdout=StringIO())

    assert ("north", "0002_slow") not in applied_migrations()


CONCURRENT_INDEX = """
from django.db import migrations

class Migration(migrations.Migration):
    atomic = False
    dependencies = [("north", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY north_thing_lower ON north_thing (lower(name))",
            "DROP INDEX CONCURRENTLY north_thing_lower",
        ),
    ]
"""
SETTINGS_SEEN = run_sql(
    "north",
    "0002_index",
    "CREATE TABLE north_seen AS SELECT current_setting('lock_timeout') AS lock_timeout,"
    " current_setting('statement_timeout') AS statement_timeout",
    "DROP TABLE north_seen",
)


def release_later(app: BaseDatabaseWrapper, seconds: float = 1.5) -> threading.Timer:
    timer = threading.Timer(seconds, app.commit)
    timer.start()
    return timer


def test_a_concurrent_index_build_waits_without_the_lock_timeout(
    limits: Any, release: Release, app: BaseDatabaseWrapper
) -> None:
    deployed_thing(release)
    release(
        north={
            "0001_initial": NORTH_0001,
            "0002_index": CONCURRENT_INDEX,
            "0003_seen": SETTINGS_SEEN,
        }
    )
    blocker = hold(app, "UPDATE north_thing SET name = 'busy'")
    timer = release_later(app)
    out = StringIO()

    call_command("apply_migrations", stdout=out, no_color=True)
    timer.join()

    output = out.getvalue()
    assert "Lock timeout" not in output
    assert f"      PID {blocker} (idle in transaction" in output  # it waited, and said for whom
    assert "north_thing_lower" in str(schema(pattern=DEPLOY)["indexes"])
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT lock_timeout, statement_timeout FROM north_seen")
        assert cursor.fetchone() == ("300ms", "0")  # the next statements got them back


def test_validate_constraint_waits_without_the_lock_timeout(
    limits: Any, release: Release, app: BaseDatabaseWrapper
) -> None:
    deployed_thing(release)
    files = {
        "0001_initial": NORTH_0001,
        "0002_check": run_sql(
            "north",
            "0001_initial",
            "ALTER TABLE north_thing ADD CONSTRAINT north_named CHECK (name <> '') NOT VALID",
            "ALTER TABLE north_thing DROP CONSTRAINT north_named",
        ),
    }
    release(north=files)
    call_command("apply_migrations", stdout=StringIO())
    validate = "ALTER TABLE north_thing VALIDATE CONSTRAINT north_named"
    release(north={**files, "0003_validate": run_sql("north", "0002_check", validate)})
    hold(app, "LOCK TABLE north_thing IN SHARE MODE")
    timer = release_later(app)

    call_command("apply_migrations", stdout=(out := StringIO()), no_color=True)
    timer.join()

    assert "Lock timeout" not in out.getvalue()
    assert ("north", "0003_validate") in applied_migrations()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'north_named'")
        assert cursor.fetchone() == (True,)
