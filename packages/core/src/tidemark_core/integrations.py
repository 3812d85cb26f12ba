"""How the Tidemark apps meet when several are installed; never a hard dependency."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from importlib import import_module
from typing import Any

from django.apps import apps


def history_context(**metadata: Any) -> AbstractContextManager[Any]:
    """`tidemark_history.context(**metadata)` when history is installed, else a no-op.

    Commands that change rows (rollbacks, migration runs, dataset loads) wrap their work in
    it, so the history of every row they touch says which command, release or dataset did it.
    """
    if not apps.is_installed("tidemark_history"):
        return nullcontext()
    context: AbstractContextManager[Any] = import_module("tidemark_history").context(**metadata)
    return context
