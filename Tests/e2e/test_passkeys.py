"""Passkeys in a real headless Chromium with its virtual authenticator (issue #15).

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_passkeys.py

A user signs in with password and an authenticator-app code (enrolling first), adds a passkey
on the dashboard after confirming the password, signs out, signs in with the password and the
passkey instead of a code, and removes it. Another signs in with a passkey alone (passwordless,
from the login page), which needs the authenticator to verify the user. Chromium's virtual authenticator (CTAP2, internal,
resident keys, user verification) stands in for the phone or security key. What the browser
sent for the sign-in is kept and checked again with Yubico's python-fido2. Screenshots go to
test-artifacts/e2e/passkeys/ (English and Japanese, desktop and phone).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

from sekisho_harness import (
    ARTIFACTS_DIR,
    NumberedArtifacts,
    ServeProcess,
    browser_problems,
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
SHOTS = ARTIFACTS_DIR / "passkeys"
# What the first test learns and the second needs: hana's authenticator key.
STATE: dict[str, str] = {}
# Keeps each form's credential in sessionStorage before it is posted (the page then navigates).
KEEP_SENT = (
    "const f = document.getElementById(arguments[0] || 'passkey-form'); const post = f.submit.bind(f);"
    "f.submit = () => { sessionStorage.setItem(f.dataset.webauthn, f.elements.credential.value); post(); };"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServeProcess]:
    binary = find_binary()
    data_dir = Path(tempfile.mkdtemp(prefix="sekisho-passkeys-"))
    process = ServeProcess(binary, data_dir, SHOTS / "server.log")
    # An IP address is never a valid RP ID: the pages are opened as localhost, the public URL.
    process.settings["server.public_url"] = f"http://localhost:{process.port}"
    process.start()
    run_cli(binary, ["user", "add", "hana", "--email", "hana@example.com", "--name", "Hana", "--two-factor", "--data-dir", str(data_dir)],
            stdin=PASSWORD + "\n")
    run_cli(binary, ["user", "add", "kenji", "--email", "kenji@example.com", "--name", "Kenji", "--data-dir", str(data_dir)],
            stdin=PASSWORD + "\n")
    try:
        yield process
    finally:
        process.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def add_authenticator(driver, resident: bool) -> None:
    """A platform authenticator. `resident`: it keeps discoverable passkeys, which the login page's
    autofill request (conditional mediation) finds; Chromium's virtual authenticator answers that
    request at once, as if the user had picked the passkey. A security key that keeps none lets the
    password sign-in go on."""
    options = VirtualAuthenticatorOptions()
    options.protocol = Protocol.CTAP2
    options.transport = Transport.INTERNAL
    options.has_resident_key = resident
    options.has_user_verification = True
    options.is_user_verified = True
    options.is_user_consenting = True
    driver.add_virtual_authenticator(options)


def sign_in_with_password(driver, server: ServeProcess, user: str = "hana") -> None:
    driver.get(f"http://localhost:{server.port}/login")
    wait_for_path(driver, "/login")
    fill_and_submit(driver, {"username": user, "password": PASSWORD})


def test_a_passkey_is_added_used_instead_of_a_code_and_removed(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(1, SHOTS)
    driver = make_driver()
    try:
        add_authenticator(driver, resident=False)
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/enroll")
        key = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
        STATE["key"] = key
        fill_and_submit(driver, {"code": totp(key)})
        submit(driver, driver.find_element(By.ID, "continue"))
        wait_for_path(driver, "/")

        # Adding needs the password again; the next page asks the browser.
        fill_and_submit(driver, {"name": "Laptop", "password": PASSWORD})
        wait_for_path(driver, "/account/passkeys/new")
        artifacts.page(driver, "passkey-new")
        button = driver.find_element(By.ID, "create-passkey")
        assert button.is_displayed(), "the script did not show the button"
        driver.execute_script(KEEP_SENT)
        button.click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "passkeys"))
        assert "The passkey was added." in page_text(driver)
        assert "Laptop" in driver.find_element(By.ID, "passkeys").text
        # The account is told, by mail (the file transport writes .eml files in the data folder).
        mail_dir = server.data_dir / "mail"
        WebDriverWait(driver, 15).until(lambda _: any("(Laptop)" in mail_text(path) for path in mail_dir.glob("*.eml")))
        artifacts.page(driver, "dashboard-passkey")
        driver.get(f"http://localhost:{server.port}/?lang=ja")
        wait_for_path(driver, "/")
        artifacts.page(driver, "dashboard-passkey-ja")
        driver.get(f"http://localhost:{server.port}/?lang=en")

        # Signing in again: password, then the passkey instead of a code.
        submit(driver, driver.find_element(By.ID, "logout"))
        wait_for_path(driver, "/login")
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/verify")
        use = driver.find_element(By.ID, "use-passkey")
        assert use.is_displayed(), "no passkey button on the code page"
        artifacts.page(driver, "verify-with-passkey")
        driver.execute_script(KEEP_SENT)
        use.click()
        wait_for_path(driver, "/")
        assert driver.find_element(By.ID, "username").text.strip() == "hana"
        created = json.loads(driver.execute_script("return sessionStorage.getItem('create')"))
        asserted = json.loads(driver.execute_script("return sessionStorage.getItem('get')"))
        check_with_fido2(server, created, asserted)

        # Removed: the code page offers no passkey any more.
        submit(driver, driver.find_element(By.CSS_SELECTOR, "#passkeys button"))
        WebDriverWait(driver, 20).until(lambda d: "The passkey was removed." in page_text(d))
        assert not driver.find_elements(By.ID, "passkeys")
        problems = [p for p in browser_problems(driver) if "Content Security Policy" in p]
        assert not problems, problems
    finally:
        driver.quit()


def test_the_code_page_with_a_passkey_on_a_phone_in_japanese(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(10, SHOTS)
    driver = make_driver(phone=True)
    try:
        add_authenticator(driver, resident=False)
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/verify")
        # hana enrolled in the first test; her code for the next step signs her in (a new one).
        fill_and_submit(driver, {"code": totp(STATE["key"], int(time.time()) + 30)})
        wait_for_path(driver, "/")
        driver.get(f"http://localhost:{server.port}/?lang=ja")
        fill_and_submit(driver, {"name": "スマートフォン", "password": PASSWORD})
        wait_for_path(driver, "/account/passkeys/new")
        artifacts.page(driver, "ja-phone-passkey-new")
        driver.find_element(By.ID, "create-passkey").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "passkeys"))
        artifacts.page(driver, "ja-phone-dashboard-passkey")
        submit(driver, driver.find_element(By.ID, "logout"))
        wait_for_path(driver, "/login")
        sign_in_with_password(driver, server)
        wait_for_path(driver, "/login/verify")
        artifacts.page(driver, "ja-phone-verify-with-passkey")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the code page is {width}px wide on a 390px screen"
    finally:
        driver.quit()


def test_passwordless_sign_in_with_a_discoverable_passkey(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(20, SHOTS)
    driver = make_driver()
    try:
        add_authenticator(driver, resident=True)
        # kenji has no second factor; he adds a passkey, which the authenticator keeps.
        sign_in_with_password(driver, server, "kenji")
        wait_for_path(driver, "/")
        fill_and_submit(driver, {"name": "Laptop", "password": PASSWORD})
        wait_for_path(driver, "/account/passkeys/new")
        driver.execute_script(KEEP_SENT)
        driver.find_element(By.ID, "create-passkey").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "passkeys"))
        created = json.loads(driver.execute_script("return sessionStorage.getItem('create')"))

        # First as in a browser without autofill for passkeys: the button asks outright.
        no_autofill = driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"},
        )
        submit(driver, driver.find_element(By.ID, "logout"))
        wait_for_path(driver, "/login")
        button = driver.find_element(By.ID, "passwordless")
        assert button.is_displayed(), "the script did not show the passwordless button"
        assert "webauthn" in driver.find_element(By.NAME, "username").get_attribute("autocomplete")
        artifacts.page(driver, "login-passwordless")
        driver.execute_script(KEEP_SENT, "passwordless-form")
        button.click()
        wait_for_path(driver, "/")
        assert driver.find_element(By.ID, "username").text.strip() == "kenji"
        asserted = json.loads(driver.execute_script("return sessionStorage.getItem('get')"))
        # A discoverable passkey names its user; the server checked that it names kenji.
        assert asserted.get("userHandle"), "the authenticator returned no user handle"
        check_with_fido2(server, created, asserted, user_verification="required")

        # An authenticator that does not verify the user gives one factor only: no sign-in.
        submit(driver, driver.find_element(By.ID, "logout"))
        wait_for_path(driver, "/login")
        driver.set_user_verified(False)
        driver.find_element(By.ID, "passwordless").click()
        WebDriverWait(driver, 20).until(
            lambda d: "not accepted" in page_text(d) or d.find_element(By.CSS_SELECTOR, "#passwordless-form [data-webauthn-error]").is_displayed()
        )
        assert driver.execute_script("return location.pathname") == "/login"
        artifacts.page(driver, "login-passwordless-refused")

        # With autofill (conditional mediation) the login page offers the passkey as it opens;
        # the virtual authenticator picks it at once, and kenji is signed in without a click.
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": no_autofill["identifier"]})
        driver.set_user_verified(True)
        driver.get(f"http://localhost:{server.port}/login")
        wait_for_path(driver, "/")
        assert driver.find_element(By.ID, "username").text.strip() == "kenji"
        problems = [p for p in browser_problems(driver) if "Content Security Policy" in p]
        assert not problems, problems
    finally:
        driver.quit()


def test_the_login_page_offers_passkeys_on_a_phone_in_japanese(server: ServeProcess) -> None:
    artifacts = NumberedArtifacts(25, SHOTS)
    driver = make_driver(phone=True)
    try:
        driver.get(f"http://localhost:{server.port}/login?lang=ja")
        wait_for_path(driver, "/login")
        assert "パスキーでログイン" in driver.find_element(By.ID, "passwordless").get_attribute("textContent")
        artifacts.page(driver, "ja-phone-login-passwordless")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the login page is {width}px wide on a 390px screen"
    finally:
        driver.quit()


def mail_text(path: Path) -> str:
    """The decoded subject and plain-text body of a mail the file transport wrote."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message["Subject"]) + "\n" + message.get_body(preferencelist=("plain",)).get_content()


