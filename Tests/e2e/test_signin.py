"""End-to-end sign-in in a real headless Chromium (SPEC §1 S3–S7, S12; §3).

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e

Screenshots of every page go to test-artifacts/e2e/; the server log to test-artifacts/e2e/server.log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from sekisho_harness import (
    Artifacts,
    SekishoServer,
    browser_problems,
    decode_qr,
    fill_and_submit,
    find_binary,
    make_driver,
    page_text,
    path_of,
    require_tool,
    submit,
    totp,
    wait_for_path,
)

ALICE = "alice"
ALICE_PASSWORD = "correct horse battery staple"
BOB = "bob"
BOB_PASSWORD = "another long passphrase 42"


class Browser:
    """A Chromium session plus the artifacts it writes and the console problems it saw."""

    def __init__(self, driver: WebDriver, artifacts: Artifacts, server: SekishoServer) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.server = server
        self.problems: list[str] = []

    def open(self, path: str) -> None:
        self.driver.get(self.server.url(path))

    def shot(self, name: str) -> None:
        """Screenshot of the whole page; also collects the console errors the page caused."""
        self.artifacts.page(self.driver, name)
        self.problems += [f"{name}: {message}" for message in browser_problems(self.driver)]

    def assert_clean_console(self) -> None:
        """Pages must not break their own Content-Security-Policy (no inline script or style)."""
        violations = [p for p in self.problems if "Content Security Policy" in p]
        assert not violations, "CSP violations in the browser console:\n" + "\n".join(violations)

    def sign_in(self, username: str, password: str) -> None:
        """On /login: checks the form of the contract and sends the credentials."""
        wait_for_path(self.driver, "/login")
        csrf = self.driver.find_elements(By.CSS_SELECTOR, "form input[type=hidden][name=csrf]")
        assert csrf, "the login form has no hidden input name=csrf"
        assert csrf[0].get_attribute("value"), "the login form's csrf field is empty"
        password_field = self.driver.find_element(By.NAME, "password")
        assert password_field.get_attribute("type") == "password", "the password field must be type=password"
        fill_and_submit(self.driver, {"username": username, "password": password})

    def log_out(self) -> None:
        """Presses #logout on the dashboard and expects the login page."""
        wait_for_path(self.driver, "/")
        submit(self.driver, self.driver.find_element(By.ID, "logout"))
        wait_for_path(self.driver, "/login")

    def send_code(self, code: str) -> None:
        fill_and_submit(self.driver, {"code": code})

    def error_text(self) -> str:
        errors = [e for e in self.driver.find_elements(By.CSS_SELECTOR, ".error") if e.text.strip()]
        assert errors, f"no visible element with class 'error' on {self.driver.current_url}; page text:\n{page_text(self.driver)}"
        return " ".join(e.text.strip() for e in errors)


@pytest.fixture(scope="module")
def artifacts() -> Artifacts:
    return Artifacts()


@pytest.fixture(scope="module")
def server(artifacts: Artifacts) -> Iterator[SekishoServer]:
    # The tools must exist before anything starts: a missing one is a failure, not a skip.
    for tool in ("oathtool", "zbarimg"):
        require_tool(tool)
    instance = SekishoServer(find_binary(), artifacts)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def alice(server: SekishoServer) -> str:
    """Step 1: alice, with two-factor on, created at the console."""
    server.add_user(ALICE, ALICE_PASSWORD, email="alice@example.com", name="Alice Example", two_factor=True)
    return ALICE


@pytest.fixture()
def browser(server: SekishoServer, artifacts: Artifacts) -> Iterator[Browser]:
    driver = make_driver()
    try:
        yield Browser(driver, artifacts, server)
    finally:
        driver.quit()


@pytest.fixture()
def phone(server: SekishoServer, artifacts: Artifacts) -> Iterator[Browser]:
    driver = make_driver(phone=True)
    try:
        yield Browser(driver, artifacts, server)
    finally:
        driver.quit()


