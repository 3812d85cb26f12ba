"""SIGTERM during a slow migration: the subprocess rolls back to the applied set it started from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.migration_support import Release, schema
from tidemark_core import applied_migrations

from .migrations_src import NORTH_0001, run_sql

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

ROOT = Path(__file__).resolve().parents[2]

RUNNER = """
import json, os, sys
config = json.loads(os.environ["TIDEMARK_RUNNER"])
sys.path[:0] = config["path"]
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=config["apps"],
    DATABASES={"default": config["database"]},
    MIGRATION_MODULES=config["modules"],
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "apply_migrations", "north", "--no-input"])
"""


def test_sigterm_during_a_slow_migration_restores_the_start(
    release: Release, tmp_path: Path
) -> None:
    modules = release(
        north={
            "0001_initial": NORTH_0001,
            "0002_slow": run_sql("north", "0001_initial", "SELECT pg_sleep(60)"),
        }
    )
    start = applied_migrations()
    database = {
        key: connections["default"].settings_dict[key]
        for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    }
    config = {
        "path": [str(ROOT), *[entry for entry in sys.path if entry.startswith(str(tmp_path))]],
        "apps": settings.INSTALLED_APPS,
        "database": database,
        "modules": modules,
    }
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    process = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TIDEMARK_RUNNER": json.dumps(config)},
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(iter(lambda: process.stdout.read(1).decode(), ""))  # type: ignore[union-attr]
    )
    reader.start()
    deadline = time.monotonic() + 60
    while "Applying north.0002_slow..." not in "".join(output):
        assert time.monotonic() < deadline, "".join(output)
        assert process.poll() is None, "".join(output)
        time.sleep(0.05)
    time.sleep(0.5)  # let pg_sleep start on the server

    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=60)
    reader.join(timeout=10)
    process.stdout.close()  # type: ignore[union-attr]
    text = "".join(output)

    assert returncode != 0
    assert "  Applying north.0002_slow... FAIL" in text
    assert "Interrupted by SIGTERM" in text
    assert "  Unapplying north.0001_initial... OK" in text
    assert applied_migrations() == start
    assert schema(pattern="^north_")["tables"] == []
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%%'"
            " AND state = 'active'"
        )
        assert cursor.fetchone()[0] == 0  # the statement was cancelled on the server
