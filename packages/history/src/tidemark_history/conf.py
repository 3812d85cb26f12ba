"""The settings of Tidemark history, declared once, each read lazily through one accessor."""

from __future__ import annotations

from tidemark_core.conf import Setting, whole_number

PARTITIONS_AHEAD = Setting(
    "TIDEMARK_HISTORY_PARTITIONS_AHEAD",
    3,
    whole_number(0),
    "a whole number of periods, 0 or more",
    "tidemark_history.E010",
)
BATCH_SIZE = Setting(
    "TIDEMARK_HISTORY_BATCH_SIZE",
    10_000,
    whole_number(1),
    "a whole number of rows, 1 or more",
    "tidemark_history.E011",
)
SETTINGS = (PARTITIONS_AHEAD, BATCH_SIZE)


def partitions_ahead() -> int:
    """``TIDEMARK_HISTORY_PARTITIONS_AHEAD``: the periods whose partitions are made ahead."""
    return PARTITIONS_AHEAD.value()


def batch_size() -> int:
    """``TIDEMARK_HISTORY_BATCH_SIZE``: rows per transaction of prune, backfill and redact."""
    return BATCH_SIZE.value()
