"""End-to-end administration in a real headless Chromium (issue 5; SPEC §1 S1, S2, S10; §3 admin rows).

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_admin.py

A fresh server with no users prints a setup link; the first administrator is created through it,
enrolls their authenticator, sets mail, creates a user with two-factor on, and that user signs in.
Screenshots (20-setup.png, 21-...) go to test-artifacts/e2e/; the server log to test-artifacts/e2e/server-admin.log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from sekisho_harness import (
    NumberedArtifacts,
    SekishoServer,
    browser_problems,
    decode_qr,
    fill_and_submit,
    find_binary,
    http_status,
    make_driver,
    page_text,
    path_of,
    require_tool,
    submit,
    totp,
    wait_for_path,
    wait_for_setup_link,
)

ROOT = "root"
ROOT_PASSWORD = "tall maple ledger swims at dawn"
CAROL = "carol"
CAROL_PASSWORD = "correct horse battery staple"
ADMIN_LINKS = {
    "/admin/users": "Users", "/admin/mail": "Mail", "/admin/clients": "OpenID clients", "/admin/audit": "Audit log",
    "/admin/system": "System",
}


class AdminBrowser:
    """One Chromium session, the screenshots it writes and the console problems it saw."""

    def __init__(self, driver: WebDriver, artifacts: NumberedArtifacts, server: SekishoServer) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.server = server
        self.problems: list[str] = []
        # Visible defects that do not stop the walk through the pages; asserted at the end, all at once.
        self.defects: list[str] = []

    def open(self, path: str) -> None:
        self.driver.get(self.server.url(path))

    def shot(self, name: str) -> None:
        self.artifacts.page(self.driver, name)
        self.problems += [f"{name}: {message}" for message in browser_problems(self.driver)]

    def text_of(self, css: str) -> str:
        """The text of the visible elements matching `css`; fails with the page text when there are none."""
        found = [e.text.strip() for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.text.strip()]
        assert found, f"no visible {css!r} on {self.driver.current_url}; page text:\n{page_text(self.driver)[:1500]}"
        return " ".join(found)

    def field(self, name: str, tag: str = "input", kind: str | None = None) -> WebElement:
        """The form control `name`, checked to be a `tag` (and of input type `kind`)."""
        elements = self.driver.find_elements(By.NAME, name)
        assert elements, f"no field name={name!r} on {self.driver.current_url}"
        element = elements[0]
        assert element.tag_name == tag, f"field {name!r} is a <{element.tag_name}>, expected <{tag}>"
        if kind is not None:
            assert element.get_attribute("type") == kind, f"field {name!r} has type {element.get_attribute('type')!r}, expected {kind!r}"
        return element

    def sign_in(self, username: str, password: str) -> None:
        wait_for_path(self.driver, "/login")
        fill_and_submit(self.driver, {"username": username, "password": password})

    def enroll(self, qr_name: str) -> str:
        """On /login/enroll: reads the key, checks the QR holds it, sends oathtool's code, passes the recovery codes."""
        driver = self.driver
        wait_for_path(driver, "/login/enroll")
        key = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
        assert re.fullmatch(r"[A-Z2-7]{24}", key), f"#manual-key is not a 24-character base32 key: {key!r}"
        uri = decode_qr(self.artifacts.element(driver.find_element(By.ID, "qr"), qr_name))
        assert parse_qs(urlparse(uri).query).get("secret") == [key], f"the QR code {uri!r} does not hold #manual-key {key!r}"
        fill_and_submit(driver, {"code": totp(key)})
        codes = [item.text.strip() for item in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
        assert len(codes) == 10, f"expected 10 recovery codes after enrolling, got {codes} on {driver.current_url}"
        submit(driver, driver.find_element(By.ID, "continue"))
        wait_for_path(driver, "/")
        return key

    def admin_links(self) -> dict[str, str]:
        """The top bar's links to admin pages: path -> text."""
        links = self.driver.find_elements(By.CSS_SELECTOR, "header.topbar nav a")
        return {urlparse(a.get_attribute("href")).path: a.text.strip() for a in links
                if urlparse(a.get_attribute("href")).path.startswith("/admin")}

    def fresh_session(self) -> None:
        """Forgets every cookie, as a different person at another browser would be."""
        self.open("/login")
        self.driver.delete_all_cookies()
        self.open("/login")
        wait_for_path(self.driver, "/login")

    def check_no_pager(self, page: str) -> None:
        """A list that fits on one page must not offer previous/next links (they would lead nowhere)."""
        arrows = [f"{a.text.strip()} href={a.get_attribute('href')!r}" for a in self.driver.find_elements(By.CSS_SELECTOR, "main a")
                  if a.text.strip() in ("←", "→")]
        if arrows:
            self.defects.append(f"{page}: one page of results, yet paging links are shown: {arrows}")

    def assert_no_defects(self) -> None:
        assert not self.defects, "visible defects:\n" + "\n".join(self.defects)

    def assert_clean_console(self) -> None:
        violations = [p for p in self.problems if "Content Security Policy" in p]
        assert not violations, "CSP violations in the browser console:\n" + "\n".join(violations)


@pytest.fixture(scope="module")
def server() -> Iterator[SekishoServer]:
    # Missing tools are a failure, not a skip.
    for tool in ("oathtool", "zbarimg"):
        require_tool(tool)
    artifacts = NumberedArtifacts(20)
    instance = SekishoServer(find_binary(), artifacts)
    # test_signin.py writes server.log; this module's server is a different one.
    instance.log_path = artifacts.directory / "server-admin.log"
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture()
def browser(server: SekishoServer) -> Iterator[AdminBrowser]:
    driver = make_driver()
    try:
        yield AdminBrowser(driver, server.artifacts, server)
    finally:
        driver.quit()


def test_first_admin_sets_mail_creates_user_who_signs_in(browser: AdminBrowser, server: SekishoServer) -> None:
    driver = browser.driver

    # Step 1: the link printed on standard output opens the setup form of the contract.
    link = wait_for_setup_link(server)
    setup_path = urlparse(link).path
    driver.get(link)
    wait_for_path(driver, setup_path)
    browser.shot("setup")
    for name, kind in (("username", "text"), ("display_name", "text"), ("email", "email"),
                       ("password", "password"), ("password_confirm", "password")):
        browser.field(name, kind=kind)
    two_factor = browser.field("two_factor", kind="checkbox")
    assert two_factor.get_attribute("id") == "two-factor", "the two_factor checkbox needs id=two-factor"
    assert driver.find_elements(By.ID, "create-admin"), "no #create-admin button on the setup page"
    if not two_factor.is_selected():
        two_factor.click()
    for name, value in (("username", ROOT), ("display_name", "Root Admin"), ("email", "root@example.com"),
                        ("password", ROOT_PASSWORD), ("password_confirm", ROOT_PASSWORD)):
        browser.field(name).send_keys(value)
    submit(driver, driver.find_element(By.ID, "create-admin"))
    wait_for_path(driver, "/login")
    assert "administrator was created" in browser.text_of(".success"), "no success message after creating the administrator"
    browser.shot("login-after-setup")

    # Step 2: the link works once; afterwards it is a 404 page.
    assert http_status(driver, link) == 404, "a used setup link must answer 404"
    driver.get(link)
    assert "Link not valid" in driver.title and "Link not valid" in page_text(driver), (
        f"the used setup link shows {driver.title!r}: {page_text(driver)[:500]}"
    )
    assert not driver.find_elements(By.ID, "create-admin"), "the used setup link still shows the form"
    browser.shot("setup-link-used")

    # Step 3: root signs in, enrolls an authenticator, and sees the admin links.
    browser.open("/login")
    browser.sign_in(ROOT, ROOT_PASSWORD)
    wait_for_path(driver, "/login/enroll")
    browser.shot("root-enroll")
    root_key = browser.enroll("root-enroll-qr")
    assert driver.find_element(By.ID, "username").text.strip() == ROOT
    assert browser.admin_links() == ADMIN_LINKS, f"admin links in the top bar: {browser.admin_links()}"
    browser.shot("root-dashboard")

    # Step 4: mail settings, then a test mail that fails because nothing listens on port 2525.
    browser.open("/admin/mail")
    wait_for_path(driver, "/admin/mail")
    for name in ("host", "port", "username", "ca_file"):
        browser.field(name)
    browser.field("password", kind="password")
    browser.field("allow_plaintext_auth", kind="checkbox")
    security = Select(browser.field("security", tag="select"))
    assert {o.get_attribute("value") for o in security.options} == {"starttls", "tls", "none"}, "security choices"
    browser.shot("mail")
    for name, value in (("host", "127.0.0.1"), ("port", "2525")):
        browser.field(name).clear()
        browser.field(name).send_keys(value)
    security.select_by_value("none")
    submit(driver, driver.find_element(By.ID, "save-mail"))
    wait_for_path(driver, "/admin/mail")
    assert browser.text_of(".success") == "Saved.", "no success message after saving the mail settings"
    assert browser.field("host").get_attribute("value") == "127.0.0.1"
    assert browser.field("port").get_attribute("value") == "2525"
    assert Select(browser.field("security", tag="select")).first_selected_option.get_attribute("value") == "none"
    browser.shot("mail-saved")
    recipient = browser.field("recipient", kind="email")
    assert recipient.get_attribute("value") == "root@example.com", "the test mail goes to the admin's own address by default"
    submit(driver, driver.find_element(By.ID, "send-test-mail"))
    # The result is the answer to the POST, so the address may stay /admin/mail/test.
    assert path_of(driver) in ("/admin/mail", "/admin/mail/test"), f"the test mail led to {driver.current_url}"
    failure = browser.text_of(".error")
    assert failure.startswith("The test mail failed:") and len(failure) > len("The test mail failed:") + 5, (
        f"the test mail error should say why it failed: {failure!r}"
    )
    browser.shot("mail-test-failed")

    # Step 5: create carol with two-factor on.
    browser.open("/admin/users/new")
    wait_for_path(driver, "/admin/users/new")
    for name, kind in (("username", "text"), ("display_name", "text"), ("email", "email"), ("password", "password")):
        browser.field(name, kind=kind)
    role = Select(browser.field("role", tag="select"))
    assert {o.get_attribute("value") for o in role.options} == {"user", "admin"}, "role choices"
    assert role.first_selected_option.get_attribute("value") == "user", "a new user is a user by default"
    carol_two_factor = browser.field("two_factor", kind="checkbox")
    assert not driver.find_elements(By.CSS_SELECTOR, ".notice"), "mail is configured: no 'configure mail first' notice expected"
    browser.shot("user-new")
    for name, value in (("username", CAROL), ("display_name", "Carol Example"), ("email", "carol@example.com"),
                        ("password", CAROL_PASSWORD)):
        browser.field(name).send_keys(value)
    if not carol_two_factor.is_selected():
        carol_two_factor.click()
    submit(driver, driver.find_element(By.ID, "create-user"))
    match = re.fullmatch(r"/admin/users/(\d+)", path_of(driver))
    assert match and parse_qs(urlparse(driver.current_url).query).get("created") == ["1"], (
        f"creating carol led to {driver.current_url}; page text:\n{page_text(driver)[:1500]}"
    )
    carol_id = match.group(1)
    assert driver.find_element(By.TAG_NAME, "h1").text.strip() == CAROL
    assert browser.text_of(".success") == "The user was created."
    assert driver.find_element(By.ID, "two-factor").is_selected(), "carol's two-factor is not on"
    assert driver.find_elements(By.ID, "save-user"), "no #save-user on the edit page"
    assert driver.find_elements(By.ID, "delete-user"), "no #delete-user on the edit page"
    assert not driver.find_elements(By.ID, "reset-binding"), "#reset-binding shown although carol has no authenticator yet"
    browser.shot("user-created")

    browser.open("/admin/users")
    wait_for_path(driver, "/admin/users")
    rows = {row.find_element(By.CSS_SELECTOR, "td a").text.strip(): row.text
            for row in driver.find_elements(By.CSS_SELECTOR, "table#users tbody tr")}
    assert set(rows) == {ROOT, CAROL}, f"table#users lists {sorted(rows)}"
    assert "carol@example.com" in rows[CAROL] and "Carol Example" in rows[CAROL], f"carol's row: {rows[CAROL]!r}"
    link_to_carol = driver.find_element(By.LINK_TEXT, CAROL).get_attribute("href")
    assert urlparse(link_to_carol).path == f"/admin/users/{carol_id}", f"carol links to {link_to_carol}"
    browser.check_no_pager("/admin/users")
    browser.shot("users")
    browser.open("/admin/users?q=car")
    found = [a.text.strip() for a in driver.find_elements(By.CSS_SELECTOR, "table#users tbody tr td a")]
    assert found == [CAROL], f"search 'car' found {found}"
    assert browser.field("q", kind="search").get_attribute("value") == "car", "the search box forgets the query"
    browser.check_no_pager("/admin/users?q=car")
    browser.shot("users-search")

    # Step 6: the audit log and the system page.
    browser.open("/admin/audit")
    wait_for_path(driver, "/admin/audit")
    # The page shows events in words; the stored kind stays in the cell's data-kind.
    kinds = {
        row.find_elements(By.TAG_NAME, "td")[1].get_attribute("data-kind")
        for row in driver.find_elements(By.CSS_SELECTOR, "table#audit tbody tr")
    }
    missing = {"setup_completed", "enrollment", "user_created", "mail_settings_changed"} - kinds
    assert not missing, f"audit log lacks {sorted(missing)}; it has {sorted(kinds)}"
    audit_text = page_text(driver)
    for secret in (ROOT_PASSWORD, CAROL_PASSWORD, root_key):
        assert secret not in audit_text, "a password or authenticator key appears in the audit log"
    browser.check_no_pager("/admin/audit")
    browser.shot("audit")
    browser.open("/admin/system")
    wait_for_path(driver, "/admin/system")
    assert browser.text_of("#version"), "#version is empty"
    assert re.fullmatch(r"\d+", browser.text_of("#mail-waiting")), f"#mail-waiting is {browser.text_of('#mail-waiting')!r}"
    browser.shot("system")

    # Step 6b: an OpenID client added on its page; the secret is shown on that answer only.
    browser.open("/admin/clients")
    wait_for_path(driver, "/admin/clients")
    assert driver.find_elements(By.ID, "no-clients"), "the clients page of a new server lists clients"
    browser.field("client_id").send_keys("grafana")
    browser.field("name").send_keys("Grafana")
    browser.field("redirect_uris", tag="textarea").send_keys("https://grafana.example.com/login/generic_oauth")
    browser.field("post_logout_redirect_uris", tag="textarea").send_keys("https://grafana.example.com/login")
    Select(browser.field("access", tag="select")).select_by_value("admins")
    submit(driver, driver.find_element(By.ID, "add-client-button"))
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "client-secret"))
    secret = driver.find_element(By.ID, "client-secret").text.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret), f"the new client's secret is {secret!r}"
    assert "grafana" in browser.text_of("#client-grafana"), "the new client is not in the list"
    browser.shot("clients-added")
    browser.open("/admin/clients")
    assert secret not in driver.page_source, "the secret is shown again on the clients page"

    # Step 7: log out; carol signs in in a fresh session, enrolls, and is not an administrator.
    browser.open("/")
    wait_for_path(driver, "/")
    submit(driver, driver.find_element(By.ID, "logout"))
    wait_for_path(driver, "/login")
    browser.fresh_session()
    browser.sign_in(CAROL, CAROL_PASSWORD)
    wait_for_path(driver, "/login/enroll")
    browser.enroll("carol-enroll-qr")
    assert driver.find_element(By.ID, "username").text.strip() == CAROL
    assert browser.admin_links() == {}, f"carol sees admin links: {browser.admin_links()}"
    browser.shot("carol-dashboard")
    assert http_status(driver, server.url("/admin/users")) == 403, "a user (not admin) must get 403 on /admin/users"
    browser.open("/admin/users")
    assert "Not allowed" in driver.title and "Not allowed" in page_text(driver), (
        f"carol on /admin/users sees {driver.title!r}: {page_text(driver)[:500]}"
    )
    assert not driver.find_elements(By.CSS_SELECTOR, "table#users"), "carol sees the user table"
    if "form has expired" in page_text(driver):
        browser.defects.append(
            "403 for a non-admin on /admin/users explains it as an expired/foreign form (the CSRF text of error.403): "
            + page_text(driver).splitlines()[-3]
        )
    browser.shot("carol-admin-forbidden")

    # Step 8: root again, with the next step's code (always newer than the enrollment's), in Japanese.
    browser.fresh_session()
    browser.sign_in(ROOT, ROOT_PASSWORD)
    wait_for_path(driver, "/login/verify")
    fill_and_submit(driver, {"code": totp(root_key, int(time.time()) + 30)})
    wait_for_path(driver, "/")
    browser.open("/admin/users?lang=ja")
    wait_for_path(driver, "/admin/users")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja", "<html lang> is not ja"
    heading = driver.find_element(By.TAG_NAME, "h1").text.strip()
    assert heading and not heading.isascii(), f"the Japanese heading is {heading!r}"
    japanese_links = browser.admin_links()
    assert set(japanese_links) == set(ADMIN_LINKS) and all(not t.isascii() for t in japanese_links.values()), (
        f"admin links in Japanese: {japanese_links}"
    )
    headers = [th.text.strip() for th in driver.find_elements(By.CSS_SELECTOR, "table#users thead th")]
    assert headers and all(h and not h.isascii() for h in headers), f"untranslated column headers: {headers}"
    assert len(driver.find_elements(By.CSS_SELECTOR, "table#users tbody tr")) == 2
    browser.shot("users-ja")
    browser.open("/admin/clients?lang=ja")
    wait_for_path(driver, "/admin/clients")
    heading = driver.find_element(By.TAG_NAME, "h1").text.strip()
    assert heading == "OpenID Connect クライアント", f"the Japanese clients heading is {heading!r}"
    browser.shot("clients-ja")
    browser.assert_clean_console()
    browser.assert_no_defects()
