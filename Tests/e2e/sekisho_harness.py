"""Helpers for Sekisho's end-to-end browser tests: the server process, the CLI, Chromium, artifacts.

Run with Debian's python (python3-selenium, python3-pytest, chromium-driver):
    SEKISHO_BIN=path/to/sekisho /usr/bin/python3 -m pytest -q Tests/e2e
Without SEKISHO_BIN the binary is taken from `swift build --show-bin-path` in the repo root.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Tests/e2e/sekisho_harness.py -> repo root, so the tests run from any checkout.
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "e2e"
HEALTH_TIMEOUT = 20.0
PAGE_TIMEOUT = 15.0
CLI_TIMEOUT = 60.0


def find_binary() -> Path:
    """The sekisho binary: $SEKISHO_BIN, else the debug build of `swift build` in the repo root."""
    configured = os.environ.get("SEKISHO_BIN")
    if configured:
        path = Path(configured)
    else:
        result = subprocess.run(
            ["swift", "build", "--show-bin-path"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"`swift build --show-bin-path` failed: {result.stderr.strip()}")
        path = Path(result.stdout.strip()) / "sekisho"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f"sekisho binary not found at {path} (build it first, or set SEKISHO_BIN)")
    return path


def child_environment() -> dict[str, str]:
    """The environment for sekisho processes, without any SEKISHO_* variable.

    sekisho refuses unknown SEKISHO_* variables (SEKISHO_BIN is the harness's own), and a
    developer's SEKISHO_SERVER_PORT or SEKISHO_CONFIG must not change what the test runs against.
    """
    return {key: value for key, value in os.environ.items() if not key.startswith("SEKISHO_")}


def require_tool(name: str) -> str:
    """Absolute path of an external tool; fails loudly (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"required tool '{name}' is not installed")
    return path


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Artifacts:
    """Numbered screenshots (01-login.png, 02-enroll.png, ...) and logs under test-artifacts/e2e/."""

    def __init__(self, directory: Path = ARTIFACTS_DIR) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        # Stale pictures from an earlier run would be mistaken for this run's pages. Only this
        # module's numbers (below 20) go: the admin test numbers its own from 20 on.
        for old in self.directory.glob("*.png"):
            if old.name[:2].isdigit() and int(old.name[:2]) < 20:
                old.unlink()
        self.counter = 0

    def path(self, name: str, suffix: str = ".png") -> Path:
        """The next numbered file name for `name`."""
        self.counter += 1
        return self.directory / f"{self.counter:02d}-{name}{suffix}"

    def page(self, driver: WebDriver, name: str) -> Path:
        """A screenshot of the whole page (beyond the viewport), so long pages are seen in full."""
        target = self.path(name)
        try:
            metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            shot = driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip},
            )
            target.write_bytes(base64.b64decode(shot["data"]))
        except Exception:  # noqa: BLE001 - any CDP trouble: the viewport is still worth having.
            driver.save_screenshot(str(target))
        return target

    def element(self, element: WebElement, name: str) -> Path:
        """A screenshot of one element only.

        Chromedriver sometimes answers "Node with given id does not belong to the document" for a
        node of a page that has just loaded; the element is found again (by its id) and retried.
        """
        target = self.path(name)
        element_id = element.get_attribute("id")
        for attempt in range(3):
            try:
                target.write_bytes(element.screenshot_as_png)
                return target
            except WebDriverException:
                if attempt == 2 or not element_id:
                    raise
                time.sleep(0.2)  # a retry of a driver hiccup, not a wait for time to pass
                element = element.parent.find_element(By.ID, element_id)
        return target


