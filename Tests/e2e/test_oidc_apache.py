"""Apache httpd with mod_auth_openidc as a real relying party of Sekisho, driven by headless Chromium.

    SEKISHO_BIN=$(swift build --show-bin-path)/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_oidc_apache.py

A page behind `AuthType openid-connect` prints the claims Apache received. The person opens it,
signs in at Sekisho with the password, enrolls an authenticator (QR decoded by zbarimg, code from
oathtool), lands on the page, and logging out through Apache's logout URL ends the Sekisho session
too. Everything on loopback under one host name (localhost), as mod_auth_openidc needs. Logs and
screenshots go to test-artifacts/e2e/oidc-apache/.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sekisho_harness import (
    ARTIFACTS_DIR,
    Artifacts,
    ServeProcess,
    decode_qr,
    fill_and_submit,
    find_binary,
    free_port,
    http_request,
    PAGE_TIMEOUT,
    make_driver,
    page_text,
    require_tool,
    run_cli,
    totp,
    wait_for_path,
)

DIRECTORY = ARTIFACTS_DIR / "oidc-apache"
PASSWORD = "amber lanterns over the pass"
MODULES = Path("/usr/lib/apache2/modules")


def apache_config(root: Path, port: int, sekisho: int, secret: str) -> str:
    return f"""
ServerRoot {root}
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
DefaultRuntimeDir {root}
Mutex file:{root}
ErrorLog {root}/error.log
LogLevel warn auth_openidc:info
LoadModule mpm_prefork_module {MODULES}/mod_mpm_prefork.so
LoadModule authn_core_module {MODULES}/mod_authn_core.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule authz_user_module {MODULES}/mod_authz_user.so
LoadModule alias_module {MODULES}/mod_alias.so
LoadModule cgi_module {MODULES}/mod_cgi.so
LoadModule auth_openidc_module {MODULES}/mod_auth_openidc.so
DocumentRoot {root}/htdocs
OIDCProviderMetadataURL http://localhost:{sekisho}/.well-known/openid-configuration
OIDCClientID apache
OIDCClientSecret {secret}
OIDCRedirectURI /protected/redirect_uri
OIDCCryptoPassphrase {secrets.token_hex(24)}
OIDCPKCEMethod S256
OIDCScope "openid profile email groups"
ScriptAlias /protected/claims {root}/claims.cgi
<Location /protected>
    AuthType openid-connect
    Require valid-user
