import pytest
from pathlib import Path
from tests.docs.pages import ALIASES, Page
@pytest.mark.django_db(transaction=True, databases=list(ALIASES))
def test_probe(tmp_path):
    Page(Path("/tmp/probe.md"), tmp_path).run()