class SekishoServer:
    """One `sekisho serve` on a free loopback port with its own temporary data directory."""

    def __init__(self, binary: Path, artifacts: Artifacts) -> None:
        self.binary = binary
        self.artifacts = artifacts
        self.data_dir = Path(tempfile.mkdtemp(prefix="sekisho-e2e-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = artifacts.directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file = None

    def start(self) -> None:
        """Starts the server and waits (bounded) until GET /healthz answers 200."""
        self._log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                str(self.binary), "serve",
                "--data-dir", str(self.data_dir),
                "--port", str(self.port),
                "--set", "clock.check=false",
                "--set", f"server.public_directory={REPO_ROOT / 'Public'}",
            ],
            cwd=REPO_ROOT, env=child_environment(),
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + HEALTH_TIMEOUT
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sekisho serve exited with status {self.process.returncode} before it was healthy:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
                    last_problem = f"status {response.status}"
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                last_problem = str(error)
            time.sleep(0.2)
        raise RuntimeError(f"/healthz not 200 within {HEALTH_TIMEOUT:.0f} s ({last_problem}):\n{self.log_tail()}")

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 10 s) and removes the data directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add_user(self, username: str, password: str, *, email: str, name: str,
                 two_factor: bool = True, admin: bool = False) -> None:
        """`sekisho user add` with the password on standard input; fails the test on a non-zero exit."""
        command = [str(self.binary), "user", "add", username, "--email", email, "--name", name]
        if two_factor:
            command.append("--two-factor")
        if admin:
            command.append("--admin")
        command += ["--data-dir", str(self.data_dir)]
        result = subprocess.run(
            command, input=password + "\n", cwd=REPO_ROOT, env=child_environment(),
            capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"`{' '.join(command)}` exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
            )


def make_driver(*, phone: bool = False) -> WebDriver:
    """Headless Chromium; `phone` emulates a 390x844 touch screen that honours <meta name=viewport>."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    if phone:
        # A real phone lays out at the device width only if the page asks for it with a
        # viewport meta tag, so emulate a mobile device rather than just shrinking the window.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    return driver


def path_of(driver: WebDriver) -> str:
    """The path of the current URL (no query)."""
    return urlparse(driver.current_url).path


def wait_for_path(driver: WebDriver, path: str) -> None:
    """Waits until the browser shows `path` and the document has loaded."""
    try:
        WebDriverWait(driver, PAGE_TIMEOUT).until(
            lambda d: path_of(d) == path and d.execute_script("return document.readyState") == "complete"
        )
    except Exception as error:
        raise AssertionError(
            f"expected to be on {path}, but the browser is on {driver.current_url} "
            f"(title {driver.title!r}); page text:\n{page_text(driver)[:1500]}"
        ) from error


def page_text(driver: WebDriver) -> str:
    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except Exception:  # noqa: BLE001 - only used in failure messages
        return "(no body)"


def is_stale(element: WebElement) -> bool:
    """Whether `element` belongs to a document that has been replaced.

    Chromedriver reports that either as StaleElementReferenceException or, for a node of a page that
    is being torn down, as a plain WebDriverException "Node with given id does not belong to the
    document"; `EC.staleness_of` knows only the first and would fail on the second.
    """
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise


def submit(driver: WebDriver, button: WebElement) -> None:
    """Clicks a submit button and waits until the browser has loaded the next document."""
    old_root = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, PAGE_TIMEOUT).until(lambda _: is_stale(old_root))
    WebDriverWait(driver, PAGE_TIMEOUT).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill_and_submit(driver: WebDriver, fields: dict[str, str]) -> None:
    """Types into the named fields of the form holding the first field, then presses its submit button."""
    first = driver.find_element(By.NAME, next(iter(fields)))
    form = first.find_element(By.XPATH, "./ancestor::form")
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    buttons = form.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]")
    assert buttons, f"form {form.get_attribute('action')!r} has no submit button (type=submit)"
    submit(driver, buttons[0])


def totp(secret: str, at: int | None = None) -> str:
    """The 6-digit code from oathtool for `secret` at Unix time `at` (default: now)."""
    command = [require_tool("oathtool"), "--totp", "-b", secret]
    if at is not None:
        command += ["-N", f"@{at}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, f"oathtool failed: {result.stderr}"
    code = result.stdout.strip()
    assert re.fullmatch(r"\d{6}", code), f"oathtool printed {code!r}"
    return code


def decode_qr(png: Path) -> str:
    """The text of the QR code in a PNG, read by zbarimg."""
    result = subprocess.run(
        [require_tool("zbarimg"), "--raw", "-q", str(png)], capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, (
        f"zbarimg could not read a QR code from {png} (status {result.returncode}): {result.stderr.strip()}"
    )
    return result.stdout.strip()


def browser_problems(driver: WebDriver) -> list[str]:
    """Console messages of level SEVERE since the last call (CSP violations, failed loads, ...)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


