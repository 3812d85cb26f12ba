"""The admin pages of releases, rollbacks and runs in a real browser: follow the links."""

from __future__ import annotations

from django.contrib.auth.models import User
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

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

    def click(self, text: str, then: str) -> None:
        """Click the link holding `text`, and wait for the page titled `then`."""
        self.browser.find_element(By.PARTIAL_LINK_TEXT, text).click()
        self.wait_for_title(then)

    def wait_for_title(self, title: str) -> None:
        WebDriverWait(self.browser, 10).until(lambda browser: title in browser.title)

    def test_a_release_links_to_its_rollback_runs_and_lineage(self) -> None:
        history = self.history
        self.log_in("admin", "tidemark-test")
        self.wait_for_title("Site administration")
        self.open(f"{ADMIN}migrationstate/")
        self.assert_page(
            "Select saved release to view",
            v1="v1",
            damaged="damaged: applied is null, not a list of [app, name] pairs",
        )
        assert "Add saved release" not in self.text()
        self.screenshot("1-saved-releases")

        self.click(history.b.commit[:12], "View saved release")
        self.assert_page(
            "View saved release",
            tags="v2",
            previous=f"v1 ({history.a.commit[:12]})",
            recorded_by=f"run #{history.deployed_b.pk}: apply_migrations",
        )
        assert not self.find_all("input[name=_save]")
        assert not self.find_all("a.deletelink")
        self.screenshot("2-release-b")

        self.click(f"rollback #{history.rollback.pk}", "View rollback")
        self.assert_page("View rollback", result="succeeded", to=f"v1 ({history.a.commit[:12]})")
        self.screenshot("3-rollback")

        self.click(f"run #{history.rollback_run.pk}", "View migration run")
        self.assert_page("View migration run", command="rollback_migrations", status="succeeded")
        self.screenshot("4-rollback-run")

        self.open(f"{ADMIN}migrationrun/")
        self.assert_page("Select migration run to view", interrupted="INTERRUPTED")
        self.screenshot("5-runs")
        self.click(f"run #{history.interrupted.pk}", "View migration run")
        self.assert_page("View migration run", status="INTERRUPTED", progress="1 of 1 step(s) done")
        self.screenshot("6-interrupted-run")