def read_enrollment(browser: Browser, qr_name: str) -> str:
    """On /login/enroll: checks QR, key and code field; returns the key after checking the QR holds it."""
    driver = browser.driver
    qr = driver.find_element(By.ID, "qr")
    assert qr.find_elements(By.CSS_SELECTOR, "svg"), "#qr holds no inline <svg>"
    key = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
    assert re.fullmatch(r"[A-Z2-7]{24}", key), f"#manual-key is not a 24-character base32 key: {key!r}"
    groups = driver.find_elements(By.CSS_SELECTOR, "#manual-key span")
    assert len(groups) >= 2, "#manual-key should show the key in groups (spans) for reading aloud / typing"

    uri = decode_qr(browser.artifacts.element(qr, qr_name))
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp", f"QR code is not an otpauth://totp/ URI: {uri!r}"
    query = parse_qs(parsed.query)
    assert query.get("secret") == [key], f"QR secret {query.get('secret')} differs from #manual-key {key!r}"
    assert query.get("issuer") == ["Sekisho"], f"QR issuer is {query.get('issuer')}, expected Sekisho"
    assert unquote(parsed.path).strip("/"), f"QR URI has no label: {uri!r}"

    code = driver.find_element(By.NAME, "code")
    assert code.get_attribute("inputmode") == "numeric", "code field needs inputmode=numeric"
    assert code.get_attribute("autocomplete") == "one-time-code", "code field needs autocomplete=one-time-code"
    form = code.find_element(By.XPATH, "./ancestor::form")
    assert form.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]"), "enroll form has no submit button"
    assert driver.find_elements(By.CSS_SELECTOR, "a.lang-switch"), "no language switch link (a.lang-switch) on the enroll page"
    return key


def test_enroll_sign_in_replay_and_recovery(browser: Browser, alice: str) -> None:
    driver = browser.driver

    # Step 2: password, then the enrollment page with a QR code that holds the shown key.
    browser.open("/login")
    wait_for_path(driver, "/login")
    assert driver.find_elements(By.CSS_SELECTOR, "a.lang-switch"), "no language switch link (a.lang-switch) on /login"
    browser.shot("login")
    browser.sign_in(alice, ALICE_PASSWORD)
    wait_for_path(driver, "/login/enroll")
    assert "Scan QR code" in driver.title, f"enroll page title is {driver.title!r}"
    browser.shot("enroll")
    secret = read_enrollment(browser, "enroll-qr")

    # Step 3: a correct code binds the authenticator and shows the recovery codes once.
    browser.send_code(totp(secret))
    recovery_items = driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")
    assert recovery_items, (
        f"after the enrollment code: no #recovery-codes li on {driver.current_url}; page text:\n{page_text(driver)}"
    )
    recovery_codes = [item.text.strip() for item in recovery_items]
    assert len(recovery_codes) == 10, f"expected 10 recovery codes, got {recovery_codes}"
    assert all(re.fullmatch(r"\d{8}", c) for c in recovery_codes), f"recovery codes must be 8 digits: {recovery_codes}"
    assert len(set(recovery_codes)) == 10, f"recovery codes are not distinct: {recovery_codes}"
    browser.shot("recovery-codes")
    continue_link = driver.find_element(By.ID, "continue")
    assert urlparse(continue_link.get_attribute("href")).path == "/", "#continue must lead to the dashboard /"
    submit(driver, continue_link)
    wait_for_path(driver, "/")
    assert driver.find_element(By.ID, "username").text.strip() == alice
    browser.shot("dashboard")

    # Step 4: logout.
    browser.log_out()

    # Step 5: with a bound authenticator the password leads to the code page. The next step's
    # code is always newer than the one accepted at enrollment and inside the ±1 window.
    browser.sign_in(alice, ALICE_PASSWORD)
    wait_for_path(driver, "/login/verify")
    assert driver.find_elements(By.ID, "reset-2fa"), "no #reset-2fa button on /login/verify"
    reset_form = driver.find_element(By.ID, "reset-2fa").find_element(By.XPATH, "./ancestor::form")
    assert urlparse(reset_form.get_attribute("action")).path == "/login/reset", "#reset-2fa must post to /login/reset"
    assert (reset_form.get_attribute("method") or "").lower() == "post", "#reset-2fa form must use POST"
    code_field = driver.find_element(By.NAME, "code")
    assert code_field.get_attribute("inputmode") == "numeric", "verify code field needs inputmode=numeric"
    assert code_field.get_attribute("autocomplete") == "one-time-code", "verify code field needs autocomplete=one-time-code"
    browser.shot("verify")
    next_code = totp(secret, int(time.time()) + 30)
    browser.send_code(next_code)
    wait_for_path(driver, "/")
    assert driver.find_element(By.ID, "username").text.strip() == alice
    browser.log_out()

    # Step 6: the same code again is refused (S7), and the user stays on the code page.
    browser.sign_in(alice, ALICE_PASSWORD)
    wait_for_path(driver, "/login/verify")
    browser.send_code(next_code)
    assert path_of(driver) == "/login/verify", f"a replayed code led to {driver.current_url}"
    browser.error_text()
    browser.shot("verify-replay-refused")

    # Issue #16: a code from a phone whose clock is 90 s slow is refused, with a hint about the clock.
    browser.send_code(totp(secret, int(time.time()) - 90))
    assert path_of(driver) == "/login/verify", f"a code 90 s old led to {driver.current_url}"
    hint = driver.find_element(By.ID, "clock-hint").text
    assert "seconds slow" in hint, f"clock hint: {hint!r}"
    browser.shot("verify-clock-hint")
    browser.open("/login/verify?lang=ja")
    wait_for_path(driver, "/login/verify")
    browser.send_code(totp(secret, int(time.time()) + 90))
    hint = driver.find_element(By.ID, "clock-hint").text
    assert "進んでいる" in hint, f"Japanese clock hint: {hint!r}"
    browser.shot("verify-clock-hint-ja")
    browser.open("/login/verify?lang=en")
    wait_for_path(driver, "/login/verify")

    # Step 7: a recovery code works in place of a code, once (S12).
    browser.send_code(recovery_codes[3])
    wait_for_path(driver, "/")
    assert driver.find_element(By.ID, "username").text.strip() == alice
    browser.log_out()
    browser.sign_in(alice, ALICE_PASSWORD)
    wait_for_path(driver, "/login/verify")
    browser.send_code(recovery_codes[3])
    assert path_of(driver) == "/login/verify", f"a used recovery code led to {driver.current_url}"
    browser.error_text()
    browser.shot("verify-recovery-reuse-refused")
    browser.assert_clean_console()


