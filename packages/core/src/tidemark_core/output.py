"""What Tidemark commands print with ``--json``: one document, whose ``ok`` is the exit status.

Every ``--json`` output of every Tidemark command is one JSON document on stdout, with
``"ok": true`` exactly when the command exits 0. A command that fails or refuses still
prints one: ``{"ok": false, "error": "..."}``, plus what it knows, so CI can rely on either
the exit status or the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError, OutputWrapper


class JsonOutput:
    """The ``--json`` document of one command run.

    Args:
        stream: Where the document goes (the command's stdout).
        enabled: Whether ``--json`` was given; when not, nothing is printed.
        sort_keys: Sort the document's keys.
    """

    def __init__(self, stream: OutputWrapper, enabled: bool, *, sort_keys: bool = False) -> None:
        self.stream = stream
        self.enabled = enabled
        self.sort_keys = sort_keys
        self.printed = False

    def write(self, data: dict[str, Any], *, ok: bool = True) -> None:
        """Print `data` with ``"ok": ok`` (once per run; nothing without ``--json``)."""
        if not self.enabled or self.printed:
            return
        self.printed = True
        document = {"ok": ok, **{key: value for key, value in data.items() if key != "ok"}}
        self.stream.write(json.dumps(document, indent=2, sort_keys=self.sort_keys))

    @contextmanager
    def failures(self) -> Iterator[None]:
        """On a `CommandError` in the block, print ``{"ok": false, "error": ...}`` first.

        Nothing is added when the block already printed its document (with ``ok`` false).
        """
        try:
            yield
        except CommandError as error:
            self.write({"error": str(error)}, ok=False)
            raise