class NumberedArtifacts(Artifacts):
    """Artifacts numbered from `first` (20-setup.png, 21-...), so two test modules don't overwrite each other.

    Only this range's stale pictures (number >= `first`) are removed; lower numbers belong to another module.
    """

    def __init__(self, first: int, directory: Path = ARTIFACTS_DIR) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            number = old.name.split("-", 1)[0]
            if number.isdigit() and int(number) >= first:
                old.unlink()
        self.counter = first - 1


def wait_for_setup_link(server: SekishoServer, timeout: float = HEALTH_TIMEOUT) -> str:
    """The first-administrator link the server prints on standard output (captured in its log file).

    Expects the announcement line followed by a line holding only the link; fails with the log tail otherwise.
    """
    announcement = "No users yet. Create the first administrator within one hour at:"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = server.log_path.read_text(errors="replace").splitlines()
        for index, line in enumerate(lines[:-1]):
            if line.strip() == announcement:
                link = lines[index + 1].strip()
                assert re.fullmatch(re.escape(server.base_url) + r"/setup/[A-Za-z0-9_-]{20,}", link), (
                    f"the line after {announcement!r} is not a setup link on {server.base_url}: {link!r}"
                )
                return link
        time.sleep(0.2)
    raise AssertionError(f"no line {announcement!r} followed by a link within {timeout:.0f} s:\n{server.log_tail()}")


def http_status(driver: WebDriver, url: str) -> int:
    """The HTTP status of GET `url` with the browser's cookies (Selenium cannot see statuses itself)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies} if cookies else {})
    try:
        with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# ---------------------------------------------------------------------------------------------
# Helpers for the resilience tests (test_resilience.py): several processes on one data
# directory, kill -9, plain HTTP without a browser, raw sockets.
# ---------------------------------------------------------------------------------------------

import html as _html
import http.client
import sqlite3
from urllib.parse import urlencode


class ServeProcess:
    """One `sekisho serve` on `data_dir` (shared with other processes, kept on stop) and a free port.

    `settings` are extra `--set key=value` pairs. The log is appended to, so restarts of the same
    server (after kill -9) keep one file.
    """

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, settings: dict[str, str] | None = None) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.settings = dict(settings or {})
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file = None

    def start(self, timeout: float = HEALTH_TIMEOUT) -> float:
        """Starts the server; returns the seconds until GET /healthz answered 200 (bounded by `timeout`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")
        command = [
            str(self.binary), "serve",
            "--data-dir", str(self.data_dir),
            "--port", str(self.port),
            "--set", "clock.check=false",
            "--set", f"server.public_directory={REPO_ROOT / 'Public'}",
        ]
        for key, value in self.settings.items():
            command += ["--set", f"{key}={value}"]
        started = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=child_environment(),
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = started + timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sekisho serve exited with status {self.process.returncode} before it was healthy:\n{self.log_tail()}"
                )
            try:
                status, _, _ = http_request(self.port, "GET", "/healthz", timeout=2)
                if status == 200:
                    return time.monotonic() - started
                last_problem = f"status {status}"
            except OSError as error:
                last_problem = str(error)
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"/healthz not 200 within {timeout:.0f} s ({last_problem}):\n{self.log_tail()}")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s. The data directory stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(no server log)"


