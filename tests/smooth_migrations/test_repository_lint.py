"""The linter over Django's contrib apps and every app with migrations in this repository.

Each finding below was reviewed (see docs/smooth-migrations/linter.md, "Findings in this
repository"): none is false. The docs page's counts are checked against this run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

from tests.story import Checkout
from tidemark_core.devdb import database_url

ROOT = Path(__file__).resolve().parents[2]
RUNS = [
    # (settings module, extra import path)
    ("tests.smooth_migrations.contrib_settings", None),  # every contrib app, bench polls
    ("tests.integration.settings", None),  # the Tidemark apps, integration shop, smooth testapp
    ("tests.history.settings", None),  # history's testapp (event tables and triggers)
    ("tests.data_sync.settings", None),
]

REVIEWED = {
    ("contenttypes.0002_remove_content_type_name", "PG012", 4),
    ("contenttypes.0002_remove_content_type_name", "PG100", 2),
    ("contenttypes.0002_remove_content_type_name", "PG101", 3),
    ("auth.0002_alter_permission_name_max_length", "PG100", 1),
    ("auth.0003_alter_user_email_max_length", "PG100", 1),
    ("auth.0005_alter_user_last_login_null", "PG100", 1),
    ("auth.0008_alter_user_username_max_length", "PG100", 1),
    ("auth.0009_alter_user_last_name_max_length", "PG100", 1),
    ("auth.0010_alter_group_name_max_length", "PG100", 1),
    ("auth.0012_alter_user_first_name_max_length", "PG100", 1),
    ("sites.0002_alter_domain_unique", "PG001", 1),
    ("sites.0002_alter_domain_unique", "PG003", 1),
    ("sites.0002_alter_domain_unique", "PG100", 1),
    ("testapp.0002_expand", "PG100", 1),
    ("shop.0003_currency_and_fax", "PG100", 1),
    ("shop.0004_product_weight", "PG100", 1),
    ("shop.0005_price_positive_not_valid", "PG100", 1),
    ("tidemark_migration_state.0002_lineage_runs", "PG100", 4),
    ("tidemark_history.0005_context_parent_and_functions", "PG100", 1),
    ("tidemark_history.0007_context_guard", "PG100", 1),
    ("scale.0003_member_newsletter_birthday", "PG100", 1),
}


def lint_everything(demo: Path) -> tuple[set[str], set[tuple[str, str, int]]]:
    linted: set[str] = set()
    found: set[tuple[str, str, int]] = set()
    # The demo shop at its last release (a checkout of it), with history.
    for settings_module, path in [*RUNS, ("demo_site.settings", demo)]:
        env = dict(os.environ)
        # The demo's settings name their database: the server's own is enough to lint.
        env["TIDEMARK_DEMO_DATABASE"] = dj_database_url.parse(database_url())["NAME"]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (path, ROOT) if p)
        done = subprocess.run(
            [sys.executable, "-m", "tests.smooth_migrations.repository_lint", settings_module],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in done.stdout.splitlines():
            data = json.loads(line)
            if "linted" in data:
                linted.add(f"{settings_module.split('.')[0]}:{data['linted']}")
            else:
                found.add((data["migration"], data["code"], data["operation"]))
    return linted, found


@pytest.mark.django_db
def test_repository_migrations_have_only_the_reviewed_findings(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path / "shop")
    checkout.build()  # its HEAD is the last release: every migration of the demo
    linted, found = lint_everything(checkout.path)

    assert found == REVIEWED
    errors = {f for f in found if f[1] != "PG100"}
    assert len(errors) == 4
    counts: dict[str, int] = {}
    for _migration, code, _operation in found:
        counts[code] = counts.get(code, 0) + 1
    page = (ROOT / "docs" / "smooth-migrations" / "linter.md").read_text()
    documented = dict(re.findall(r"^\| \[?(PG\d{3})\]?[^|]*\|[^|]*\|[^|]*\| (\d+) \|$", page, re.M))
    assert {code: int(n) for code, n in documented.items() if int(n)} == counts
    assert len(linted) >= 40