def test_japanese_login_page(browser: Browser, alice: str) -> None:
    # Step 8: ?lang=ja switches the page to Japanese.
    driver = browser.driver
    browser.open("/login?lang=ja")
    wait_for_path(driver, "/login")
    browser.shot("login-ja")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja", "<html lang> is not ja"
    button = driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]")
    label = button.text.strip() or (button.get_attribute("value") or "").strip()
    assert label and not label.isascii(), f"login button text is not Japanese: {label!r}"
    assert driver.find_elements(By.CSS_SELECTOR, "a.lang-switch"), "no language switch link (a.lang-switch) on /login?lang=ja"
    # The choice is kept in a cookie: the next page without ?lang stays Japanese.
    browser.open("/login")
    wait_for_path(driver, "/login")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja", "language choice not kept"
    browser.assert_clean_console()


def test_wrong_password_and_unknown_user_look_the_same(browser: Browser, alice: str) -> None:
    # Step 9: no user enumeration in the text of the page.
    driver = browser.driver
    browser.open("/login")
    browser.sign_in(alice, "wrong password entirely")
    wait_for_path(driver, "/login")
    wrong_password = browser.error_text()
    browser.shot("login-wrong-password")
    browser.sign_in("nobody-here", "wrong password entirely")
    wait_for_path(driver, "/login")
    unknown_user = browser.error_text()
    browser.shot("login-unknown-user")
    assert wrong_password == unknown_user, f"wrong password {wrong_password!r} vs unknown user {unknown_user!r}"
    browser.assert_clean_console()


def test_phone_sized_login_and_enroll(phone: Browser, server: SekishoServer) -> None:
    # The login and enrollment pages on a 390x844 phone screen, in English and Japanese.
    server.add_user(BOB, BOB_PASSWORD, email="bob@example.com", name="Bob Example", two_factor=True)
    driver = phone.driver

    def assert_fits(page: str) -> None:
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"{page} is {width}px wide on a 390px phone screen (horizontal scrolling)"

    phone.open("/login")
    wait_for_path(driver, "/login")
    phone.shot("phone-login")
    assert_fits("/login")
    phone.sign_in(BOB, BOB_PASSWORD)
    wait_for_path(driver, "/login/enroll")
    assert "Scan QR code" in driver.title, f"enroll page title is {driver.title!r}"
    phone.shot("phone-enroll")
    assert_fits("/login/enroll")
    read_enrollment(phone, "phone-enroll-qr")

    phone.open("/login/enroll?lang=ja")
    wait_for_path(driver, "/login/enroll")
    assert "QRコードをスキャン" in driver.title, f"Japanese enroll page title is {driver.title!r}"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    phone.shot("phone-enroll-ja")
    assert_fits("/login/enroll?lang=ja")
    read_enrollment(phone, "phone-enroll-ja-qr")
    phone.assert_clean_console()
