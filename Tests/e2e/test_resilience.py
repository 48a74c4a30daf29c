"""Resilience of the real server under races, crashes, bad input, slow clients and a busy database (issue 8).

    SEKISHO_BIN=$(swift build --show-bin-path)/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_resilience.py

Everything runs on loopback against `sekisho serve` processes on temporary data directories; each test
is bounded in time (the whole file takes about 40 s on 2 cores). Server logs go to
test-artifacts/e2e/resilience/.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import selectors
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sekisho_harness import (
    ARTIFACTS_DIR,
    REPO_ROOT,
    ServeProcess,
    WebClient,
    find_binary,
    http_request,
    integrity_check,
    manual_key,
    require_tool,
    run_cli,
    table_snapshot,
    totp,
)

LOG_DIR = ARTIFACTS_DIR / "resilience"
PASSWORD = "resilient pass phrase 7"
ADMIN_PASSWORD = "tall maple ledger swims at dawn"
# Lockout must not decide the outcome of tests that send many wrong codes on purpose.
NO_LOCKOUT = {"lockout.free_failures": "100", "lockout.address_free_failures": "10000"}  # the maxima; 99 refusals stay below
# Tables whose content must not change when only refused input was sent. `session` (last_seen_at is
# touched once a minute) and `api_token` (last_used_at, at most once a minute) only keep their row counts.
HASHED_TABLES = (
    "user", "totp_binding", "totp_enrollment", "recovery_code", "reset_token", "setup_token", "setting", "mail_outbox",
)
ENGLISH = json.loads((REPO_ROOT / "Public" / "locales" / "en.json").read_text())


@pytest.fixture(scope="module")
def binary() -> Path:
    # A missing tool is a failure, not a skip.
    require_tool("oathtool")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return find_binary()


@pytest.fixture()
def servers() -> Iterator[list[ServeProcess]]:
    """Every server a test starts goes in this list; all are stopped however the test ends."""
    started: list[ServeProcess] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def fresh_log(name: str) -> Path:
    path = LOG_DIR / name
    path.unlink(missing_ok=True)
    return path


def add_user(binary: Path, data: Path, name: str, *, password: str = PASSWORD, two_factor: bool = False,
             admin: bool = False) -> None:
    data.mkdir(parents=True, exist_ok=True)
    arguments = ["user", "add", name, "--email", f"{name}@example.com"]
    arguments += ["--two-factor"] if two_factor else []
    arguments += ["--admin"] if admin else []
    run_cli(binary, arguments + ["--data-dir", str(data)], stdin=password + "\n")


def api_token(binary: Path, data: Path, admin: str) -> str:
    token = run_cli(binary, ["token", "create", "--user", admin, "--name", "resilience", "--data-dir", str(data)]).strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token), f"`sekisho token create` printed {token!r}"
    return token


def enroll(client: WebClient, username: str) -> str:
    """Password step and enrollment through the pages; returns the bound key. Fails on any other outcome."""
    location = client.sign_in_password(username, PASSWORD)
    assert location == "/login/enroll", f"{username}: the password led to {location!r}, expected /login/enroll"
    status, _, page = client.get("/login/enroll")
    assert status == 200, f"GET /login/enroll answered {status}"
    key = manual_key(page)
    status, _, page = client.post_form("/login/enroll", {"code": totp(key)})
    assert status == 200 and 'id="recovery-codes"' in page, (
        f"POST /login/enroll for {username} answered {status} without recovery codes:\n{page[:800]}"
    )
    return key


def list_users(port: int, token: str) -> dict[str, dict]:
    status, _, body = http_request(port, "GET", "/api/v1/users?limit=1000", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, f"GET /api/v1/users answered {status}: {body[:300]!r}"
    return {user["username"]: user for user in json.loads(body)}


def error_lines(server: ServeProcess) -> list[str]:
    """Log lines at error level or above (a 500 is logged as 'failed ...' at error level)."""
    return [line for line in server.log_text().splitlines() if re.match(r"^\S+ (error|critical) ", line)]


# 1. Replay race across processes ---------------------------------------------------------------


def test_one_code_accepted_once_across_two_processes(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(binary, data, "alice", two_factor=True)
    first = ServeProcess(binary, data, fresh_log("replay-a.log"), NO_LOCKOUT)
    second = ServeProcess(binary, data, fresh_log("replay-b.log"), NO_LOCKOUT)
    servers += [first, second]
    first.start()
    second.start()

    key = enroll(WebClient(first.port), "alice")

    # 100 half-way sessions, 50 on each process; the binding made through the first is seen by both.
    clients = [WebClient(server.port) for server in (first, second) for _ in range(50)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        locations = list(pool.map(lambda client: client.sign_in_password("alice", PASSWORD), clients))
    assert locations == ["/login/verify"] * 100, f"password steps led to {sorted(set(locations))}"

    # One valid code of the next step (newer than the enrollment code, inside the ±1 window),
    # sent by all 100 at once.
    code = totp(key, int(time.time()) + 30)
    barrier = threading.Barrier(len(clients), timeout=30)

    def submit(client: WebClient) -> tuple[int, str, str]:
        barrier.wait()
        status, headers, page = client.post_form("/login/verify", {"code": code}, timeout=30)
        return status, headers.get("location", ""), page

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        outcomes = list(pool.map(submit, clients))

    accepted = [index for index, (status, location, _) in enumerate(outcomes) if status == 303 and location == "/"]
    refused = [index for index, (status, _, page) in enumerate(outcomes) if status == 200 and 'class="error"' in page]
    other = {(status, location) for index, (status, location, _) in enumerate(outcomes) if index not in accepted + refused}
    assert len(accepted) == 1, (
        f"{len(accepted)} of 100 concurrent submissions of one code were accepted (expected exactly 1); "
        f"refused {len(refused)}, other answers {other}\nA:\n{first.log_tail(10)}\nB:\n{second.log_tail(10)}"
    )
    assert len(refused) == 99, f"expected 99 refusals with an error message, got {len(refused)}; other answers {other}"
    winner = clients[accepted[0]]
    status, _, page = winner.get("/")
    assert status == 200 and "alice" in page, f"the accepted session does not open the dashboard (status {status})"
    assert not error_lines(first) and not error_lines(second), "\n".join(error_lines(first) + error_lines(second))


# 2. Crash safety ---------------------------------------------------------------------------------


class Ledger:
    """What the server acknowledged in one round (2xx answers), shared by the writer threads."""

    def __init__(self) -> None:
        self.users: dict[str, bool] = {}  # created (201): name -> two-factor on
        self.enrolled: list[str] = []  # enrollment confirmed (the recovery-codes page)
        self.acks = 0
        self.failures: list[str] = []
        self.killing = False
        self.changed = threading.Condition()

    def acknowledge(self, record: Callable[[], None]) -> None:
        with self.changed:
            record()
            self.acks += 1
            self.changed.notify_all()

    def wait_for(self, acks: int, enrollments: int, writers: list[threading.Thread], timeout: float) -> bool:
        def ready() -> bool:
            return self.acks >= acks and len(self.enrolled) >= enrollments

        with self.changed:
            self.changed.wait_for(lambda: ready() or self.failures or not any(w.is_alive() for w in writers), timeout=timeout)
            return ready()


class CrashWriter(threading.Thread):
    """Writes until the server dies: plain users through the API, or (`enrolling`) two-factor users enrolled through the pages."""

    def __init__(self, port: int, token: str, prefix: str, enrolling: bool, ledger: Ledger) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.prefix, self.enrolling, self.ledger = port, token, prefix, enrolling, ledger

    def run(self) -> None:
        ledger = self.ledger
        try:
            for sequence in range(1000):
                name = f"{self.prefix}{sequence:03d}"
                body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "two_factor_enabled": self.enrolling}
                status, _, answer = http_request(
                    self.port, "POST", "/api/v1/users",
                    headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
                    body=json.dumps(body).encode(),
                )
                if status != 201:
                    raise AssertionError(f"POST /api/v1/users {name} answered {status}: {answer[:300]!r}")
                ledger.acknowledge(lambda: ledger.users.__setitem__(name, self.enrolling))
                if self.enrolling:
                    enroll(WebClient(self.port), name)
                    ledger.acknowledge(lambda: ledger.enrolled.append(name))
        except (OSError, http.client.HTTPException, AssertionError) as error:
            # Expected once the server is killed; before that it means the server failed by itself.
            if not ledger.killing:
                with ledger.changed:
                    ledger.failures.append(f"{self.prefix}: {error!r} (before the kill, after {ledger.acks} acknowledged writes)")
        finally:
            with ledger.changed:
                ledger.changed.notify_all()


def test_kill_9_keeps_every_acknowledged_write(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(binary, data, "root", password=ADMIN_PASSWORD, admin=True)
    token = api_token(binary, data, "root")
    database = data / "sekisho.sqlite"
    log = fresh_log("crash.log")
    rng = random.Random(20260808)  # seeded: the same kill points on every run
    acknowledged_users: dict[str, bool] = {}
    acknowledged_enrollments: list[str] = []
    rounds: list[str] = []
    deadline = time.monotonic() + 180

    server = ServeProcess(binary, data, log)
    servers.append(server)
    server.start()
    for round_number in range(20):
        assert time.monotonic() < deadline, f"crash test over its time budget at round {round_number}"
        # The kill point: after a seeded number of acknowledged writes (at least two of them
        # enrollments), plus a seeded delay of up to 150 ms that moves the kill into the writes
        # still in flight (password hashing, the commit, the answer) instead of between requests.
        kill_after = rng.randint(5, 15)
        extra_delay = rng.uniform(0.0, 0.15)
        ledger = Ledger()
        writers = [
            CrashWriter(server.port, token, f"r{round_number:02d}p", False, ledger),
            CrashWriter(server.port, token, f"r{round_number:02d}e", True, ledger),
        ]
        for writer in writers:
            writer.start()
        reached = ledger.wait_for(kill_after, 2, writers, timeout=60)
        if reached:
            threading.Event().wait(extra_delay)
        ledger.killing = True
        with ledger.changed:
            users, enrolled, acks = dict(ledger.users), list(ledger.enrolled), ledger.acks
        server.kill()
        for writer in writers:
            writer.join(timeout=30)
        assert not any(writer.is_alive() for writer in writers), f"round {round_number}: a writer did not stop after the kill"
        assert not ledger.failures, f"round {round_number}: {ledger.failures}\n{server.log_tail()}"
        assert reached, f"round {round_number}: {ledger.acks} writes acknowledged within 60 s, expected {kill_after}\n{server.log_tail()}"

        # The files as the crash left them (database and WAL), checked on a copy so that the
        # restarted server, not this check, is what recovers the original.
        crashed = tmp_path / f"crashed-{round_number:02d}"
        crashed.mkdir()
        for suffix in ("", "-wal"):
            if (data / f"sekisho.sqlite{suffix}").exists():
                shutil.copyfile(data / f"sekisho.sqlite{suffix}", crashed / f"sekisho.sqlite{suffix}")
        assert integrity_check(crashed / "sekisho.sqlite") == ["ok"], f"round {round_number}: integrity_check after kill -9"
        shutil.rmtree(crashed)

        # What was acknowledged before the kill must be there; what was in flight may or may not be.
        acknowledged_users.update(users)
        acknowledged_enrollments += enrolled
        server = ServeProcess(binary, data, log)
        servers.append(server)
        server.start()
        stored = list_users(server.port, token)
        missing = sorted(set(acknowledged_users) - set(stored))
        assert not missing, f"round {round_number}: acknowledged users lost by kill -9: {missing}"
        unbound = [name for name in acknowledged_enrollments if stored[name]["authenticator_bound"] is not True]
        assert not unbound, f"round {round_number}: acknowledged enrollments lost by kill -9: {unbound}"
        # This round's enrollments also hold for sign-in: the password leads to the code page.
        for name in enrolled:
            location = WebClient(server.port).sign_in_password(name, PASSWORD)
            assert location == "/login/verify", f"round {round_number}: {name} enrolled before the kill, now sent to {location!r}"
        # With the server running (WAL allows a second reader).
        assert integrity_check(database) == ["ok"], f"round {round_number}: integrity_check after the restart"
        unacknowledged = sorted(name for name in stored if name.startswith(f"r{round_number:02d}") and name not in users)
        rounds.append(
            f"round {round_number:2d}: kill {extra_delay * 1000:3.0f} ms after {acks:2d} acknowledged writes (target {kill_after:2d}); "
            f"acknowledged {len(users)} users, {len(enrolled)} enrollments; committed but not acknowledged: {unacknowledged or 'none'}"
        )
    server.stop()
    (LOG_DIR / "crash-rounds.txt").write_text("\n".join(rounds) + "\n")
    assert len(acknowledged_enrollments) >= 40, f"only {len(acknowledged_enrollments)} enrollments over 20 rounds"
    assert not error_lines(server), "error-level log lines around the crashes:\n" + "\n".join(error_lines(server))


# 3. Bad input corpus -----------------------------------------------------------------------------


def raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes | None:
    """Sends raw bytes; returns what came back until the server closed (None: reset, or nothing before the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            return None
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return received
                received += chunk
                # One whole response is enough (the server may keep the connection open).
                head, separator, rest = received.partition(b"\r\n\r\n")
                if separator:
                    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                    if length and len(rest) >= int(length.group(1)):
                        return received
        except (socket.timeout, ConnectionResetError):
            return received or None


def raw_status(answer: bytes | None) -> int | None:
    """The status of the first response in `answer`; None when the connection closed without one."""
    if not answer:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    assert match, f"not an HTTP response: {answer[:200]!r}"
    return int(match.group(1))


def test_bad_input_is_refused_and_changes_nothing(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(binary, data, "root", password=ADMIN_PASSWORD, admin=True)
    add_user(binary, data, "alice", two_factor=True)
    add_user(binary, data, "bob", two_factor=True)
    token = api_token(binary, data, "root")
    server = ServeProcess(binary, data, fresh_log("bad-input.log"))
    servers.append(server)
    server.start()
    port = server.port

    # One client per kind of visitor, so that each route is reached past its session checks.
    anonymous = WebClient(port)
    anonymous.get("/login")
    admin = WebClient(port)
    assert admin.sign_in_password("root", ADMIN_PASSWORD) == "/"
    enroll(WebClient(port), "alice")
    verifier = WebClient(port)
    assert verifier.sign_in_password("alice", PASSWORD) == "/login/verify"
    enroller = WebClient(port)
    assert enroller.sign_in_password("bob", PASSWORD) == "/login/enroll"
    assert enroller.get("/login/enroll")[0] == 200  # its pending key exists before the snapshot
    alice_id = list_users(port, token)["alice"]["id"]
    database = data / "sekisho.sqlite"
    # Enrolling queues a notice; the outbox worker sends it in its own time, which must not
    # count as a change made by the corpus.
    wait_until_outbox_sent(database)
    before = table_snapshot(database, HASHED_TABLES)

    problems: list[str] = []

    def expect(label: str, status: int | None, allowed: Callable[[int | None], bool], wanted: str) -> None:
        if not allowed(status):
            problems.append(f"{label}: got {status if status is not None else 'connection closed'}, expected {wanted}")

    def is_4xx(status: int | None) -> bool:
        return status is not None and 400 <= status < 500

    def is_4xx_or_closed(status: int | None) -> bool:
        return status is None or 400 <= status < 500

    def below_500(status: int | None) -> bool:
        return status is not None and status < 500

    def send(client: WebClient | None, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> int | None:
        sent = dict(headers or {})
        try:
            if client is None:
                return http_request(port, method, path, headers=sent, body=body)[0]
            return client.request(method, path, headers=sent, body=body)[0]
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            return None

    # Form routes, each with the visitor that reaches it: broken bodies are refused while the
    # form is read, before any handler runs, so none of them may change anything.
    long_id = "9" * 10_000
    form_routes = [
        ("/login", anonymous), ("/logout", admin), ("/login/enroll", enroller), ("/login/verify", verifier),
        ("/login/reset", verifier), ("/reset/" + "A" * 43, anonymous), ("/setup/" + "A" * 43, anonymous),
        ("/account/password", admin), ("/account/recovery-codes", admin), ("/admin/users/new", admin),
        (f"/admin/users/{alice_id}", admin), (f"/admin/users/{alice_id}/delete", admin),
        (f"/admin/users/{alice_id}/reset-2fa", admin), (f"/admin/users/{alice_id}/unlock", admin),
        ("/admin/mail", admin), ("/admin/mail/test", admin),
    ]
    form_type = "application/x-www-form-urlencoded"
    for path, client in form_routes:
        csrf = (client.csrf or "").encode()
        bodies = {
            "70 KB body": (b"csrf=" + csrf + b"&filler=" + b"x" * 70_000, form_type),
            "%ZZ escape": (b"username=%ZZ&code=1&csrf=" + csrf, form_type),
            "cut-off escape": (b"csrf=" + csrf + b"&code=12%3", form_type),
            "invalid UTF-8 %C3%28": (b"username=%C3%28&code=1&csrf=" + csrf, form_type),
            "raw invalid UTF-8 byte": (b"username=\xff\xfe&code=1&csrf=" + csrf, form_type),
            "%00 in a field": (b"username=a%00b&code=12%0034&csrf=" + csrf, form_type),
            "raw NUL byte": (b"username=a\x00b&code=1&csrf=" + csrf, form_type),
            "field sent twice": (b"csrf=" + csrf + b"&csrf=" + csrf, form_type),
            "text/plain body": (b"csrf=" + csrf, "text/plain"),
            "multipart body": (b"--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf + b"\r\n--x--\r\n",
                               "multipart/form-data; boundary=x"),
        }
        for label, (body, content_type) in bodies.items():
            status = send(client, "POST", path, body, {"Content-Type": content_type, "Sec-Fetch-Site": "same-origin"})
            if label == "70 KB body":
                expect(f"POST {path} {label}", status, lambda s: s == 413, "413")
            else:
                expect(f"POST {path} {label}", status, is_4xx, "4xx")

    # 10,000-character IDs in the path, with a valid form where it is a POST.
    for method, path, client in [
        ("GET", f"/admin/users/{long_id}", admin), ("POST", f"/admin/users/{long_id}", admin),
        ("POST", f"/admin/users/{long_id}/delete", admin), ("POST", f"/admin/users/{long_id}/reset-2fa", admin),
        ("POST", f"/admin/users/{long_id}/unlock", admin), ("GET", "/reset/" + "A" * 10_000, anonymous),
        ("POST", "/reset/" + "A" * 10_000, anonymous), ("GET", "/setup/" + "A" * 10_000, anonymous),
        ("POST", "/setup/" + "A" * 10_000, anonymous),
    ]:
        if method == "GET":
            status = send(client, "GET", path)
        else:
            status = client.post_form(path, {"username": "x" * 10_000, "email": "x@example.com"})[0]
        expect(f"{method} {path[:40]}... (10,000 characters)", status, is_4xx, "4xx")

    # The JSON API.
    bearer = {"Authorization": f"Bearer {token}"}
    json_type = {**bearer, "Content-Type": "application/json"}
    api_cases: list[tuple[str, str, bytes | None, dict[str, str]]] = [
        ("POST", "/api/v1/users", b'{"username": "' + b"a" * 70_000 + b'"}', json_type),
        ("POST", "/api/v1/users", b'{"username": "carol", "email": ', json_type),
        ("POST", "/api/v1/users", b'{"username": "carol\xc3\x28", "email": "c@example.com", "password": "' + PASSWORD.encode() + b'"}',
         json_type),
        ("POST", "/api/v1/users", json.dumps({"username": "car\u0000ol", "email": "c@example.com", "password": PASSWORD}).encode(),
         json_type),
        ("POST", "/api/v1/users", json.dumps({"username": "c" * 10_000, "email": "c@example.com", "password": PASSWORD}).encode(),
         json_type),
        ("POST", "/api/v1/users", json.dumps({"username": 5, "email": [], "password": None}).encode(), json_type),
        ("POST", "/api/v1/users", b"username=carol", {**bearer, "Content-Type": form_type}),
        ("PATCH", f"/api/v1/users/{alice_id}", b"{not json", json_type),
        ("PATCH", f"/api/v1/users/{alice_id}", json.dumps({"email": "alice\u0000@example.com"}).encode(), json_type),
        ("PATCH", f"/api/v1/users/{alice_id}", json.dumps({"role": "root"}).encode(), json_type),
        ("PATCH", f"/api/v1/users/{alice_id}", b'{"display_name": "' + b"d" * 70_000 + b'"}', json_type),
        ("GET", f"/api/v1/users/{long_id}", None, bearer),
        ("PATCH", f"/api/v1/users/{long_id}", b"{}", json_type),
        ("DELETE", f"/api/v1/users/{long_id}", None, bearer),
        ("POST", f"/api/v1/users/{long_id}/reset-2fa", None, bearer),
        ("POST", f"/api/v1/users/{long_id}/unlock", None, bearer),
        ("GET", "/api/v1/users/abc", None, bearer),
        ("GET", "/api/v1/users", None, {"Authorization": "Bearer " + "A" * 10_000}),
        ("GET", "/api/v1/users", None, {"Authorization": "Basic cm9vdDpyb290"}),
        ("POST", "/api/v1/users", b"{}", {"Content-Type": "application/json"}),
    ]
    for method, path, body, headers in api_cases:
        status = send(None, method, path, body, headers)
        wanted = 413 if body is not None and len(body) > 65_536 else None
        if wanted:
            expect(f"{method} {path[:40]} 70 KB JSON", status, lambda s: s == 413, "413")
        else:
            expect(f"{method} {path[:40]} {(body or b'')[:40]!r}", status, is_4xx, "4xx")

    # Path traversal on static files (raw, so nothing normalises the path on the way), and
    # proof that the files outside Public/static were not served.
    secrets = [b"swift-tools-version", b"transport: file", b"root:x:0:0"]
    assert raw_status(raw_exchange(port, b"GET /static/sekisho.css HTTP/1.1\r\nHost: x\r\n\r\n")) == 200
    for target in [
        "/static/../Config/sekisho.yaml", "/static/%2e%2e/%2e%2e/Package.swift", "/static/..%2f..%2fPackage.swift",
        "/static/%2e%2e%2f%2e%2e%2fPackage.swift", "/static/..%5c..%5cPackage.swift", "/static/%252e%252e/Package.swift",
        "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/Package.swift", "/static/./../../Package.swift", "/static/../../../../etc/passwd",
        "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/sekisho.css%00.txt", "/static/", "/static/.",
        "/static/..", "/static/%00", "/static/....//....//Package.swift",
    ]:
        answer = raw_exchange(port, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        expect(f"GET {target}", raw_status(answer), is_4xx_or_closed, "4xx or close")
        leaked = [secret for secret in secrets if answer and secret in answer]
        if leaked:
            problems.append(f"GET {target} served a file outside Public/static (contains {leaked})")

    # Unknown methods, unknown routes, malformed HTTP (bare CR, obs-fold, NUL, bad framing).
    session = f"sekisho_session={admin.cookies.get('sekisho_session', '')}".encode()
    raw_requests = {
        "BREW /login": b"BREW /login HTTP/1.1\r\nHost: x\r\n\r\n",
        "DELETE /login": b"DELETE /login HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /login": b"PUT /login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "PATCH /": b"PATCH / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nCookie: " + session + b"\r\n\r\n",
        "TRACE /": b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
        "OPTIONS /login": b"OPTIONS /login HTTP/1.1\r\nHost: x\r\n\r\n",
        "PROPFIND /admin": b"PROPFIND /admin HTTP/1.1\r\nHost: x\r\nCookie: " + session + b"\r\n\r\n",
        "DELETE /admin/users/{id}": f"DELETE /admin/users/{alice_id} HTTP/1.1\r\nHost: x\r\n".encode() + b"Cookie: " + session + b"\r\n\r\n",
        "GET /api/v1/users/{id}/delete": f"GET /api/v1/users/{alice_id}/delete HTTP/1.1\r\nHost: x\r\n".encode()
        + f"Authorization: Bearer {token}\r\n\r\n".encode(),
        "POST /api/authz/forward-auth": b"POST /api/authz/forward-auth HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "garbage method": b"G\x00T /login HTTP/1.1\r\nHost: x\r\n\r\n",
        "bare CR in a header value": b"GET /login HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
        "bare CR in the request line": b"GET /login\rHTTP/1.1\r\nHost: x\r\n\r\n",
        "obs-fold": b"GET /login HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
        "obs-fold in Cookie": b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + session + b"\r\n\tsekisho_csrf=x\r\n\r\n",
        "CR LF injected in Cookie": b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=b\r\r\nX-B: c\r\n\r\n",
        "NUL in a header value": b"GET /login HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
        "space in a header name": b"GET /login HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n",
        "header without colon": b"GET /login HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
        "bare LF line ends": b"GET /login HTTP/1.1\nHost: x\nX-A: a\r\n\r\n",
        "Content-Length and chunked": b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "two Content-Lengths": b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
        "negative Content-Length": b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "bad chunk size": b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n",
        "100 KB header": b"GET /login HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        "HTTP/9.9": b"GET /login HTTP/9.9\r\nHost: x\r\n\r\n",
        "10,000-character path": b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "unknown route": b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        "unknown route under /login": b"GET /login/nope HTTP/1.1\r\nHost: x\r\n\r\n",
        "unknown route under /admin": b"GET /admin/nope HTTP/1.1\r\nHost: x\r\nCookie: " + session + b"\r\n\r\n",
        "unknown route under /api/v1": f"GET /api/v1/nope HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode(),
        "unknown route under /api/authz": b"GET /api/authz/nope HTTP/1.1\r\nHost: x\r\n\r\n",
        "unknown static file": b"GET /static/nope.css HTTP/1.1\r\nHost: x\r\n\r\n",
        "dot file": b"GET /.env HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for label, request in raw_requests.items():
        expect(label, raw_status(raw_exchange(port, request)), is_4xx_or_closed, "4xx or close")

    # Junk where a page or check must carry on as if it were absent: anything but a 5xx (and no change).
    junk_cookie = {"Cookie": "sekisho_session=" + "x" * 10_000 + "; sekisho_csrf=%ZZ; sekisho_lang=%C3%28"}
    tolerated = [
        (anonymous, "GET", "/login?rd=%ZZ", {}), (anonymous, "GET", "/login?rd=%C3%28&lang=%00", {}),
        (anonymous, "GET", "/login?rd=" + "a" * 10_000, {}), (enroller, "GET", "/login/enroll?rd=%ZZ", {}),
        (verifier, "GET", "/login/verify?rd=%C3%28", {}), (admin, "GET", "/?x=%ZZ", {}),
        (admin, "GET", "/admin/users?q=%C3%28&page=-1", {}), (admin, "GET", "/admin/users?page=99999999999999999999", {}),
        (admin, "GET", "/admin/audit?page=-5", {}), (admin, "GET", "/admin/system?x=%00", {}),
        (None, "GET", "/api/v1/users?limit=-1&offset=-1&q=%ZZ", bearer),
        (None, "GET", "/api/authz/forward-auth", {**junk_cookie, "X-Forwarded-Host": "h" * 10_000, "X-Forwarded-Uri": "/%ZZ"}),
        (None, "GET", "/api/authz/auth-request", {**junk_cookie, "X-Original-URL": "http://%ZZ/\u00e9".encode().decode("latin-1")}),
        (None, "GET", "/", junk_cookie), (None, "GET", "/login", junk_cookie), (None, "GET", "/healthz?%ZZ", {}),
    ]
    for client, method, path, headers in tolerated:
        expect(f"{method} {path[:60]} (tolerated junk)", send(client, method, path, None, headers), below_500, "anything but 5xx")

    # Afterwards: still up, nothing stored changed, no 5xx logged. All findings are reported at once.
    assert server.is_running(), f"the server died during the corpus:\n{server.log_tail()}\n" + "\n".join(problems)
    if http_request(port, "GET", "/healthz")[0] != 200:
        problems.append("/healthz is not 200 after the corpus")
    if admin.get("/")[0] != 200:
        problems.append("the administrator's session did not survive the corpus (did a broken POST /logout end it?)")
    after = table_snapshot(database, HASHED_TABLES)
    problems += [f"stored data changed: {key} {before[key]} -> {after.get(key)}" for key in before if before[key] != after.get(key)]
    problems += [f"error-level log line: {line}" for line in error_lines(server)]
    assert not problems, f"{len(problems)} problems with bad input:\n" + "\n".join(problems)


def wait_until_outbox_sent(database: Path, timeout: float = 30.0) -> None:
    """Waits (bounded) until the outbox worker has sent or given up every queued mail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            if connection.execute("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0] == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the outbox still has unsent mail after {timeout:.0f} s")


def test_overlong_user_id_on_login_is_refused_and_not_stored(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    """A 10,000-character user ID can never exist: it must be a 4xx, and must not be written to attempt or audit_event."""
    data = tmp_path / "data"
    add_user(binary, data, "alice")
    server = ServeProcess(binary, data, fresh_log("overlong-user-id.log"))
    servers.append(server)
    server.start()
    database = data / "sekisho.sqlite"
    before = table_snapshot(database, ("attempt", "audit_event"))
    client = WebClient(server.port)
    status, _, _ = client.post_form("/login", {"username": "u" * 10_000, "password": "not the password"})
    after = table_snapshot(database, ("attempt", "audit_event"))
    stored = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    assert 400 <= status < 500 and not stored, (
        f"POST /login with a 10,000-character user ID answered {status} and changed {sorted(stored)} "
        "(the whole user ID is stored in attempt.key and audit_event.username)"
    )


# 4. Slow clients -----------------------------------------------------------------------------------


def test_slow_clients_do_not_block_sign_in(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    header_timeout = 2.0
    data = tmp_path / "data"
    add_user(binary, data, "carol")
    server = ServeProcess(binary, data, fresh_log("slow-clients.log"), {"server.header_timeout": str(header_timeout)})
    servers.append(server)
    server.start()

    selector = selectors.DefaultSelector()
    opened: dict[socket.socket, float] = {}
    closed: dict[socket.socket, tuple[float, bytes]] = {}
    kinds: dict[socket.socket, str] = {}

    def open_socket(kind: str, first_bytes: bytes) -> None:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(first_bytes)
        sock.setblocking(False)
        opened[sock] = time.monotonic()
        kinds[sock] = kind
        selector.register(sock, selectors.EVENT_READ)

    for _ in range(200):  # an unfinished request head, then one byte a second
        open_socket("slow", b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    for _ in range(20):  # connected, never a byte
        open_socket("silent", b"")
    keep_alive_done: dict[socket.socket, float] = {}
    for _ in range(10):  # one complete request, then silence on the kept-alive connection
        open_socket("kept-alive", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")

    # The normal client signs in while all of them hang on.
    outcome: dict[str, object] = {}

    def sign_in() -> None:
        started = time.monotonic()
        try:
            client = WebClient(server.port)
            outcome["password"] = client.sign_in_password("carol", PASSWORD)
            outcome["dashboard"] = client.get("/", timeout=10)[0]
        except Exception as error:  # noqa: BLE001 - reported below
            outcome["error"] = repr(error)
        outcome["seconds"] = time.monotonic() - started

    normal = threading.Thread(target=sign_in, daemon=True)
    normal.start()

    def close(sock: socket.socket, data: bytes) -> None:
        closed[sock] = (time.monotonic() - opened[sock], data)
        selector.unregister(sock)
        sock.close()

    start = time.monotonic()
    next_byte = start + 1.0
    received: dict[socket.socket, bytes] = {}
    while len(closed) < len(opened) and time.monotonic() - start < header_timeout + 4:
        for key, _ in selector.select(timeout=max(0.0, min(0.05, next_byte - time.monotonic()))):
            sock = key.fileobj
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, BlockingIOError) as error:
                if isinstance(error, BlockingIOError):
                    continue
                close(sock, received.get(sock, b""))
                continue
            if not chunk:
                close(sock, received.get(sock, b""))
            else:
                received[sock] = received.get(sock, b"") + chunk
                if kinds[sock] == "kept-alive" and sock not in keep_alive_done:
                    keep_alive_done[sock] = time.monotonic()
        if time.monotonic() >= next_byte:
            next_byte += 1.0
            for sock in [s for s in opened if s not in closed and kinds[s] == "slow"]:
                try:
                    sock.send(b"a")
                except OSError:
                    close(sock, received.get(sock, b""))
    normal.join(timeout=15)
    for sock in [s for s in opened if s not in closed]:
        selector.unregister(sock)
        sock.close()
    selector.close()

    assert "error" not in outcome, f"the normal client failed while slow clients were connected: {outcome['error']}"
    assert outcome.get("password") == "/" and outcome.get("dashboard") == 200, f"normal sign-in: {outcome}"
    assert outcome["seconds"] < 5, f"the normal sign-in took {outcome['seconds']:.1f} s while 230 slow connections were open"

    for kind in ("slow", "silent", "kept-alive"):
        sockets = [s for s in opened if kinds[s] == kind]
        still_open = [s for s in sockets if s not in closed]
        assert not still_open, f"{len(still_open)} of {len(sockets)} {kind} connections still open {header_timeout + 4:.0f} s later"
        late = sorted(round(closed[s][0], 1) for s in sockets if closed[s][0] > header_timeout + 2)
        assert not late, f"{kind} connections closed later than header_timeout + 2 s after opening: {late}"
        early = sorted(round(closed[s][0], 1) for s in sockets if closed[s][0] < header_timeout - 0.5)
        assert not early, f"{kind} connections closed before the header timeout (by something else?): {early}"
    for sock in (s for s in opened if kinds[s] != "kept-alive"):
        answer = closed[sock][1]
        assert not answer or 400 <= (raw_status(answer) or 0) < 500, f"a slow client got {answer[:80]!r}"
    for sock in (s for s in opened if kinds[s] == "kept-alive"):
        assert raw_status(closed[sock][1]) == 200, "the kept-alive connection's request was not answered"
    assert server.is_running()


# 5. Database busy or read-only ---------------------------------------------------------------------


def test_busy_database_gives_503_and_recovers(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(binary, data, "dave")
    server = ServeProcess(binary, data, fresh_log("busy.log"), {"database.busy_timeout": "0.5"})
    servers.append(server)
    server.start()
    database = data / "sekisho.sqlite"
    client = WebClient(server.port)
    client.get("/login")
    wrong = {"username": "dave", "password": "not the password at all"}
    watched = ("attempt", "audit_event", "session", "user")
    before = table_snapshot(database, watched)

    locker = sqlite3.connect(str(database), timeout=5, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        # Reads go on in WAL mode while another process holds the write lock.
        assert client.get("/login")[0] == 200, "GET /login must not need the write lock"
        for fields in (wrong, {"username": "dave", "password": PASSWORD}):
            started = time.monotonic()
            status, headers, page = client.post_form("/login", fields, timeout=10)
            seconds = time.monotonic() - started
            assert status == 503, (
                f"POST /login ({'wrong' if fields is wrong else 'right'} password) with the database locked answered {status}, "
                f"expected 503\n{server.log_tail(5)}"
            )
            assert headers.get("content-type", "").startswith("text/html") and "<html" in page, "the 503 is not an HTML page"
            assert headers.get("retry-after") == "5", f"the 503 has no Retry-After: {headers}"
            assert ENGLISH["error.503"] in page, f"the 503 page does not say the database is unavailable:\n{page[:1500]}"
            assert seconds < 5, f"the 503 took {seconds:.1f} s with busy_timeout 0.5 s"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert table_snapshot(database, watched) == before, "a request refused with 503 left a partial write behind"
    assert any("database unavailable during POST /login" in line for line in error_lines(server)), server.log_tail(5)

    # The lock is gone: the same requests get their normal answers.
    status, _, page = client.post_form("/login", wrong)
    assert status == 200 and 'class="error"' in page and ENGLISH["login.failed"] in page, f"after the lock: {status}\n{page[:800]}"
    after = table_snapshot(database, watched)
    assert after["count:audit_event"] > before["count:audit_event"] and after["count:attempt"] > before["count:attempt"]
    assert client.sign_in_password("dave", PASSWORD) == "/"


def test_read_only_database_gives_503_and_recovers(binary: Path, servers: list[ServeProcess], tmp_path: Path) -> None:
    """The database files made immutable under the running server (chattr +i): writes fail like on a read-only disk."""
    chattr = require_tool("chattr")
    data = tmp_path / "data"
    add_user(binary, data, "erin")
    server = ServeProcess(binary, data, fresh_log("read-only.log"))
    servers.append(server)
    server.start()
    client = WebClient(server.port)
    client.get("/login")
    files = [str(path) for path in sorted(data.glob("sekisho.sqlite*"))]
    before = table_snapshot(data / "sekisho.sqlite", ("attempt", "audit_event", "session"))
    protect = subprocess.run([chattr, "+i", *files], capture_output=True, text=True, timeout=10)
    try:
        if protect.returncode != 0:
            pytest.skip(f"cannot make the database read-only here (`chattr +i` needs CAP_LINUX_IMMUTABLE): {protect.stderr.strip()}")
        assert client.get("/login")[0] == 200, "reading pages must go on with a read-only database"
        status, headers, page = client.post_form("/login", {"username": "erin", "password": "not the password at all"})
        assert status == 503 and ENGLISH["error.503"] in page, f"a write to a read-only database answered {status}:\n{page[:800]}"
    finally:
        subprocess.run([chattr, "-i", *files], capture_output=True, timeout=10)
    assert table_snapshot(data / "sekisho.sqlite", ("attempt", "audit_event", "session")) == before
    assert client.sign_in_password("erin", PASSWORD) == "/", "no recovery once the database is writable again"
    assert integrity_check(data / "sekisho.sqlite") == ["ok"]
