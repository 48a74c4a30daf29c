"""Japanese pages on a phone-sized screen: the rendered text is the locale file's, drawn in real glyphs (issue 18, item 18).

Every `{{t.*}}` that a page's template (and the layout) shows unconditionally must appear, as written in
Public/locales/ja.json, in the text Chromium rendered; Japanese characters must be drawn with a font that has them
(without one, every character is the same empty box); nothing may stick out of a 390 px screen.

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_japanese.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sekisho_harness import (
    ARTIFACTS_DIR,
    NumberedArtifacts,
    REPO_ROOT,
    SekishoServer,
    fill_and_submit,
    find_binary,
    make_driver,
    run_cli,
    totp,
    wait_for_path,
)

JA = json.loads((REPO_ROOT / "Public" / "locales" / "ja.json").read_text(encoding="utf-8"))
# Templates read the strings as t.<key with dots as underscores>.
BY_TEMPLATE_NAME = {key.replace(".", "_"): value for key, value in JA.items()}
TEMPLATES = REPO_ROOT / "Public" / "templates"
PASSWORD = "長いパスフレーズ correct horse"


def unconditional_keys(template: str) -> list[str]:
    """The `t.*` names a template always shows: outside `{{#...}}` and `{{^...}}` sections."""
    stack: list[bool] = []  # True for a conditional section
    names: list[str] = []
    for match in re.finditer(r"\{\{\{?\s*([#^/$<>]?)\s*([^}]*?)\s*\}?\}\}", template):
        sigil, name = match.group(1), match.group(2)
        if sigil in ("#", "^"):
            stack.append(True)
        elif sigil in ("$", "<"):
            stack.append(False)
        elif sigil == "/":
            if stack:
                stack.pop()
        elif sigil == "" and name.startswith("t.") and not any(stack):
            names.append(name[2:])
    return names


def expected_strings(template: str) -> list[str]:
    names = unconditional_keys((TEMPLATES / "layout.mustache").read_text()) + unconditional_keys(
        (TEMPLATES / f"{template}.mustache").read_text()
    )
    missing = [name for name in names if name not in BY_TEMPLATE_NAME]
    assert not missing, f"{template}: no Japanese string for {missing}"
    return [BY_TEMPLATE_NAME[name] for name in names]


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


GLYPHS_DIFFER = """
const font = getComputedStyle(document.querySelector('h1') || document.body).fontFamily;
function pixels(text) {
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const context = canvas.getContext('2d');
  context.font = '40px ' + font;
  context.fillText(text, 2, 40);
  return Array.from(context.getImageData(0, 0, 48, 48).data).join(',');
}
return [pixels(arguments[0]) !== pixels(arguments[1]), pixels(arguments[0]) !== pixels(' ')];
"""

OVERFLOWING = """
const width = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll('h1, h2, p, label, button, a, dt, dd, th, td, li, span'))
  .filter(e => e.offsetParent !== null && e.closest('table') === null && e.closest('svg') === null)
  .filter(e => { const r = e.getBoundingClientRect(); return r.right > width + 1 || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'; })
  .map(e => e.tagName.toLowerCase() + ': ' + e.textContent.trim().slice(0, 40));
"""


CUT_PLACEHOLDERS = """
const canvas = document.createElement('canvas').getContext('2d');
return Array.from(document.querySelectorAll('input[placeholder]')).filter(e => e.offsetParent !== null).filter(e => {
  const style = getComputedStyle(e);
  canvas.font = style.fontSize + ' ' + style.fontFamily;
  const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return canvas.measureText(e.placeholder).width > room + 1;
}).map(e => e.name + ': ' + e.placeholder);
"""


@pytest.fixture(scope="module")
def server() -> Iterator[SekishoServer]:
    artifacts = NumberedArtifacts(60, ARTIFACTS_DIR)
    instance = SekishoServer(find_binary(), artifacts)
    try:
        instance.start()
        instance.add_user("yamada", PASSWORD, email="yamada@example.com", name="山田 太郎", two_factor=True, admin=True)
        # A client with long redirect URIs, so that the clients page is checked with a full table.
        run_cli(instance.binary, [
            "oidc", "client", "add", "nextcloud", "--name", "社内 Nextcloud", "--access", "admins",
            "--redirect-uri", "https://cloud.example.co.jp/index.php/apps/user_oidc/code",
            "--post-logout-redirect-uri", "https://cloud.example.co.jp/index.php/login",
            "--data-dir", str(instance.data_dir),
        ])
        yield instance
    finally:
        instance.stop()


def check_page(driver, server: SekishoServer, template: str, name: str) -> None:
    server.artifacts.page(driver, name)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja", f"{name}: not in Japanese"
    # What a person sees: the text, and the words shown in fields and read out for them.
    attributes = driver.execute_script(
        "return Array.from(document.querySelectorAll('[placeholder], [aria-label], [title]'))"
        ".flatMap(e => [e.getAttribute('placeholder'), e.getAttribute('aria-label'), e.getAttribute('title')]).filter(Boolean);"
    )
    rendered = normalised(driver.find_element(By.TAG_NAME, "body").text + " " + " ".join(attributes))
    missing = [text for text in expected_strings(template) if normalised(text) not in rendered]
    assert not missing, f"{name}: strings of ja.json not rendered as written: {missing}\nrendered: {rendered}"
    differ, drawn = driver.execute_script(GLYPHS_DIFFER, "関", "所")
    assert differ and drawn, f"{name}: Japanese characters are drawn as identical boxes (no CJK font: install fonts-noto-cjk)"
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width}px wide on a 390px screen"
    overflowing = driver.execute_script(OVERFLOWING)
    assert not overflowing, f"{name}: text sticks out of its box: {overflowing}"
    cut = driver.execute_script(CUT_PLACEHOLDERS)
    assert not cut, f"{name}: placeholders cut off: {cut}"


def test_japanese_pages_show_the_locale_strings_in_real_glyphs_on_a_phone(server: SekishoServer) -> None:
    driver = make_driver(phone=True)
    try:
        driver.get(server.url("/login?lang=ja"))
        wait_for_path(driver, "/login")
        check_page(driver, server, "login", "ja-phone-login")

        fill_and_submit(driver, {"username": "yamada", "password": PASSWORD})
        wait_for_path(driver, "/login/enroll")
        check_page(driver, server, "enroll", "ja-phone-enroll")
        key = re.sub(r"\s+", "", driver.find_element(By.ID, "manual-key").get_property("textContent"))
        fill_and_submit(driver, {"code": totp(key)})
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "recovery-codes"))
        check_page(driver, server, "recovery-codes", "ja-phone-recovery-codes")

        driver.get(server.url("/"))
        wait_for_path(driver, "/")
        check_page(driver, server, "dashboard", "ja-phone-dashboard")
        for path, template in [
            ("/admin/users", "admin-users"), ("/admin/system", "admin-system"), ("/admin/audit", "admin-audit"),
            ("/admin/clients", "admin-clients"),
        ]:
            driver.get(server.url(path))
            wait_for_path(driver, path)
            check_page(driver, server, template, "ja-phone-" + template)
        # The English clients page on the same phone: the longest labels of the admin pages.
        driver.get(server.url("/admin/clients?lang=en"))
        wait_for_path(driver, "/admin/clients")
        server.artifacts.page(driver, "en-phone-admin-clients")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"en-phone-admin-clients is {width}px wide on a 390px screen"
        assert not driver.execute_script(OVERFLOWING), "en-phone-admin-clients: text sticks out of its box"
    finally:
        driver.quit()
