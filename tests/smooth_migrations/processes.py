"""Commands in child processes, for the faults a test process cannot inflict on itself.

A child configures Django like the suite (the same apps, the test database, the migration
modules of the current release), runs one management command, and is watched from the
test: its output as it comes, its database session, its exit. The tests kill it with
SIGKILL or SIGTERM, or terminate its session, at precise points of a run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

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
    **config["settings"],
)
django.setup()
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *config["argv"]])
"""


def database_settings(using: str = "default", **options: Any) -> dict[str, Any]:
    """The test database's settings, for a child; `options` add to its OPTIONS.

    Children ask the server to notice within 0.1 s when they die
    (``client_connection_check_interval``), as a production server does when the next
    statement ends, so that a killed run's transaction is rolled back promptly.
    """
    database = {
        key: connections[using].settings_dict[key]
        for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    }
    database["OPTIONS"] = {
        **connections[using].settings_dict["OPTIONS"],
        "options": "-c client_connection_check_interval=100",
        **options,
    }
    return database


class Child:
    """A management command running in a child process, its output read as it comes.

    Args:
        argv: The command and its arguments, e.g. ``["apply_migrations", "--no-input"]``.
        modules: The MIGRATION_MODULES of the release (from the ``release`` fixture).
        tmp_path: The test's temporary directory (the release packages live there).
        extra: More settings for the child.
    """

    def __init__(
        self,
        argv: list[str],
        modules: dict[str, str | None],
        tmp_path: Path,
        **extra: Any,
    ) -> None:
        config = {
            "path": [str(ROOT), *[entry for entry in sys.path if entry.startswith(str(tmp_path))]],
            "apps": settings.INSTALLED_APPS,
            "database": database_settings(),
            "modules": modules,
            "settings": extra,
            "argv": argv,
        }
        script = tmp_path / "runner.py"
        script.write_text(RUNNER)
        self.process = subprocess.Popen(
            [sys.executable, str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TIDEMARK_RUNNER": json.dumps(config)},
        )
        self.chunks: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        for chunk in iter(lambda: stream.read(1), b""):
            self.chunks.append(chunk.decode(errors="replace"))

    @property
    def output(self) -> str:
        """Everything it printed so far (stdout and stderr)."""
        return "".join(self.chunks)

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        """Wait until `condition()` holds while the child runs; fail with its output if not."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.output}"
            assert self.process.poll() is None, f"exited waiting for {what}:\n{self.output}"
            time.sleep(0.02)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Wait until it printed `text`."""
        self.wait_until(lambda: text in self.output, repr(text), timeout)

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no rollback; as a power cut is to the process."""
        self.process.send_signal(signal.SIGKILL)

    def kill_while_running(self, sql: str) -> None:
        """SIGKILL it while its backend runs `sql`; wait until the server ended that backend."""
        from tests.migration_support import backend_running, wait_for_backend_gone

        self.wait_until(lambda: backend_running(sql) is not None, repr(sql))
        pid = backend_running(sql)
        assert pid is not None
        self.kill()
        assert self.finish() == -9
        wait_for_backend_gone(pid)

    def finish(self, timeout: float = 60) -> int:
        """Wait for it to exit; its exit status."""
        returncode = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return returncode
