"""The sessions list in two real browsers (issue #16, item 1): a laptop and a phone signed in to one account,
each seen on the other's list; ending one session from the list, and "sign out everywhere else".

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_sessions.py

Screenshots (English and Japanese, desktop and phone widths) go to test-artifacts/e2e/sessions/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from sekisho_harness import (
    ARTIFACTS_DIR,
    NumberedArtifacts,
    REPO_ROOT,
    SekishoServer,
    fill_and_submit,
    find_binary,
    make_driver,
    submit,
    wait_for_path,
)

PASSWORD = "correct horse battery staple"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
EN = json.loads((REPO_ROOT / "Public" / "locales" / "en.json").read_text(encoding="utf-8"))
JA = json.loads((REPO_ROOT / "Public" / "locales" / "ja.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server() -> Iterator[SekishoServer]:
    instance = SekishoServer(find_binary(), NumberedArtifacts(1, ARTIFACTS_DIR / "sessions"))
    try:
        instance.start()
        instance.add_user("alice", PASSWORD, email="alice@example.com", name="Alice", two_factor=False)
        yield instance
    finally:
        instance.stop()


def phone() -> WebDriver:
    """A phone-sized browser that says it is Safari on an iPhone, as a real one would."""
    driver = make_driver(phone=True)
    driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": IPHONE})
    return driver


def sign_in(driver: WebDriver, server: SekishoServer, language: str) -> None:
    driver.get(server.url(f"/login?lang={language}"))
    wait_for_path(driver, "/login")
    fill_and_submit(driver, {"username": "alice", "password": PASSWORD})
    wait_for_path(driver, "/")


def sessions(driver: WebDriver) -> list[str]:
    """The text of each entry of the sessions list, as shown."""
    return [entry.text for entry in driver.find_elements(By.CSS_SELECTOR, "#session-list li.device")]


def show_list(driver: WebDriver, server: SekishoServer, name: str) -> None:
    """Loads the dashboard again, checks it fits the screen, and keeps a screenshot of the whole page.

    Not "/#sessions": from "/" that is a jump within the page, which Chromium makes without loading it again.
    """
    driver.get(server.url("/"))
    wait_for_path(driver, "/")
    width = driver.execute_script("return document.documentElement.clientWidth")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width, f"{name}: wider than the screen"
    server.artifacts.page(driver, name)


def test_two_browsers_see_each_other_and_end_each_others_sessions(server: SekishoServer) -> None:
    laptop = make_driver()
    handset = phone()
    try:
        sign_in(laptop, server, "en")
        sign_in(handset, server, "ja")

        show_list(laptop, server, "desktop-en-sessions")
        listed = sessions(laptop)
        assert len(listed) == 2, listed
        # This browser first, marked as such; the phone named by what its User-Agent says.
        assert EN["sessions.this_browser"] in listed[0] and "Chrome" in listed[0] and "Linux" in listed[0], listed
        assert "Safari" in listed[1] and "iOS" in listed[1], listed
        assert all("127.0.0.0/24" in entry and "127.0.0.1" not in entry for entry in listed), listed

        show_list(handset, server, "phone-ja-sessions")
        listed = sessions(handset)
        assert len(listed) == 2 and JA["sessions.this_browser"] in listed[0] and "Safari" in listed[0], listed
        assert JA["sessions.end_others"] in handset.find_element(By.TAG_NAME, "body").text

        laptop.get(server.url("/?lang=ja"))
        show_list(laptop, server, "desktop-ja-sessions")
        handset.get(server.url("/?lang=en"))
        show_list(handset, server, "phone-en-sessions")

        # The laptop ends the phone's session from its list.
        end = laptop.find_element(By.CSS_SELECTOR, "#session-list li.device:not(.current) button[type=submit]")
        submit(laptop, end)
        # The answer to the POST is the dashboard itself, as for the other forms of the page.
        wait_for_path(laptop, "/account/sessions/end")
        assert len(sessions(laptop)) == 1
        server.artifacts.page(laptop, "desktop-ja-session-ended")
        handset.get(server.url("/"))
        wait_for_path(handset, "/login")

        # Signed in again on the phone; then "sign out everywhere else" from the phone keeps only the phone.
        sign_in(handset, server, "en")
        laptop.get(server.url("/"))
        assert len(sessions(laptop)) == 2
        show_list(handset, server, "phone-en-before-everywhere-else")
        submit(handset, handset.find_element(By.ID, "end-other-sessions"))
        wait_for_path(handset, "/account/sessions/end-others")
        assert len(sessions(handset)) == 1 and EN["sessions.others_ended"] in handset.find_element(By.TAG_NAME, "body").text
        server.artifacts.page(handset, "phone-en-everywhere-else")
        laptop.get(server.url("/"))
        wait_for_path(laptop, "/login")
    finally:
        laptop.quit()
        handset.quit()
