"""Start-up and shutdown of the real binary: first start creates data/ and the key file with
tight modes, SIGTERM ends the process cleanly, and a restart keeps the key and the data."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from pathlib import Path

from sekisho_harness import ARTIFACTS_DIR, ServeProcess, find_binary, http_request


def test_first_start_sigterm_and_restart() -> None:
    with tempfile.TemporaryDirectory(prefix="sekisho-lifecycle-") as temporary:
        data = Path(temporary) / "data"
        server = ServeProcess(find_binary(), data, ARTIFACTS_DIR / "lifecycle" / "server.log")
        server.start()
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        key = data / "sekisho.key"
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and key.stat().st_size == 32
        first_key = key.read_bytes()
        status, _, body = http_request(server.port, "GET", "/readyz", timeout=5)
        assert status == 200, body

        # SIGTERM: graceful shutdown, exit status 0, within a few seconds.
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0, server.log_tail()

        server.start()
        assert key.read_bytes() == first_key, "a restart must never replace the key"
        server.stop()
        assert server.process.returncode == 0, server.log_tail()
