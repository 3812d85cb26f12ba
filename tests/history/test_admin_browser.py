"""History in a real browser: an item's History page, its revert, deleted rows, the
timeline and a context reverted as a whole."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

import tidemark_history as history
from tests.browser import BrowserTestCase
from tests.history.testapp.models import Item

ADMIN = "/admin/testapp/item/"


class HistoryInTheBrowser(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.admin = User.objects.create_superuser("admin", password="tidemark-test")

    def test_open_the_history_revert_and_see_the_row_restored(self) -> None:
        browser = self.browser
        with history.context(user=self.admin.pk, reason="stock count"):
            item = Item.objects.create(name="Tide gauge", price=Decimal("120.00"), quantity=4)
        with history.context(user=self.admin.pk, reason="price rise"):
            Item.objects.filter(pk=item.pk).update(price=Decimal("150.00"), quantity=3)

        browser.log_in("admin", "tidemark-test")
        browser.wait_for_title("Site administration")
        browser.open(f"{ADMIN}{item.pk}/change/")
        browser.find("a.historylink").click()
        browser.wait_for_title("History: Tide gauge")
        browser.assert_page(
            "History: Tide gauge", who="admin", why="price rise", old="120.00", new="150.00"
        )
        assert len(browser.find_all("tr.tidemark-event")) == 2
        browser.screenshot("1-item-history")

        # The oldest version: the insert, at the bottom.
        browser.find_all("a.tidemark-revert")[-1].click()
        browser.wait_for_title("Revert to this version?")
        browser.assert_page("Revert to this version?", now="150.00", after="120.00")
        browser.screenshot("2-revert-confirmation")
        browser.find("input[type=submit]").click()
        browser.wait_for_title("Change item")
        browser.assert_page("Change item", message="was reverted to its version of")
        assert browser.find("#id_price").get_attribute("value") == "120.00"
        assert browser.find("#id_quantity").get_attribute("value") == "4"
        browser.screenshot("3-reverted")
        item.refresh_from_db()
        assert (item.price, item.quantity) == (Decimal("120.00"), 4)

        browser.find("a.historylink").click()
        browser.wait_for_title("History: Tide gauge")
        assert len(browser.find_all("tr.tidemark-event")) == 3
        browser.assert_page("History: Tide gauge", reverted="reverted_event")
        browser.screenshot("4-history-after-revert")

    def test_restore_a_deleted_row_and_revert_a_context(self) -> None:
        browser = self.browser
        with history.context(user=self.admin.pk, reason="clear-out") as block:
            Item.objects.create(name="Buoy", quantity=2)
            doomed = Item.objects.create(name="Anchor", quantity=1)
        anchor_pk = doomed.pk
        doomed.delete()

        browser.log_in("admin", "tidemark-test")
        browser.wait_for_title("Site administration")
        browser.open(ADMIN)
        browser.find("#tidemark-deleted-link").click()
        browser.wait_for_title("Deleted items")
        browser.assert_page("Deleted items", name="Anchor")
        browser.screenshot("5-deleted-items")
        browser.find("a.tidemark-revert").click()
        browser.wait_for_title("Restore this row?")
        browser.find("input[type=submit]").click()
        browser.wait_for_title("Change item")
        assert Item.objects.get(pk=anchor_pk).name == "Anchor"

        browser.open("/admin/tidemark_history/context/")
        browser.find("#tidemark-timeline-link").click()
        browser.wait_for_title("Events")
        browser.assert_page("Events", reason="clear-out", who="admin")
        browser.screenshot("6-timeline")
        browser.open(f"/admin/tidemark_history/context/{block.id}/change/")
        browser.assert_page("View context", buoy="Buoy", anchor="Anchor")
        browser.screenshot("7-context")
        browser.find("#tidemark-revert-context").click()
        browser.wait_for_title("Revert this context?")
        # The anchor was deleted and restored since: a later change to overwrite.
        browser.assert_page("Revert this context?", conflict="Changed again since")
        assert len(browser.find_all("#tidemark-conflicts tr.tidemark-event")) == 2
        browser.screenshot("8-context-revert")
        browser.find("input[type=submit]").click()
        assert "Revert this context?" in browser.driver.title  # the box is required
        browser.find("input[name=force]").click()
        browser.find("input[type=submit]").click()
        browser.wait_for_title("View context")
        browser.screenshot("9-context-reverted")
        assert not Item.objects.filter(name__in=["Buoy", "Anchor"]).exists()
