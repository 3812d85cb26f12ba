"""A check every suite runs on its package: the public API is exactly a sorted `__all__`."""

from __future__ import annotations

import importlib
from types import ModuleType


def assert_public_api(module_name: str) -> None:
    """Fail unless `module_name.__all__` is sorted and lists every public name, no more."""
    package = importlib.import_module(module_name)
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert package.__all__ == sorted(package.__all__), "__all__ is not sorted"
    assert set(package.__all__) == public | {"__version__"}
