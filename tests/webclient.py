"""The web client's browser tests (web/e2e/, issue 21), run from pytest.

`demo_site()` is `zhurnal serve` in its own process (bench/server.py's, with production
settings) on a fresh database with the demo's 12 pilot schools (seeded for today, as `make
demo` does); `run_spec()` runs one of web/e2e's node:test files against it, driving Debian's
chromium with playwright-core, and fails with the spec's own report. `make test` builds
web/dist and installs web/node_modules first (`make web`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.server import real_server
from db.engine import DatabaseUrls, resolve_urls
from db.seed import seed_demo
from resolvers.auth.passwords import hash_password
from tests.browser import CHROMIUM, INSTALL_HINT
from tests.db.test_seed_demo import fresh_database

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
SCREENSHOTS = WEB / "e2e" / "screenshots"
BUILD_HINT = "the web client is not built: run `make web` (npm ci and npm run build in web/)"


@contextmanager
def demo_site() -> Iterator[str]:
    """The base URL of `zhurnal serve` (production settings, as the bench runs it) on a fresh
    demo database, dropped afterwards."""
    if not (WEB / "dist" / "index.html").is_file() or not (WEB / "node_modules").is_dir():
        pytest.fail(BUILD_HINT)
    if not Path(CHROMIUM).exists():
        pytest.fail(INSTALL_HINT)
    app = resolve_urls().app
    with fresh_database("web") as owner:
        seed_demo(owner, seed=1, year=None, until=None, hash_password=hash_password)
        urls = DatabaseUrls(owner=owner, app=app.set(database=owner.database))
        with real_server(urls) as (base, _memory):
            yield base


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