</Location>
"""


@pytest.fixture(scope="module")
def setup() -> Iterator[dict]:
    for tool in ("apache2", "oathtool", "zbarimg"):
        require_tool(tool)
    assert (MODULES / "mod_auth_openidc.so").exists(), "libapache2-mod-auth-openidc is not installed"
    binary = find_binary()
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="sekisho-apache-"))
    sekisho = ServeProcess(binary, data_dir, DIRECTORY / "server.log")
    sekisho.settings["server.public_url"] = f"http://localhost:{sekisho.port}"
    sekisho.start()
    apache_port = free_port()
    root = Path(tempfile.mkdtemp(prefix="sekisho-httpd-"))
    apache = None
    try:
        def cli(*arguments: str, stdin: str = "") -> str:
            return run_cli(binary, [*arguments, "--data-dir", str(data_dir)], stdin=stdin)

        cli("user", "add", "alice", "--email", "alice@example.com", "--name", "Alice Liddell", "--two-factor", stdin=PASSWORD + "\n")
        output = cli(
            "oidc", "client", "add", "apache", "--name", "Apache", "--skip-consent",
            "--redirect-uri", f"http://localhost:{apache_port}/protected/redirect_uri",
            "--post-logout-redirect-uri", f"http://localhost:{apache_port}/index.html",
        )
        secret = re.search(r"hash\): (\S+)", output).group(1)
        # A second client that asks for consent, for the consent page in both languages.
        cli("oidc", "client", "add", "consenting", "--name", "Photo Album", "--redirect-uri", f"http://localhost:{apache_port}/consent-callback")
        # Apache's children run as www-data: everything they read must be readable by it.
        os.chmod(root, 0o755)
        (root / "htdocs").mkdir()
        (root / "htdocs" / "index.html").write_text("<p>signed out</p>\n")
        script = root / "claims.cgi"
        script.write_text("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv | grep '^OIDC_CLAIM_' | sort\n")
        script.chmod(0o755)
        (root / "httpd.conf").write_text(apache_config(root, apache_port, sekisho.port, secret))
        check = subprocess.run(["apache2", "-t", "-f", str(root / "httpd.conf")], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        apache = subprocess.Popen(
            ["apache2", "-X", "-f", str(root / "httpd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if http_request(apache_port, "GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            assert apache.poll() is None, (root / "error.log").read_text(errors="replace")
            time.sleep(0.1)
        yield {"apache": apache_port, "sekisho": sekisho.port, "root": root}
    finally:
        if apache is not None and apache.poll() is None:
            apache.terminate()
            apache.wait(timeout=10)
        if (root / "error.log").exists():
            shutil.copy(root / "error.log", DIRECTORY / "apache-error.log")
        sekisho.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_apache_page_sees_the_claims_and_logout_ends_both_sessions(setup):
    artifacts = Artifacts(DIRECTORY)
    driver = make_driver()
    try:
        page = f"http://localhost:{setup['apache']}/protected/claims"
        driver.get(page)
        wait_for_path(driver, "/login")
        fill_and_submit(driver, {"username": "alice", "password": PASSWORD})
        wait_for_path(driver, "/login/enroll")
        uri = decode_qr(artifacts.element(driver.find_element(By.ID, "qr"), "apache-enroll-qr"))
        key = parse_qs(urlparse(uri).query)["secret"][0]
        fill_and_submit(driver, {"code": totp(key)})
        artifacts.page(driver, "apache-recovery-codes")
        driver.find_element(By.ID, "continue").click()
        wait_for_path(driver, "/protected/claims")
        claims = page_text(driver)
        artifacts.page(driver, "apache-claims")
        assert "OIDC_CLAIM_preferred_username=alice" in claims, claims
        assert "OIDC_CLAIM_name=Alice Liddell" in claims, claims
        assert "OIDC_CLAIM_email=alice@example.com" in claims, claims
        assert "OIDC_CLAIM_amr=pwd,otp,mfa" in claims, claims
        assert "OIDC_CLAIM_iss=http://localhost:" in claims, claims

        # The consent page of a client that asks for it, in English and Japanese; declining
        # sends access_denied back to the client.
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        consent = f"http://localhost:{setup['sekisho']}/oidc/authorize?" + urlencode({
            "client_id": "consenting", "redirect_uri": f"http://localhost:{setup['apache']}/consent-callback", "response_type": "code",
            "scope": "openid profile email", "state": "st", "code_challenge": challenge, "code_challenge_method": "S256",
        })
        driver.get(consent)
        wait_for_path(driver, "/oidc/authorize")
        assert "Allow access?" in page_text(driver) and "Photo Album" in page_text(driver)
        artifacts.page(driver, "consent-en")
        driver.get(consent + "&lang=ja")
        wait_for_path(driver, "/oidc/authorize")
        assert "アクセスを許可しますか" in page_text(driver)
        artifacts.page(driver, "consent-ja")
        driver.find_element(By.ID, "consent-deny").click()
        WebDriverWait(driver, PAGE_TIMEOUT).until(lambda d: "/consent-callback" in d.current_url)
        assert parse_qs(urlparse(driver.current_url).query)["error"] == ["access_denied"]

        # Logout through Apache: mod_auth_openidc calls end_session with the ID token.
        target = f"http://localhost:{setup['apache']}/index.html"
        driver.get(f"http://localhost:{setup['apache']}/protected/redirect_uri?logout={target}")
        wait_for_path(driver, "/index.html")
        assert "signed out" in page_text(driver)
        # Sekisho's session is gone: its dashboard asks for the sign-in again.
        driver.get(f"http://localhost:{setup['sekisho']}/")
        wait_for_path(driver, "/login")
        # And the page asks Sekisho again.
        driver.get(page)
        wait_for_path(driver, "/login")
    finally:
        driver.quit()
