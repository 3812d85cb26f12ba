"""The admin pages of releases, rollbacks and runs in a real browser: follow the links."""

from __future__ import annotations

from django.contrib.auth.models import User

from tests.browser import BrowserTestCase
from tests.migration_support import clear_run_journal

from .admin_data import deploy_history

ADMIN = "/admin/tidemark_migration_state/"


class ReleaseHistoryInTheBrowser(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.history = deploy_history()
        User.objects.create_superuser("admin", password="tidemark-test")

    def tearDown(self) -> None:
        clear_run_journal(["default"])
        super().tearDown()

    def test_a_release_links_to_its_rollback_runs_and_lineage(self) -> None:
        history, browser = self.history, self.browser
        browser.log_in("admin", "tidemark-test")
        browser.wait_for_title("Site administration")
        browser.open(f"{ADMIN}migrationstate/")
        browser.assert_page(
            "Select saved release to view",
            v1="v1",
            damaged="damaged: applied is null, not a list of [app, name] pairs",
        )
        assert "Add saved release" not in browser.text()
        browser.screenshot("1-saved-releases")

        browser.click(history.b.commit[:12], "View saved release")
        browser.assert_page(
            "View saved release",
            tags="v2",
            previous=f"v1 ({history.a.commit[:12]})",
            recorded_by=f"run #{history.deployed_b.pk}: apply_migrations",
        )
        assert not browser.find_all("input[name=_save]")
        assert not browser.find_all("a.deletelink")
        browser.screenshot("2-release-b")

        browser.click(f"rollback #{history.rollback.pk}", "View rollback")
        browser.assert_page("View rollback", result="succeeded", to=f"v1 ({history.a.commit[:12]})")
        browser.screenshot("3-rollback")

        browser.click(f"run #{history.rollback_run.pk}", "View migration run")
        browser.assert_page("View migration run", command="rollback_migrations", status="succeeded")
        browser.screenshot("4-rollback-run")

        browser.open(f"{ADMIN}migrationrun/")
        browser.assert_page("Select migration run to view", interrupted="INTERRUPTED")
        browser.screenshot("5-runs")
        browser.click(f"run #{history.interrupted.pk}", "View migration run")
        browser.assert_page(
            "View migration run", status="INTERRUPTED", progress="1 of 1 step(s) done"
        )
        browser.screenshot("6-interrupted-run")
