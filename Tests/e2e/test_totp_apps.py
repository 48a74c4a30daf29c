"""Several authenticator apps per account in a real headless Chromium (issue #15 item 3).

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_totp_apps.py

A user signs in and enrolls a first authenticator app, adds a second one from the dashboard
(password again, then its QR code, read back with zbarimg, a name and one code from it), signs out,
signs in with a code from the first app, then from the second; a code used once is refused again.
One app is renamed and one removed; on a phone in Japanese another app is added, and removing the
last ones resets two-factor so that the next sign-in enrolls again. Codes come from oathtool.
Screenshots go to test-artifacts/e2e/totp-apps/ (English and Japanese, desktop and phone).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sekisho_harness import (
    ARTIFACTS_DIR,
    NumberedArtifacts,
    ServeProcess,
    browser_problems,
    decode_qr,
    fill_and_submit,
    find_binary,
    make_driver,
    page_text,
    run_cli,
    submit,
    totp,
    wait_for_path,
)

PASSWORD = "correct horse battery staple"
SHOTS = ARTIFACTS_DIR / "totp-apps"
# What the first test learns and the second needs: the keys of the apps and the codes they spent.
STATE: dict[str, object] = {"used": set()}


@pytest.fixture(scope="module")
def server() -> Iterator[ServeProcess]:
    binary = find_binary()
    data_dir = Path(tempfile.mkdtemp(prefix="sekisho-totp-apps-"))
    process = ServeProcess(binary, data_dir, SHOTS / "server.log")
    process.start()
    run_cli(binary, ["user", "add", "kenji", "--email", "kenji@example.com", "--name", "Kenji", "--two-factor", "--data-dir", str(data_dir)],
            stdin=PASSWORD + "\n")
    try:
        yield process
    finally:
        process.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def sign_in_with_password(driver, server: ServeProcess) -> None:
    driver.get(f"http://127.0.0.1:{server.port}/login")
    wait_for_path(driver, "/login")
    fill_and_submit(driver, {"username": "kenji", "password": PASSWORD})


def fresh_code(key: str) -> str:
    """A code of `key` for a step after every step it was used for: the next step's code, waiting
    (at most one step) while that is a code already spent."""
    used: set[str] = STATE["used"]  # type: ignore[assignment]
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        code = totp(key, int(time.time()) + 30)
        if (key, code) not in used:
            used.add((key, code))
            return code
        time.sleep(1)  # waits for the authenticator's next 30-second step
    raise AssertionError("no fresh code within 40 seconds")


def sign_in_with_code(driver, server: ServeProcess, code: str) -> None:
    sign_in_with_password(driver, server)
    wait_for_path(driver, "/login/verify")
    fill_and_submit(driver, {"code": code})


def sign_out(driver) -> None:
    submit(driver, driver.find_element(By.ID, "logout"))
    wait_for_path(driver, "/login")


def read_new_app(driver, artifacts: NumberedArtifacts, qr_name: str) -> str:
    """On the new app's page: the key, after checking that the QR code holds the same one."""
    key = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
    assert re.fullmatch(r"[A-Z2-7]{24}", key), f"#manual-key is not a 24-character base32 key: {key!r}"
    uri = decode_qr(artifacts.element(driver.find_element(By.ID, "qr"), qr_name))
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp", f"not an otpauth://totp/ URI: {uri!r}"
    assert parse_qs(parsed.query).get("secret") == [key], f"the QR code's secret differs from #manual-key {key!r}"
    return key


def begin_new_app(driver) -> None:
    """From the dashboard: the password in the form that adds an app."""
    form = driver.find_element(By.ID, "add-app")
    field = form.find_element(By.NAME, "password")
    field.clear()
    field.send_keys(PASSWORD)
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait_for_path(driver, "/account/authenticators/app/new")


def named_row(driver, name: str):
    return driver.find_element(By.XPATH, f"//tr[td[contains(@class, 'authenticator-name') and normalize-space()='{name}']]")


def app_names(driver) -> list[str]:
    return [cell.text.strip() for cell in driver.find_elements(By.CSS_SELECTOR, "#authenticator-apps .authenticator-name")]


