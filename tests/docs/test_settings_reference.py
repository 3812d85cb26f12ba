"""docs/settings.md lists exactly the settings the packages declare, as they declare them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.settings_reference import settings_objects

PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
ROW = re.compile(r"^\| `(TIDEMARK_[A-Z0-9_]+)` \| [^|]+ \| `([^`]+)` \| (.+) \| `([\w.]+)` \|$")


def test_the_settings_page_lists_every_declared_setting_with_its_default_and_check() -> None:
    rows = [ROW.match(line) for line in PAGE.read_text().splitlines()]
    listed = {row[1]: (row[2], row[3], row[4]) for row in rows if row}
    declared = {
        setting.name: (repr(setting.default), setting.accepted, setting.check_id)
        for setting in settings_objects()
    }
    assert listed == declared


def test_the_settings_page_names_the_former_names_still_read() -> None:
    text = PAGE.read_text()
    for setting in settings_objects():
        if setting.renamed_from:
            assert f"`{setting.renamed_from}`" in text, setting.renamed_from
