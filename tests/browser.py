"""A real browser for the admin tests: headless Chromium from the distribution, via Selenium.

Admin pages are tested twice: with Django's test client for permissions and responses, and
here, in a real browser, for what a person sees and clicks. Tests subclass `BrowserTestCase`
(Django's `StaticLiveServerTestCase`: the admin's static files are served), or drive a
`Browser` on another server (the demo's), and leave a screenshot of each page they check in
``test-artifacts/screenshots/`` for review.

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
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

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


def start_browser() -> webdriver.Chrome:
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


class Browser:
    """A headless Chromium on the site at `base_url`, leaving screenshots in `folder`.

    Args:
        base_url: The site's address, without a trailing slash.
        folder: The name of the screenshot folder under ``test-artifacts/screenshots/``.
    """

    def __init__(self, base_url: str, folder: str) -> None:
        self.base_url = base_url
        self.folder = SCREENSHOTS / folder
        self.driver = start_browser()

    def quit(self) -> None:
        self.driver.quit()

    def open(self, path: str) -> None:
        """Load `path` of the site."""
        self.driver.get(self.base_url + path)

    def find(self, selector: str) -> WebElement:
        """The first element matching the CSS `selector`."""
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str) -> list[WebElement]:
        """Every element matching the CSS `selector`."""
        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def text(self) -> str:
        """The visible text of the page."""
        return str(self.find("body").text)

    def log_in(self, username: str, password: str, *, path: str = "/admin/login/") -> None:
        """Log into the admin through its login form."""
        self.open(path)
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.find("input[type=submit]").click()

    def click(self, text: str, then: str) -> None:
        """Click the link holding `text`, and wait for the page whose title holds `then`."""
        self.driver.find_element(By.PARTIAL_LINK_TEXT, text).click()
        self.wait_for_title(then)

    def wait_for_title(self, title: str) -> None:
        WebDriverWait(self.driver, 10).until(lambda driver: title in driver.title)

    def screenshot(self, name: str) -> Path:
        """Save the page as ``test-artifacts/screenshots/<folder>/<name>.png``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / (re.sub(r"[^\w.-]+", "-", name) + ".png")
        self.driver.save_screenshot(str(path))
        return path

    def assert_page(self, title: str, **expected: Any) -> None:
        """The page's title contains `title` and its text contains each expected value."""
        assert title in self.driver.title, self.driver.title
        page = self.text()
        for value in expected.values():
            assert str(value) in page, (value, page[:2000])


class BrowserTestCase(StaticLiveServerTestCase):
    """A live server and one `Browser` on it per test class (``self.browser``)."""

    browser: Browser

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.browser = Browser(cls.live_server_url, cls.__module__.rsplit(".", 1)[-1])

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.quit()
        super().tearDownClass()
