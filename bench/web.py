"""The web client's bench (issue 21): what /app/ loads for each view's first page, and its load.

`.venv/bin/python -m bench.web [-n 15]`, alone (not part of `make bench`). Seeds the demo (the
12 schools for today) into a database of the bench cluster (.zhurnal/bench, dropped after the
run), starts the real server in production settings, and drives headless chromium
(bench/web_load.mjs, playwright-core from web/node_modules) through each view's first page:

- **bytes**: every file the page took from /app/ (the page, the shell's chunk and styles, the
  view's chunk and styles), raw as the server sends them, and gzipped as a proxy would;
- **first content**: milliseconds from the navigation's start to the view's first content
  (its <main> shows text other than a loading message), cold (a fresh browser context, no
  cache, already logged in), median of N; the **floor** is a ~1 KB static file of the same
  server loaded the same way, interleaved with the views; the ratio is view / floor. Beside
  it, when the shell's script had arrived and when the first API answer (`me`) had.

Needs `make web` (web/dist and web/node_modules), Node.js and Debian's chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from bench.data import DATA_DIR, _urls
from bench.server import real_server
from db.engine import DatabaseUrls, libpq_dsn
from db.migrate import upgrade
from db.seed.demo import seed_demo
from resolvers.auth.passwords import hash_password

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
LOADER = Path(__file__).with_name("web_load.mjs")
WEB_DB = "zhurnal_bench_web"
RESULTS = DATA_DIR.parent / "bench-web-results.json"
# Each view's first page, as the demo account whose role lands on it.
VIEWS = (("district", "region"), ("journal", "g1.teacher"), ("diary", "g1.parent"))
LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  tokens { accessToken accessTokenExpiresAt refreshToken } errors { message } } }"""

console = Console(width=150)


@contextmanager
def demo_database() -> Iterator[DatabaseUrls]:
    """The demo for today in the bench cluster, seeded afresh (the diary's week is this week)."""
    urls = _urls(DATA_DIR, "postgres")
    admin = libpq_dsn(urls.owner)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{WEB_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{WEB_DB}"')
    web = DatabaseUrls(owner=urls.owner.set(database=WEB_DB), app=urls.app.set(database=WEB_DB))
    try:
        upgrade(web.owner)
        seed_demo(web.owner, seed=1, hash_password=hash_password)
        yield web
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{WEB_DB}" WITH (FORCE)')


def _session(base: str, login: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/graphql", timeout=30, json={
        "query": LOGIN, "variables": {"input": {"login": login, "password": "demo"}}}).json()
    tokens = answer["data"]["login"]["tokens"]
    if tokens is None:
        raise RuntimeError(f"{login}: {answer['data']['login']['errors']}")
    return dict(tokens)


def _floor_file() -> str:
    """The static file nearest 1 KB that the server serves from web/dist."""
    assets = [p for p in (DIST / "assets").iterdir() if p.is_file()]
    best = min(assets, key=lambda p: abs(p.stat().st_size - 1024))
    return f"/app/assets/{best.name}"


def measure(base: str, runs: int) -> dict[str, Any]:
    views = [{"view": view, "session": _session(base, login)} for view, login in VIEWS]
    node = shutil.which("node")
    if node is None:
        raise SystemExit("bench.web needs Node.js (`node` on PATH)")
    spec = json.dumps({"views": views, "floor": _floor_file(), "runs": runs})
    done = subprocess.run([node, str(LOADER), spec], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ZHURNAL_BASE_URL": base}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"web_load.mjs failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 1) if known else None


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def report(result: dict[str, Any]) -> list[dict[str, Any]]:
    floor = statistics.median(result["floor"]["ms"])
    rows = [{"view": "floor", "first_page": result["floor"]["path"], "bytes": None, "gzip": None,
             "p50_ms": round(floor, 1), "ratio": 1.0, "shell_ms": None, "api_ms": None}]
    for view, figures in result["views"].items():
        files = figures["files"]
        p50 = statistics.median(figures["ms"])
        rows.append({
            "view": view, "first_page": " + ".join(Path(f["path"]).name for f in files),
            "bytes": sum(f["bytes"] for f in files), "gzip": sum(f["gzip"] for f in files),
            "p50_ms": round(p50, 1), "ratio": round(p50 / floor, 1),
            "shell_ms": _median(figures["shellAt"]), "api_ms": _median(figures["firstApiAt"]),
        })
    runs = len(result["floor"]["ms"])
    table = Table(title=f"web client: first page of each view, median of {runs}")
    for column in ("view", "bytes", "gzip", "first content p50 ms", "× floor",
                   "shell script p50 ms", "me p50 ms", "files"):
        table.add_column(column, justify="left" if column in ("view", "files") else "right")
    for row in rows:
        table.add_row(row["view"], f"{row['bytes']:,}" if row["bytes"] else "—",
                      f"{row['gzip']:,}" if row["gzip"] else "—", f"{row['p50_ms']:.1f}",
                      f"{row['ratio']:.1f}", _ms(row["shell_ms"]), _ms(row["api_ms"]),
                      row["first_page"])
    console.print(table)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="cold loads per view")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file() or not (ROOT / "web" / "node_modules").is_dir():
        raise SystemExit("the web client is not built: run `make web` first")
    with demo_database() as urls, real_server(urls) as (base, _memory):
        result = measure(base, args.runs)
    rows = report(result)
    RESULTS.write_text(json.dumps({"rows": rows, "raw": result}, indent=1))
    console.print(f"raw figures: {RESULTS}")


if __name__ == "__main__":
    main()