def run_cli(binary: Path, arguments: list[str], *, stdin: str = "", timeout: float = CLI_TIMEOUT) -> str:
    """Runs `sekisho ARGUMENTS` from the repo root; returns standard output, fails the test on a non-zero exit."""
    result = subprocess.run(
        [str(binary), *arguments], input=stdin, cwd=REPO_ROOT, env=child_environment(),
        capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"`sekisho {' '.join(arguments)}` exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
    return result.stdout


def http_request(port: int, method: str, path: str, *, headers: dict[str, str] | None = None,
                 body: bytes | None = None, timeout: float = 15.0) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh loopback connection, redirects not followed.

    Returns the status, the headers (lower-case names; repeated Set-Cookie joined with newlines) and the body.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        collected: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            collected[key] = collected[key] + "\n" + value if key in collected else value
        return response.status, collected, data
    finally:
        connection.close()


class WebClient:
    """A cookie-keeping client for Sekisho's pages (one browser, without JavaScript or redirects)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, timeout: float = 15.0) -> tuple[int, dict[str, str], str]:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        status, received, data = http_request(self.port, method, path, headers=sent, body=body, timeout=timeout)
        for line in received.get("set-cookie", "").split("\n"):
            if "=" not in line:
                continue
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value == "" or "max-age=0" in line.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        text = data.decode("utf-8", errors="replace")
        found = re.search(r'name="csrf"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrf"', text)
        if found:
            self.csrf = _html.unescape(found.group(1) or found.group(2))
        return status, received, text

    def get(self, path: str, **options) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, **options)

    def post_form(self, path: str, fields: dict[str, str], *, with_csrf: bool = True,
                  timeout: float = 15.0) -> tuple[int, dict[str, str], str]:
        """POSTs a form as a browser on our own page would (Sec-Fetch-Site: same-origin), with the CSRF field."""
        if with_csrf:
            if self.csrf is None:
                self.get("/login")
            fields = {**fields, "csrf": self.csrf or ""}
        return self.request(
            "POST", path,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
            body=urlencode(fields).encode(), timeout=timeout,
        )

    def sign_in_password(self, username: str, password: str) -> str:
        """GET /login, then POST /login, then the page it leads to, as a browser follows the 303 (the
        session id and the CSRF nonce are new from there on); returns the Location of the 303."""
        self.get("/login")
        status, headers, text = self.post_form("/login", {"username": username, "password": password})
        assert status == 303, f"POST /login for {username} answered {status}, expected 303:\n{text[:800]}"
        location = headers.get("location", "")
        if location.startswith("/"):
            self.get(location)
        return location


def manual_key(page: str) -> str:
    """The TOTP key of the enrollment page: the <span> groups inside id="manual-key"."""
    found = re.search(r'<(\w+)[^>]*\bid="manual-key"[^>]*>', page)
    assert found, f"no id=\"manual-key\" on the enrollment page:\n{page[:1500]}"
    block = page[found.end():]
    block = block[: block.find(f"</{found.group(1)}>")]
    key = "".join(re.findall(r"<span>([A-Z2-7]+)</span>", block))
    assert re.fullmatch(r"[A-Z2-7]{24,32}", key), f"cannot read the key from the enrollment page: {block[:400]!r}"
    return key


def table_snapshot(database: Path, hashed_tables: tuple[str, ...]) -> dict[str, object]:
    """Row counts of every table and a SHA-256 of the full content of `hashed_tables` (read with Python's sqlite3)."""
    import hashlib

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        snapshot: dict[str, object] = {f"count:{name}": connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                                       for name in names}
        for name in hashed_tables:
            digest = hashlib.sha256()
            for row in connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid'):
                digest.update(repr(row).encode())
            snapshot[f"sha256:{name}"] = digest.hexdigest()
        return snapshot
    finally:
        connection.close()


def integrity_check(database: Path) -> list[str]:
    """`PRAGMA integrity_check` on the database file, through Python's sqlite3."""
    connection = sqlite3.connect(str(database), timeout=10)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
