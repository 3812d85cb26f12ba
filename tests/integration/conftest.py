"""Fixtures of the integration suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.migration_support import (
    Release,
    _fresh_run_journal,  # noqa: F401 - autouse
    releases,
)


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    """Switch the code to a release of the model-less app alpha."""
    yield from releases(tmp_path, ["alpha"])
