"""Fixtures of the integration suite."""

from tests.migration_support import _fresh_run_journal  # noqa: F401 - autouse
