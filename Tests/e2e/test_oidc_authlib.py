"""Sekisho's OpenID provider against a real relying-party library: authlib (Debian python3-authlib).

    SEKISHO_BIN=$(swift build --show-bin-path)/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_oidc_authlib.py

One `sekisho serve` on loopback; the person signs in with password and an oathtool code through
the real pages (WebClient, no JavaScript), and authlib does what an application does: the code
flow with PKCE, the token request, ID token checks against the JWKS, refresh, client credentials,
revocation and introspection. Logs go to test-artifacts/e2e/oidc/.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

from sekisho_harness import ARTIFACTS_DIR, ServeProcess, WebClient, find_binary, manual_key, require_tool, run_cli, totp

LOG_DIR = ARTIFACTS_DIR / "oidc"
PASSWORD = "violet harbour keeps time"
REDIRECT_URI = "http://localhost:9/callback"
SCOPE = "openid profile email groups offline_access"


class Provider:
    """The running server, its discovery document and what the test registered."""

    def __init__(self, process: ServeProcess, data_dir: Path, binary: Path) -> None:
        self.process = process
        self.data_dir = data_dir
        self.binary = binary
        self.issuer = f"http://localhost:{process.port}"
        self.metadata = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10).json()
        self.jwks = requests.get(self.metadata["jwks_uri"], timeout=10).json()

    def cli(self, *arguments: str, stdin: str = "") -> str:
        return run_cli(self.binary, [*arguments, "--data-dir", str(self.data_dir)], stdin=stdin)

    def add_client(self, client_id: str, *options: str) -> str | None:
        output = self.cli("oidc", "client", "add", client_id, "--redirect-uri", REDIRECT_URI, "--skip-consent", *options)
        found = re.search(r"client secret \(shown only now; Sekisho keeps its hash\): (\S+)", output)
        return found.group(1) if found else None

    def session(self, client_id: str, secret: str | None, redirect_uri: str = REDIRECT_URI) -> OAuth2Session:
        return OAuth2Session(
            client_id, secret, scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
        )


@pytest.fixture(scope="module")
def provider():
    require_tool("oathtool")
    binary = find_binary()
    data_dir = Path(tempfile.mkdtemp(prefix="sekisho-oidc-"))
    process = ServeProcess(binary, data_dir, LOG_DIR / "server.log")
    # authlib accepts an http issuer only on localhost; Sekisho is reached at localhost too.
    process.settings["server.public_url"] = f"http://localhost:{process.port}"
    process.start()
    try:
        yield Provider(process, data_dir, binary)
    finally:
        process.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def alice(provider: Provider) -> WebClient:
    """A person signed in with password and second factor (enrolled through the QR page's key)."""
    provider.cli("user", "add", "alice", "--email", "alice@example.com", "--name", "Alice", "--two-factor", stdin=PASSWORD + "\n")
    browser = WebClient(provider.process.port)
    assert browser.sign_in_password("alice", PASSWORD) == "/login/enroll"
    _, _, page = browser.get("/login/enroll")
    status, _, _ = browser.post_form("/login/enroll", {"code": totp(manual_key(page))})
    assert status == 200
    return browser


def authorize(browser: WebClient, url: str) -> tuple[int, str]:
    """Opens the authorization URL in the signed-in browser; returns the status and the Location."""
    parsed = urlparse(url)
    status, headers, _ = browser.get(parsed.path + "?" + parsed.query)
    return status, headers.get("location", "")


def code_flow(provider: Provider, browser: WebClient, client: OAuth2Session) -> tuple[dict, str, str]:
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(provider.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    status, location = authorize(browser, url)
    assert status == 302 and location.startswith(REDIRECT_URI + "?"), (status, location)
    assert parse_qs(urlparse(location).query)["state"] == [state]
    token = client.fetch_token(provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier)
    return token, nonce, location


def check_id_token(provider: Provider, token: dict, nonce: str, client_id: str, algorithm: str) -> dict:
    claims = JsonWebToken([algorithm]).decode(
        token["id_token"], key=JsonWebKey.import_key_set(provider.jwks), claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": provider.issuer}, "aud": {"essential": True, "value": client_id}},
        claims_params={"nonce": nonce, "access_token": token["access_token"]},
    )
    # Signature (by the library, against the published keys), iss, aud, exp, nonce and at_hash.
    claims.validate()
    return claims


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_code_flow_with_pkce_gives_an_id_token_that_verifies_against_the_jwks(provider, alice, algorithm):
    client_id = f"app-{algorithm.lower()}"
    secret = provider.add_client(client_id, "--alg", algorithm)
    client = provider.session(client_id, secret)
    token, nonce, _ = code_flow(provider, alice, client)
    claims = check_id_token(provider, token, nonce, client_id, algorithm)
    assert claims["preferred_username"] == "alice"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["groups"] == ["users"]
    assert claims["sub"] != "alice" and len(claims["sub"]) == 43
    info = client.get(provider.metadata["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["email"] == "alice@example.com"


def test_refresh_rotates_and_reusing_an_old_refresh_token_revokes_the_family(provider, alice):
    secret = provider.add_client("refresher")
    client = provider.session("refresher", secret)
    token, _, _ = code_flow(provider, alice, client)
    first = token["refresh_token"]
    second = client.refresh_token(provider.metadata["token_endpoint"], refresh_token=first)
    assert second["refresh_token"] != first
    with pytest.raises(OAuthError) as reused:
        client.refresh_token(provider.metadata["token_endpoint"], refresh_token=first)
    assert reused.value.error == "invalid_grant"
    # The whole family went: the newest refresh token and access token too.
    with pytest.raises(OAuthError) as family:
        client.refresh_token(provider.metadata["token_endpoint"], refresh_token=second["refresh_token"])
    assert family.value.error == "invalid_grant"
    introspected = client.introspect_token(provider.metadata["introspection_endpoint"], token=second["access_token"]).json()
    assert introspected == {"active": False}


def test_client_credentials_revocation_and_introspection(provider):
    secret = provider.add_client("machine", "--scope", "profile")
    client = OAuth2Session("machine", secret, token_endpoint_auth_method="client_secret_post")
    token = client.fetch_token(provider.metadata["token_endpoint"], grant_type="client_credentials")
    assert "id_token" not in token and "refresh_token" not in token
    active = client.introspect_token(provider.metadata["introspection_endpoint"], token=token["access_token"]).json()
    assert active["active"] is True and active["client_id"] == "machine" and active["scope"] == "profile"
    assert client.revoke_token(provider.metadata["revocation_endpoint"], token=token["access_token"]).status_code == 200
    after = client.introspect_token(provider.metadata["introspection_endpoint"], token=token["access_token"]).json()
    assert after == {"active": False}


def test_refusals_carry_their_rfc_error_codes(provider, alice):
    secret = provider.add_client("strict")
    endpoint = provider.metadata["token_endpoint"]

    with pytest.raises(OAuthError) as wrong_secret:
        OAuth2Session("strict", "not-the-secret").fetch_token(endpoint, grant_type="client_credentials")
    assert wrong_secret.value.error == "invalid_client"
    with pytest.raises(OAuthError) as unknown:
        OAuth2Session("nobody", "x").fetch_token(endpoint, grant_type="client_credentials")
    assert unknown.value.error == "invalid_client"

    # An unregistered redirect URI: an error page, no redirect at all.
    client = provider.session("strict", secret, redirect_uri="http://localhost:9/elsewhere")
    url, _ = client.create_authorization_url(provider.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48))
    status, location = authorize(alice, url)
    assert status == 400 and location == ""

    # Missing and wrong PKCE verifiers; then the right one; then the same code again.
    client = provider.session("strict", secret)
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(provider.metadata["authorization_endpoint"], code_verifier=verifier)
    status, location = authorize(alice, url)
    assert status == 302
    with pytest.raises(OAuthError) as missing:
        client.fetch_token(endpoint, authorization_response=location)
    assert missing.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as wrong:
        client.fetch_token(endpoint, authorization_response=location, code_verifier=secrets.token_urlsafe(48))
    assert wrong.value.error == "invalid_grant"
    token = client.fetch_token(endpoint, authorization_response=location, code_verifier=verifier)
    with pytest.raises(OAuthError) as reused:
        client.fetch_token(endpoint, authorization_response=location, code_verifier=verifier)
    assert reused.value.error == "invalid_grant"
    # The reused code revoked what it had issued.
    assert client.get(provider.metadata["userinfo_endpoint"]).status_code == 401

    # prompt=none without a session at Sekisho.
    stranger = WebClient(provider.process.port)
    url, state = client.create_authorization_url(provider.metadata["authorization_endpoint"], code_verifier=verifier, prompt="none")
    status, location = authorize(stranger, url)
    assert status == 302 and parse_qs(urlparse(location).query)["error"] == ["login_required"]

    # A client for administrators only, and alice is not one.
    admins_secret = provider.add_client("admins-only", "--access", "admins")
    client = provider.session("admins-only", admins_secret)
    url, _ = client.create_authorization_url(provider.metadata["authorization_endpoint"], code_verifier=verifier)
    status, location = authorize(alice, url)
    assert status == 302 and parse_qs(urlparse(location).query)["error"] == ["access_denied"]


def test_secrets_and_codes_never_reach_the_log(provider, alice):
    secret = provider.add_client("quiet")
    client = provider.session("quiet", secret)
    token, _, location = code_flow(provider, alice, client)
    code = parse_qs(urlparse(location).query)["code"][0]
    log = (LOG_DIR / "server.log").read_text(errors="replace")
    for value in (secret, code, token["access_token"], token["refresh_token"], token["id_token"]):
        assert value not in log
