"""Run ``manage.py ARGS`` in a child process, optionally starting when a file appears.

The multi-process tests start several of these at once; each finishes Django's set-up,
then waits for the start file so that the commands really run concurrently.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django
from django.core.management import execute_from_command_line


def main() -> None:
    django.setup()
    start = os.environ.get("TIDEMARK_TEST_START_FILE")
    deadline = time.monotonic() + 120
    while start and not Path(start).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    execute_from_command_line(["manage.py", *sys.argv[1:]])


if __name__ == "__main__":
    main()
