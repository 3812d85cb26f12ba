"""The settings every Tidemark package declares (`tidemark_core.conf.Setting` objects)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from tidemark_core.conf import Setting

ROOT = Path(__file__).resolve().parents[2]


def settings_objects() -> list[Setting[Any]]:
    """Every `Setting` declared at the top of a package's ``conf`` module, by name."""
    found: dict[str, Setting[Any]] = {}
    for source in sorted(ROOT.glob("packages/*/src/tidemark_*")):
        name = f"{source.name}.conf"
        if importlib.util.find_spec(name) is None:
            continue
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, Setting):
                found[value.name] = value
    return sorted(found.values(), key=lambda setting: setting.name)


def declared_settings() -> set[str]:
    """The names of every declared setting, and the earlier names still read."""
    names = set()
    for setting in settings_objects():
        names.add(setting.name)
        if setting.renamed_from:
            names.add(setting.renamed_from)
    return names
