"""The web client's browser tests (web/e2e/, issue 21), run from pytest.

`demo_site()` is `zhurnal serve` in its own process on a fresh database with the demo's 12
pilot schools (seeded for today, as `make demo` does); `run_spec()` runs one of web/e2e's
node:test files against it, driving Debian's chromium with playwright-core, and fails with the
spec's own report. `make test` builds web/dist and installs web/node_modules first (`make web`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy.engine import URL

from db.engine import resolve_urls
from db.seed import seed_demo
from resolvers.auth.passwords import hash_password
from tests.browser import CHROMIUM, INSTALL_HINT
from tests.db.test_seed_demo import fresh_database
from tests.server_fixture import STARTUP_SECONDS, free_port

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
SCREENSHOTS = WEB / "e2e" / "screenshots"
BUILD_HINT = "the web client is not built: run `make web` (npm ci and npm run build in web/)"


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def demo_site() -> Iterator[str]:
    """The base URL of `zhurnal serve` on a fresh demo database (dropped afterwards)."""
    if not (WEB / "dist" / "index.html").is_file() or not (WEB / "node_modules").is_dir():
        pytest.fail(BUILD_HINT)
    if not Path(CHROMIUM).exists():
        pytest.fail(INSTALL_HINT)
    app = resolve_urls().app
    with fresh_database("web") as owner:
        seed_demo(owner, seed=1, year=None, until=None, hash_password=hash_password)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": _libpq(owner),
               "ZHURNAL_APP_DATABASE_URL": _libpq(app.set(database=owner.database)),
               "ZHURNAL_ENV": "development"}
        # The server's log goes to a file (a pipe nobody reads would fill and stall it).
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the server)
        server = subprocess.Popen(
            [sys.executable, "-c", "from server.cli import main; main()", "serve",
             "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, server, log)
            yield base
        finally:
            log.close()
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"zhurnal serve exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"zhurnal serve did not answer /healthz in {STARTUP_SECONDS} s")


def run_spec(base: str, spec: str, timeout: float = 600) -> None:
    """Run web/e2e/<spec> with node's test runner against `base`; fail with its report."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("the web client's browser tests need Node.js (`node` on PATH)")
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", f"e2e/{spec}"], cwd=WEB, timeout=timeout,
        env={**os.environ, "ZHURNAL_BASE_URL": base, "ZHURNAL_CHROMIUM": CHROMIUM,
             "ZHURNAL_SCREENSHOTS": str(SCREENSHOTS)},
        capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{spec} failed:\n{result.stdout[-12000:]}\n{result.stderr[-4000:]}",
                    pytrace=False)
