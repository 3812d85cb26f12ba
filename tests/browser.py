"""A real browser for the admin tests: headless Chromium from the distribution, via Selenium.

Admin pages are tested twice: with Django's test client for permissions and responses, and
here, in a real browser, for what a person sees and clicks. Tests subclass `BrowserTestCase`
(Django's `StaticLiveServerTestCase`: the admin's static files are served) and leave a
screenshot of each page they check in ``test-artifacts/screenshots/`` for review.

Chromium and ChromeDriver come from Debian's ``chromium`` and ``chromium-driver`` packages;
``make test`` installs them when they are missing and it can. Without them the tests fail
with that instruction: a browser test is never skipped.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Without the background-networking flags Chromium keeps calling hosts this network refuses.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


def start_browser() -> WebDriver:
    """A headless Chromium driven by the distribution's ChromeDriver."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail(
            "The admin browser tests need Chromium and ChromeDriver from the distribution: "
            "apt-get install chromium chromium-driver (make test installs them when it runs "
            "as root)."
        )
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


class BrowserTestCase(StaticLiveServerTestCase):
    """A live server and one browser per test class."""

    browser: WebDriver

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.browser = start_browser()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.quit()
        super().tearDownClass()

    def open(self, path: str) -> None:
        """Load `path` of the live server."""
        self.browser.get(self.live_server_url + path)

    def find(self, selector: str) -> WebElement:
        """The first element matching the CSS `selector`."""
        return self.browser.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str) -> list[WebElement]:
        """Every element matching the CSS `selector`."""
        return list(self.browser.find_elements(By.CSS_SELECTOR, selector))

    def text(self) -> str:
        """The visible text of the page."""
        return str(self.find("body").text)

    def log_in(self, username: str, password: str, *, path: str = "/admin/login/") -> None:
        """Log into the admin through its login form."""
        self.open(path)
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.find("input[type=submit]").click()

    def screenshot(self, name: str) -> Path:
        """Save the page as ``test-artifacts/screenshots/<test module>/<name>.png``."""
        folder = SCREENSHOTS / type(self).__module__.rsplit(".", 1)[-1]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^\w.-]+", "-", name) + ".png")
        self.browser.save_screenshot(str(path))
        return path

    def assert_page(self, title: str, **expected: Any) -> None:
        """The page's title contains `title` and its text contains each expected value."""
        assert title in self.browser.title, self.browser.title
        page = self.text()
        for value in expected.values():
            assert str(value) in page, (value, page[:2000])
