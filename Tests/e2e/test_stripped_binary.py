"""The binary the Dockerfile ships is stripped (issue 18, item 19), and a stripped binary still works.

The Dockerfile's own strip commands are taken from the file and run on the binary under test (a debug build here:
Docker is not available on the development machines), then the stripped copy serves a real sign-in page.

    SEKISHO_BIN=.build/debug/sekisho /usr/bin/python3 -m pytest -q Tests/e2e/test_stripped_binary.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

from sekisho_harness import REPO_ROOT, Artifacts, SekishoServer, find_binary, require_tool


def dockerfile_build_commands() -> list[str]:
    """The shell commands of the build stage's RUN that compiles sekisho, one per `&&` part."""
    text = (REPO_ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n\s*", " ", text)
    runs = [line[4:] for line in joined.splitlines() if line.startswith("RUN ") and "swift build -c release" in line]
    assert len(runs) == 1, f"expected one RUN that builds sekisho in the Dockerfile, found {len(runs)}"
    return [part.strip() for part in runs[0].split("&&")]


def section_names(binary: Path) -> set[str]:
    output = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\]\s+(\.\S+)", output))


def test_dockerfile_ships_a_stripped_binary_that_still_serves(tmp_path: Path) -> None:
    for tool in ("strip", "objcopy", "readelf"):
        require_tool(tool)
    commands = dockerfile_build_commands()
    strip_steps = [c for c in commands if c.startswith(("strip", "objcopy"))]
    assert any(c.startswith("strip ") and c.endswith("/out/sekisho") for c in strip_steps), (
        f"the Dockerfile does not strip /out/sekisho before copying it into the image: {commands}"
    )
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "COPY --from=build /out/sekisho /usr/local/bin/sekisho" in dockerfile
    assert "sekisho.debug /usr/local" not in dockerfile, "the debug file must stay out of the runtime image"

    # The same steps on the binary under test, with /out standing for a temporary folder.
    original = find_binary()
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy2(original, out / "sekisho")
    for step in strip_steps:
        subprocess.run(step.replace("/out/", f"{out}/"), shell=True, check=True, cwd=out)
    stripped = out / "sekisho"
    before, after = original.stat().st_size, stripped.stat().st_size
    sections = section_names(stripped)
    assert not any(name.startswith(".debug_") for name in sections), f"debug sections left: {sorted(sections)}"
    assert ".symtab" not in sections, "the symbol table is still there"
    assert ".gnu_debuglink" in sections, "the stripped binary does not name its debug file"
    # A debug build keeps much unoptimised code (138 MB -> 74 MB here); a release build loses most of its size.
    assert after < before * 0.7, f"stripping saved little: {before} -> {after} bytes"
    assert any(name.startswith(".debug_info") for name in section_names(out / "sekisho.debug"))
    print(f"\nsekisho {original}: {before / 1e6:.1f} MB, stripped {after / 1e6:.1f} MB, debug file "
          f"{(out / 'sekisho.debug').stat().st_size / 1e6:.1f} MB")

    # The stripped binary runs the real server: Swift's runtime needs its metadata sections, not the symbols.
    server = SekishoServer(stripped, Artifacts(tmp_path / "artifacts"))
    try:
        server.start()
        server.add_user("carol", "a long enough passphrase", email="carol@example.com", name="Carol", two_factor=False)
        with urllib.request.urlopen(server.url("/login?lang=ja"), timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and 'lang="ja"' in page
    finally:
        server.stop()
