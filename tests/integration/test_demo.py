"""The demo's story (``make demo``), played step by step, each step checked in the databases.

The story runs once for the module (real commands in subprocesses, on a git checkout of the
shop's releases); each test checks one step's snapshot. Then the demo's admin is served and
walked in a real browser.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser import Browser
from tests.story import DemoError, Narrator, databases, prepare
from tidemark_core.devdb import database_url

from .demo_support import DATABASE, Event, Played, Snapshot, play, rows, serving

ADMIN = "/admin/tidemark_migration_state/"
STARTER = {
    1: ("Tide tables 2027", "12.00", True),
    2: ("Coastal walks", "18.50", True),
    3: ("Tide clock", "45.00", True),
    4: ("Paper catalogue", "0.00", True),
}
DEPLOY = {"command": "apply_migrations", "database": "default"}
SYNC = {
    "command": "sync_dataset",
    "source": "staging",
    "target": "default",
    "dataset": "catalog",
    "args": "",
}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    story = play(database_url(), tmp_path_factory.mktemp("demo"))
    yield story
    story.narrator.clean()


def catalogue(snapshot: Snapshot, staging: bool = False) -> dict[int, tuple[str, str, bool]]:
    found = snapshot.staging_products if staging else snapshot.products
    return {pk: (row["name"], row["price"], row["in_stock"]) for pk, row in found.items()}


def shop(applied: frozenset[tuple[str, str]]) -> list[str]:
    return sorted(name for app, name in applied if app == "shop")


def columns(snapshot: Snapshot, table: str) -> dict[str, str]:
    """``{column: is_nullable}`` of `table`."""
    return {
        column: nullable
        for name, column, _type, nullable in snapshot.schema["columns"]
        if name == table
    }


def same_schema(first: Snapshot, second: Snapshot, kept: Sequence[str] = ()) -> bool:
    """Equal tables, columns (in any order), constraints, indexes and triggers; but for the
    `kept` columns of the event table, which a rolled-back release leaves with their values."""

    def schema(snapshot: Snapshot) -> dict[str, list[tuple[str, ...]]]:
        found = {key: sorted(value) for key, value in snapshot.schema.items()}
        found["columns"] = [
            row for row in found["columns"] if row[0] != "shop_productevent" or row[1] not in kept
        ]
        return found

    return schema(first) == schema(second)


def commit(played: Played, tag: str) -> str:
    return played.narrator.checkout.commit(tag)


def test_release_1_is_applied_in_one_run_and_saved_under_its_tag(played: Played) -> None:
    step = played.steps["release_1"]

    assert shop(step.applied) == ["0001_initial", "0002_starter_catalogue"]
    assert ("tidemark_migration_state", "0003_lineage_backfill") in step.applied
    assert step.releases == [(commit(played, "v1"), ["v1"], step.applied)]
    assert step.runs == [("apply_migrations", "succeeded", commit(played, "v1"))]
    assert catalogue(step) == STARTER
    assert step.events == [
        Event(pk, "insert", name, price, True, DEPLOY) for pk, (name, price, _) in STARTER.items()
    ]
    assert list(step.users) == ["admin"]
    # Whole lines: the narrator passes the command's output through untouched.
    assert "\n  Applying shop.0002_starter_catalogue... OK\n" in step.narration
    assert f'State successfully created for commit "{commit(played, "v1")}"' in step.narration


def test_release_2_adds_a_required_column_deprecates_another_and_passes_the_linter(
    played: Played,
) -> None:
    before, step = played.steps["release_1"], played.steps["release_2"]

    assert "1 migration(s) linted: 0 error(s)" in step.narration
    assert shop(step.applied) == [*shop(before.applied), "0003_currency_and_fax"]
    assert step.releases[1:] == [(commit(played, "v2"), ["v2"], step.applied)]
    assert columns(step, "shop_product")["currency"] == "YES"
    assert (columns(before, "shop_supplier")["fax"], columns(step, "shop_supplier")["fax"]) == (
        "NO",
        "YES",
    )
    assert {row["currency"] for row in step.products.values()} == {"EUR"}
    assert catalogue(step) == STARTER
    assert step.events == before.events  # adding the columns changed no row
    assert "shop.Product.currency  (since release v2, 1 release(s))" in step.narration
    assert "shop.Supplier.fax  (since release v2, 1 release(s))" in step.narration


def test_failed_release_3_is_rolled_back_and_leaves_release_2_as_it_was(played: Played) -> None:
    before, step = played.steps["release_2"], played.steps["failed_release_3"]

    assert step.applied == before.applied
    assert same_schema(step, before, kept=["weight_grams"])
    assert "weight_grams" in columns(step, "shop_productevent")
    assert step.releases == before.releases  # nothing saved for v3
    assert step.runs[-1] == ("apply_migrations", "rolled_back", "")
    assert step.products == before.products
    assert step.events == before.events
    for line in (
        "  Applying shop.0005_price_positive_not_valid... OK",
        "  Applying shop.0006_validate_price_positive... FAIL",
        "  Unapplying shop.0005_price_positive_not_valid... OK",
        "  Unapplying shop.0004_product_weight... OK",
        "  shop_product: id, name, price, in_stock, category_id, currency",
        " [ ] 0006_validate_price_positive",
    ):
        assert f"\n{line}\n" in step.narration
    assert 'check constraint "price_positive" of relation "shop_product" is violated' in (
        step.narration
    )


def test_rollback_to_v1_brings_release_1_back_and_records_itself(played: Played) -> None:
    v1, step = played.steps["release_1"], played.steps["rollback_to_v1"]

    assert step.applied == v1.applied
    assert same_schema(step, v1, kept=["currency", "weight_grams"])
    assert {"currency", "weight_grams"} <= set(columns(step, "shop_productevent"))
    assert step.rollbacks == [(commit(played, "v2"), commit(played, "v1"), "succeeded")]
    assert step.runs[-1][:2] == ("rollback_migrations", "succeeded")
    assert catalogue(step) == STARTER
    assert "  Unapplying shop.0003_currency_and_fax... OK" in step.narration
    assert "curr >>>" in step.narration  # the list marks v1 as the state in force


def test_staging_runs_release_1_and_its_editor_changes_the_catalogue(played: Played) -> None:
    before, step = played.steps["rollback_to_v1"], played.steps["staging_edits"]

    assert catalogue(step, staging=True) == {
        1: STARTER[1],
        2: STARTER[2],
        3: ("Tide clock (brass)", "49.00", True),
        5: ("Tide gauge", "60.00", True),
    }
    assert step.products == before.products
    assert "POST /admin/shop/product/4/delete/ -> 302 /admin/shop/product/" in step.narration


def test_the_sync_plan_shows_the_changes_and_writes_nothing(played: Played) -> None:
    before, step = played.steps["staging_edits"], played.steps["sync_plan"]

    assert step.products == before.products
    assert step.events == before.events
    for line in (
        "  updated shop.product 3: Tide clock (name: 'Tide clock' → 'Tide clock (brass)', "
        "price: 45.00 → 49.00)",
        "  created shop.product 5: Tide gauge",
        "  deleted shop.product 4: Paper catalogue",
    ):
        assert f"\n{line}\n" in step.narration


def test_the_sync_brings_staging_s_catalogue_with_its_deletion(played: Played) -> None:
    before, step = played.steps["sync_plan"], played.steps["sync"]

    assert catalogue(step) == catalogue(step, staging=True)
    assert 4 not in step.products
    synced = step.events[len(before.events) :]
    assert sorted(synced, key=lambda event: event.product) == [
        Event(3, "update", "Tide clock (brass)", "49.00", True, SYNC),
        Event(4, "delete", "Paper catalogue", "0.00", True, SYNC),
        Event(5, "insert", "Tide gauge", "60.00", True, SYNC),
    ]


def test_a_change_through_the_admin_records_the_request(played: Played) -> None:
    before, step = played.steps["sync"], played.steps["edit_in_admin"]

    assert step.products[3]["in_stock"] is False
    request = {
        "user": step.users["admin"],
        "method": "POST",
        "path": "/admin/shop/product/3/change/",
    }
    assert step.events == [
        *before.events,
        Event(3, "update", "Tide clock (brass)", "49.00", False, request),
    ]


def test_the_history_of_the_row_names_each_context(played: Played) -> None:
    step = played.steps["row_history"]

    lines = step.narration.splitlines()
    assert "History of shop.product 3, 'Tide clock (brass)': 3 event(s), oldest first" in lines
    assert "      by the command apply_migrations (database='default')" in lines
    assert (
        "      by the command sync_dataset (args='', source='staging', target='default', "
        "dataset='catalog')"
    ) in lines
    assert "      by user 'admin', request POST /admin/shop/product/3/change/" in lines
    assert any(line.endswith(" update: in_stock: True → False") for line in lines)


def test_each_release_has_the_migrations_of_its_models(played: Played, tmp_path: Path) -> None:
    narrator = Narrator(played.narrator.url, directory=tmp_path, database=DATABASE)
    narrator.checkout.build()
    for tag in ("v1", "v2", "v3"):
        narrator.checkout.switch(tag)
        done = subprocess.run(
            [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
            cwd=narrator.checkout.path,
            env=narrator.environment("production"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert (tag, done.returncode, done.stdout) == (tag, 0, "No changes detected\n")


def test_a_new_run_starts_from_a_clean_state_and_clean_removes_it(
    played: Played, tmp_path: Path
) -> None:
    narrator = Narrator(played.narrator.url, directory=tmp_path / "demo", database="test_again")
    prepare(narrator)
    first = [narrator.checkout.commit(tag) for tag in ("v1", "v2", "v3")]
    with databases.connect(narrator.url, narrator.database) as connection:
        connection.execute("CREATE TABLE leftover (id int)")
    (narrator.checkout.path / "leftover.txt").write_text("left over")

    prepare(narrator)

    assert [narrator.checkout.commit(tag) for tag in ("v1", "v2", "v3")] == first
    assert not (narrator.checkout.path / "leftover.txt").exists()
    with databases.connect(narrator.url, narrator.database) as connection:
        assert rows(connection, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []
    narrator.clean()
    assert not narrator.checkout.path.parent.exists()
    with databases.connect(narrator.url) as connection:
        names = [narrator.database, narrator.staging_database]
        found = connection.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [names]
        )
        assert found.fetchall() == []


def test_the_demo_s_admin_in_a_browser(played: Played) -> None:
    v1, v2 = commit(played, "v1"), commit(played, "v2")
    with serving(played.narrator) as address:
        browser = Browser(address, "test_demo")
        try:
            walk(browser, v1, v2)
        finally:
            browser.quit()


def walk(browser: Browser, v1: str, v2: str) -> None:
    browser.log_in("admin", "tidemark-demo")
    browser.wait_for_title("Site administration")
    browser.assert_page("Site administration", shop="Products", deploys="Saved releases")
    browser.screenshot("1-index")

    browser.open(f"{ADMIN}migrationstate/")
    browser.assert_page("Select saved release to view", v1=v1[:12], v2=v2[:12], tags="v2")
    browser.screenshot("2-saved-releases")

    browser.click(v2[:12], "View saved release")
    browser.assert_page(
        "View saved release",
        previous=f"v1 ({v1[:12]})",
        recorded_by="run #2: apply_migrations",
        rollback="rollback #1",
    )
    browser.screenshot("3-release-v2")

    browser.click("rollback #1", "View rollback")
    browser.assert_page("View rollback", result="succeeded", to=f"v1 ({v1[:12]})", run="run #4")
    browser.screenshot("4-rollback")

    browser.click("run #4", "View migration run")
    browser.assert_page("View migration run", command="rollback_migrations", status="succeeded")
    browser.screenshot("5-rollback-run")

    browser.open(f"{ADMIN}migrationrun/")
    browser.assert_page("Select migration run to view", failed="rolled back")
    browser.screenshot("6-runs")

    browser.click("run #3", "View migration run")
    browser.assert_page(
        "View migration run",
        status="rolled back",
        error='check constraint "price_positive" of relation "shop_product" is violated',
    )
    browser.screenshot("7-failed-run")

    browser.open("/admin/shop/product/")
    browser.assert_page("Select product to change", clock="Tide clock (brass)", gauge="Tide gauge")
    browser.screenshot("8-products")
    walk_history(browser)


def walk_history(browser: Browser) -> None:
    """History's admin: the tide clock's History with its diffs, a revert, a context's events."""
    browser.click("Tide clock (brass)", "Change product")
    browser.find("a.historylink").click()
    browser.wait_for_title("History: Tide clock (brass)")
    # Newest first: the editor's request, the sync from staging, ..., the deploy.
    browser.assert_page(
        "History: Tide clock (brass)",
        who="admin",
        path="/admin/shop/product/3/change/",
        sync="sync_dataset",
        renamed="Tide clock (brass)",
    )
    events = browser.find_all("tr.tidemark-event")
    assert "in stock" in events[0].text, events[0].text
    assert "True" in events[0].text and "False" in events[0].text  # noqa: PT018
    browser.screenshot("9-product-history")

    # Back to the version the sync left: in stock again.
    synced = next(row for row in events if "sync_dataset" in row.text)
    synced.find_element(By.CSS_SELECTOR, "a.tidemark-revert").click()
    browser.wait_for_title("Revert to this version?")
    browser.screenshot("10-revert-confirmation")
    browser.find("input[type=submit]").click()
    browser.wait_for_title("Change product")
    browser.assert_page("Change product", reverted="was reverted to its version of")
    assert browser.find("#id_in_stock").is_selected()
    browser.screenshot("11-reverted")

    browser.find("a.historylink").click()
    browser.wait_for_title("History: Tide clock (brass)")
    after = browser.find_all("tr.tidemark-event")
    assert len(after) == len(events) + 1
    assert "reverted_event" in after[0].text
    # The sync's context: every row it changed.
    synced = next(row for row in after if "sync_dataset" in row.text)
    synced.find_element(By.CSS_SELECTOR, "td.tidemark-why a").click()
    browser.wait_for_title("View context")
    browser.assert_page("View context", command="sync_dataset", clock="product 3")
    assert browser.find_all("#tidemark-revert-context")
    browser.screenshot("12-sync-context")
    browser.open("/admin/tidemark_history/context/timeline/?model=shop.product")
    browser.assert_page("Events", clock="product 3")
    browser.screenshot("13-timeline")


def test_a_server_that_refuses_the_databases_stops_the_demo_with_advice(tmp_path: Path) -> None:
    narrator = Narrator("postgresql://nobody@/postgres?host=/nonexistent", directory=tmp_path)

    with pytest.raises(DemoError, match="With DATABASE_URL, the role needs the CREATEDB"):
        prepare(narrator)


def test_without_git_the_demo_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(DemoError, match=r"The demo needs git: install it"):
        prepare(Narrator(database_url(), directory=tmp_path))
