"""Fixtures of the core suite: releases of migration modules for the plan apps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.migration_support import (
    Release,
    _fresh_run_journal,  # noqa: F401 - autouse
    releases,
    table_pattern,
)
from tests.migration_support import schema as schema_matching

PLAN_APPS = ("alpha", "beta", "gamma")


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    """Switch the code to a release: ``release(alpha={"0001_initial": source, ...}, ...)``."""
    yield from releases(tmp_path, PLAN_APPS)


def schema(using: str = "default") -> dict[str, list[tuple[str, ...]]]:
    """Tables, columns, constraints and indexes of the plan apps."""
    return schema_matching(using, table_pattern(PLAN_APPS))
