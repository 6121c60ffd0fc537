"""Where one scenario's time goes: `python -m bench.profile diary [--runs 20]`.

Serves the bench data in-process (production settings, RLS on, the diary cache on as
`zhurnal serve` runs) and sends the scenario's request `--runs` times after a warm-up. Prints
the median request time, the median time of each SQL statement (from the driver's send to its
result) and what is left for Python (HTTP, GraphQL, building the answer). docs/benchmarks.md
quotes these figures; the bench table itself measures the real server over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from dataclasses import replace
from typing import Any

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.data import prepare
from bench.fixtures import discover
from bench.scenarios import open_session, requests_for
from db.engine import libpq_dsn
from server.app import create_app
from tests.server_fixture import PRODUCTION_SETTINGS


async def _profile(scenario: str, runs: int) -> tuple[list[float], list[list[tuple[str, float]]]]:
    data = prepare(log=lambda *_: None)
    with psycopg.connect(libpq_dsn(data.full.owner)) as conn:
        fx = discover(conn)
    # the tests' settings keep the diary cache off; `zhurnal serve` has it on
    app = create_app(data.full, replace(PRODUCTION_SETTINGS, diary_cache_entries=2000))
    started: dict[int, float] = {}
    statements: list[tuple[str, float]] = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append((" ".join(statement.split()),
                           time.perf_counter() - started.pop(id(cursor))))

    totals: list[float] = []
    per_run: list[list[tuple[str, float]]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     timeout=120) as client:
            session = await open_session(client, fx)
            request = requests_for(fx, session)[scenario]
            for _ in range(5):
                await request(client)  # warm: caches, prepared statements, the pool
            event.listen(Engine, "before_cursor_execute", before)
            event.listen(Engine, "after_cursor_execute", after)
            try:
                for _ in range(runs):
                    statements.clear()
                    t = time.perf_counter()
                    await request(client)
                    totals.append(time.perf_counter() - t)
                    per_run.append(list(statements))
            finally:
                event.remove(Engine, "before_cursor_execute", before)
                event.remove(Engine, "after_cursor_execute", after)
    return totals, per_run


def _label(text: str, texts: list[str]) -> str:
    """The statement, after the text it shares with its peers (the aggregates' sections are
    built on one long scope CTE and differ only after it)."""
    shared = min((_common(text, t) for t in texts if t is not text and t[:40] == text[:40]),
                 default=0)
    return "… " + text[shared:] if shared > 60 else text


def _common(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["journal", "diary", "diary cached", "setMarks",
                                             "district", "login"])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("zhurnal.requests").setLevel(logging.WARNING)
    totals, per_run = asyncio.run(_profile(args.scenario, args.runs))
    ms = 1000
    print(f"{args.scenario}: median of {args.runs} in-process requests")
    # the statements of a request are the same in every run (the cache aside): by position
    width = min(len(r) for r in per_run)
    texts = [text for text, _ in per_run[0][:width]]
    for i, text in enumerate(texts):
        times = [r[i][1] for r in per_run]
        print(f"  {statistics.median(times) * ms:8.2f} ms  {_label(text, texts)[:90]}")
    sql = statistics.median(sum(t for _, t in r) for r in per_run)
    total = statistics.median(totals)
    print(f"  request {total * ms:.2f} ms = SQL {sql * ms:.2f} ms + Python "
          f"{(total - sql) * ms:.2f} ms (HTTP, GraphQL, building the answer)")


if __name__ == "__main__":
    main()
