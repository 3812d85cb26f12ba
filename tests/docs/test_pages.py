"""Every Python and console example in docs/ runs, so none can drift (see tests/docs/pages.py).

The READMEs (the repository's, and each package's, which PyPI shows) are held to the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.pages import ALIASES, Page

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "README.md",
    *sorted(ROOT.glob("packages/*/README.md")),
]


@pytest.mark.django_db(transaction=True, databases=list(ALIASES))
@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_page_examples_run(path: Path, tmp_path: Path) -> None:
    Page(path, tmp_path).run()
