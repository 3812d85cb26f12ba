"""Every Python and console example in docs/ runs, so none can drift (see tests/docs/pages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.pages import ALIASES, Page

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.django_db(transaction=True, databases=list(ALIASES))
@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_page_examples_run(path: Path, tmp_path: Path) -> None:
    Page(path, tmp_path).run()
