#!/usr/bin/python3
"""Prepares and checks the state the benchmarks need, through Sekisho's own HTTP API and pages.

  prepare.py startup URL             poll URL until it answers 200; print the milliseconds since
                                     the process start time given in $BENCH_T0_NS (time.time_ns)
  prepare.py setup URL TOKEN N OUT   create N two-factor users (API), enroll each through the
                                     pages (code from a TOTP computed here), then start one
                                     half-way session per user (password accepted, code pending);
                                     create one user without two-factor and sign it in.
                                     Writes OUT/csrf, OUT/signed_in, OUT/users.json
  prepare.py count DB SQL            print the number a SELECT COUNT(*) on the SQLite file DB gives
  prepare.py codes OUT               write OUT/codes.txt: "session code" per user, the code for
                                     step now+1 (accepted: inside the +-1 window, after last_step);
                                     prints that step
  prepare.py accepted DB STEP        count bindings whose last_step is STEP (accepted codes)
  prepare.py oidc-codes URL USER CLIENT SECRET REDIRECT N OUT
                                     sign USER in (password only), exchange one code as a warm-up
                                     (the first use makes the signing key), then ask /oidc/authorize
                                     for N codes and write OUT: one token-request body per code
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import sqlite3
import struct
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

PASSWORD = "bench-password-1"
PERIOD = 30


def totp(key_b32, step):
    key = base64.b32decode(key_b32 + "=" * (-len(key_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


class Client:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, response, data
        finally:
            conn.close()


def cookie_value(response, name):
    for header in response.msg.get_all("Set-Cookie") or []:
        first = header.split(";", 1)[0]
        if first.startswith(name + "="):
            return first[len(name) + 1 :]
    return None


def csrf_pair(client):
    status, response, body = client.request("GET", "/login")
    assert status == 200, f"GET /login: {status}"
    nonce = cookie_value(response, "sekisho_csrf")
    match = re.search(rb'name="csrf"\s+value="([^"]+)"', body) or re.search(rb'value="([^"]+)"\s+name="csrf"', body)
    assert nonce and match, "no csrf cookie or field on /login"
    return nonce, match.group(1).decode()


def post_form(client, path, fields, cookies):
    body = urllib.parse.urlencode(fields)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    return client.request("POST", path, body=body, headers=headers)


def login(client, csrf, username):
    nonce, token = csrf
    status, response, _ = post_form(
        client, "/login", {"username": username, "password": PASSWORD, "csrf": token}, {"sekisho_csrf": nonce}
    )
    assert status == 303, f"POST /login {username}: {status}"
    return response.getheader("Location"), cookie_value(response, "sekisho_session")


# Accounts without two-factor for the sign-in scenario: one per wrk connection and more, so that no
# account has more guesses in flight than its free failures (5) and none is refused unchecked.
PLAIN_NAMES = [f"benchplain{i:02d}" for i in range(64)]


def setup(url, api_token, count, out):
    client = Client(url)
    auth = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}

    def create(name, two_factor):
        body = json.dumps({"username": name, "email": f"{name}@bench.invalid", "password": PASSWORD, "two_factor_enabled": two_factor})
        status, _, data = client.request("POST", "/api/v1/users", body=body, headers=auth)
        assert status == 201, f"create {name}: {status} {data[:200]!r}"

    csrf = csrf_pair(client)
    names = [f"bench{i:05d}" for i in range(count)]

    def enroll(name):
        location, session = login(client, csrf, name)
        assert location.startswith("/login/enroll"), f"{name}: after password {location}"
        cookies = {"sekisho_csrf": csrf[0], "sekisho_session": session}
        status, _, page = client.request("GET", "/login/enroll", headers={"Cookie": f"sekisho_csrf={csrf[0]}; sekisho_session={session}"})
        assert status == 200, f"GET /login/enroll {name}: {status}"
        block = re.search(rb'id="manual-key"[^>]*>(.*?)</p>', page, re.S)
        assert block, f"{name}: no manual key on the enroll page"
        key = b"".join(re.findall(rb"<span>([A-Z2-7]+)</span>", block.group(1))).decode()
        code = totp(key, int(time.time()) // PERIOD)
        status, response, _ = post_form(client, "/login/enroll", {"code": code, "csrf": csrf[1]}, cookies)
        assert status == 200 and cookie_value(response, "sekisho_session"), f"POST /login/enroll {name}: {status}"
        # The browser's identifier: the code is then sent from the browser the user enrolled in,
        # as people do, and no new-browser notice is written for it.
        browser = cookie_value(response, "sekisho_browser") or ""
        # A second password sign-in: the half-way session that will submit one code.
        location, halfway = login(client, csrf, name)
        assert location.startswith("/login/verify"), f"{name}: second sign-in went to {location}"
        return {"name": name, "key": key, "session": halfway, "browser": browser}

    t0 = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: create(n, True), names))
        list(pool.map(lambda n: create(n, False), PLAIN_NAMES))
        users = list(pool.map(enroll, names))
    location, signed_in = login(client, csrf, PLAIN_NAMES[0])
    assert location == "/", f"{PLAIN_NAMES[0]} sign-in went to {location}"
    with open(os.path.join(out, "csrf"), "w") as f:
        f.write(f"{csrf[0]} {csrf[1]}\n")
    with open(os.path.join(out, "signed_in"), "w") as f:
        f.write(signed_in + "\n")
    with open(os.path.join(out, "users.json"), "w") as f:
        json.dump(users, f)
    print(f"prepared {count} enrolled users with half-way sessions in {time.monotonic() - t0:.1f} s")


def codes(out):
    with open(os.path.join(out, "users.json")) as f:
        users = json.load(f)
    now = time.time()
    step = int(now) // PERIOD + 1
    with open(os.path.join(out, "codes.txt"), "w") as f:
        for user in users:
            f.write(f"{user['session']} {totp(user['key'], step)} {user.get('browser', '')}\n")
    # Step now+1 stays inside the +-1 window until the end of step now+2.
    print(f"{step} {int((step + 2) * PERIOD - now)}")


def count(db, sql):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    print(conn.execute(sql).fetchone()[0])


def accepted(db, step):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    print(conn.execute("SELECT COUNT(*) FROM totp_binding WHERE last_step = ?", (int(step),)).fetchone()[0])


def oidc_codes(url, username, client_id, secret, redirect, count, out):
    client = Client(url)
    location, session = login(client, csrf_pair(client), username)
    assert location == "/", f"{username}: after password {location} (a user without two-factor expected)"
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
        "scope": "openid profile email offline_access", "state": "bench", "nonce": "bench",
    })
    cookie = {"Cookie": f"sekisho_session={session}"}

    def authorize(_):
        status, response, _ = client.request("GET", "/oidc/authorize?" + query, headers=cookie)
        target = response.getheader("Location") or ""
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("code", [None])[0]
        assert status in (302, 303) and code, f"/oidc/authorize answered {status} {target}"
        return code

    def body(code):
        return urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    status, _, answer = client.request("POST", "/oidc/token", body=body(authorize(0)), headers=headers)
    assert status == 200 and b"id_token" in answer, f"warm-up exchange: {status} {answer[:200]}"
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(authorize, range(count)))
    with open(out, "w") as f:
        f.writelines(body(code) + "\n" for code in found)
    print(f"{count} codes for {client_id} in {time.monotonic() - t0:.1f} s", file=sys.stderr)


def startup(url):
    t0 = int(os.environ["BENCH_T0_NS"])
    client = Client(url)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            status, _, _ = client.request("GET", "/healthz")
            if status == 200:
                print(f"{(time.time_ns() - t0) / 1e6:.0f}")
                return
        except OSError:
            pass
        time.sleep(0.005)
    sys.exit("server did not answer /healthz within 30 s")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(args[0], args[1], int(args[2]), args[3])
    elif command == "codes":
        codes(args[0])
    elif command == "accepted":
        accepted(args[0], args[1])
    elif command == "count":
        count(args[0], args[1])
    elif command == "oidc-codes":
        oidc_codes(args[0], args[1], args[2], args[3], args[4], int(args[5]), args[6])
    elif command == "startup":
        startup(args[0])
    else:
        sys.exit(__doc__)