def check_with_fido2(server: ServeProcess, created: dict, asserted: dict, user_verification: str = "preferred") -> None:
    """Yubico's python-fido2 verifies the registration and the sign-in that Sekisho accepted."""
    from fido2.client import ClientData
    from fido2.ctap2 import AttestationObject, AuthenticatorData
    from fido2.server import Fido2Server
    from fido2.utils import websafe_decode
    from fido2.webauthn import PublicKeyCredentialRpEntity

    origin = f"http://localhost:{server.port}"
    # Debian's fido2 0.9.1 accepts only https origins unless told which origin is ours.
    fido = Fido2Server(PublicKeyCredentialRpEntity("localhost", "Sekisho"), verify_origin=lambda o: o == origin)
    data = ClientData(websafe_decode(created["clientDataJSON"]))
    attestation = AttestationObject(websafe_decode(created["attestationObject"]))
    registered = fido.register_complete({"challenge": data.get("challenge"), "user_verification": "preferred"}, data, attestation)
    credential = registered.credential_data
    data = ClientData(websafe_decode(asserted["clientDataJSON"]))
    fido.authenticate_complete(
        {"challenge": data.get("challenge"), "user_verification": user_verification}, [credential], credential.credential_id, data,
        AuthenticatorData(websafe_decode(asserted["authenticatorData"])), websafe_decode(asserted["signature"]),
    )
    assert websafe_decode(asserted["id"]) == credential.credential_id