def test_a_second_app_signs_in_beside_the_first_each_code_once(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(1, SHOTS)
    driver = make_driver()
    try:
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/enroll")
        first = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
        enrolled = totp(first)
        STATE["used"].add((first, enrolled))  # type: ignore[union-attr]
        fill_and_submit(driver, {"code": enrolled})
        submit(driver, driver.find_element(By.ID, "continue"))
        wait_for_path(driver, "/")
        assert app_names(driver) == ["Authenticator app"], app_names(driver)
        artifacts.page(driver, "dashboard-one-app")

        # A wrong password shows no key.
        form = driver.find_element(By.ID, "add-app")
        form.find_element(By.NAME, "password").send_keys("not the password")
        submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_for_path(driver, "/")
        assert not driver.find_elements(By.ID, "manual-key")

        begin_new_app(driver)
        artifacts.page(driver, "new-app")
        second = read_new_app(driver, artifacts, "new-app-qr")
        assert second != first
        code = driver.find_element(By.NAME, "code")
        assert code.get_attribute("inputmode") == "numeric" and code.get_attribute("autocomplete") == "one-time-code"
        # A wrong code first: the same key again, with an error.
        fill_and_submit(driver, {"name": "Tablet", "code": "000000"})
        wait_for_path(driver, "/account/authenticators/app")
        assert "wrong" in page_text(driver).lower() or driver.find_elements(By.CSS_SELECTOR, ".error")
        assert re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent")) == second
        confirming = totp(second)
        STATE["used"].add((second, confirming))  # type: ignore[union-attr]
        fill_and_submit(driver, {"name": "Tablet", "code": confirming})
        wait_for_path(driver, "/")
        assert "The authenticator app was added." in page_text(driver)
        assert app_names(driver) == ["Authenticator app", "Tablet"], app_names(driver)
        artifacts.page(driver, "dashboard-two-apps")
        driver.get(f"http://127.0.0.1:{server.port}/?lang=ja")
        wait_for_path(driver, "/")
        assert "認証アプリ" in page_text(driver)
        artifacts.page(driver, "dashboard-two-apps-ja")
        driver.get(f"http://127.0.0.1:{server.port}/?lang=en")
        wait_for_path(driver, "/")

        # The first app signs in, then the second; each code once.
        sign_out(driver)
        sign_in_with_code(driver, server, fresh_code(first))
        wait_for_path(driver, "/")
        sign_out(driver)
        from_second = fresh_code(second)
        sign_in_with_code(driver, server, from_second)
        wait_for_path(driver, "/")
        sign_out(driver)
        sign_in_with_code(driver, server, from_second)
        time.sleep(0.5)  # the refusal is the same page again; give a wrong redirect the chance to show
        assert driver.current_url.split("?")[0].endswith("/login/verify"), "a code was accepted twice"
        assert driver.find_elements(By.CSS_SELECTOR, ".error"), "no error for the replayed code"
        artifacts.page(driver, "code-used-twice")
        fill_and_submit(driver, {"code": fresh_code(first)})
        wait_for_path(driver, "/")
        assert all(cell.text.strip() != "—" for cell in driver.find_elements(By.CSS_SELECTOR, "#authenticator-apps .last-used"))

        # Renamed: the second app is the work phone now.
        link = named_row(driver, "Tablet").find_element(By.CSS_SELECTOR, "a.rename-authenticator")
        path = urlparse(link.get_attribute("href")).path
        submit(driver, link)
        wait_for_path(driver, path)
        artifacts.page(driver, "rename")
        fill_and_submit(driver, {"name": "  "})
        assert driver.find_elements(By.CSS_SELECTOR, ".error"), "a blank name was not refused"
        fill_and_submit(driver, {"name": "Work phone"})
        wait_for_path(driver, "/")
        assert "The authenticator was renamed." in page_text(driver)
        assert app_names(driver) == ["Authenticator app", "Work phone"], app_names(driver)

        # The first app removed: the work phone remains, and the session too.
        submit(driver, named_row(driver, "Authenticator app").find_element(By.CSS_SELECTOR, "button.remove-authenticator"))
        wait_for_path(driver, "/")
        assert "The authenticator was removed." in page_text(driver)
        assert app_names(driver) == ["Work phone"], app_names(driver)
        artifacts.page(driver, "dashboard-after-remove")
        STATE["second"] = second
        problems = [p for p in browser_problems(driver) if "Content Security Policy" in p]
        assert not problems, problems
    finally:
        driver.quit()


def test_on_a_phone_in_japanese_removing_the_last_apps_resets(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(20, SHOTS)
    driver = make_driver(phone=True)
    try:
        second = str(STATE["second"])
        driver.get(f"http://127.0.0.1:{server.port}/login?lang=ja")
        sign_in_with_code(driver, server, fresh_code(second))
        wait_for_path(driver, "/")
        begin_new_app(driver)
        artifacts.page(driver, "ja-phone-new-app")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the new app's page is {width}px wide on a 390px screen"
        third = read_new_app(driver, artifacts, "ja-phone-new-app-qr")
        confirming = totp(third)
        STATE["used"].add((third, confirming))  # type: ignore[union-attr]
        fill_and_submit(driver, {"name": "予備のスマートフォン", "code": confirming})
        wait_for_path(driver, "/")
        assert "認証アプリを追加しました。" in page_text(driver)
        assert app_names(driver) == ["Work phone", "予備のスマートフォン"], app_names(driver)
        artifacts.page(driver, "ja-phone-dashboard")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the dashboard is {width}px wide on a 390px screen"

        # Removing both: the first goes, the last one resets two-factor and signs out.
        submit(driver, driver.find_element(By.CSS_SELECTOR, "#authenticator-apps button.remove-authenticator"))
        wait_for_path(driver, "/")
        assert "認証手段を削除しました。" in page_text(driver)
        submit(driver, driver.find_element(By.CSS_SELECTOR, "#authenticator-apps button.remove-authenticator"))
        WebDriverWait(driver, 15).until(lambda d: "二段階認証がリセットされました" in page_text(d))
        artifacts.page(driver, "ja-phone-reset")
        driver.get(f"http://127.0.0.1:{server.port}/")
        wait_for_path(driver, "/login")
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/enroll")
        artifacts.page(driver, "ja-phone-enroll-again")
        problems = [p for p in browser_problems(driver) if "Content Security Policy" in p]
        assert not problems, problems
    finally:
        driver.quit()
