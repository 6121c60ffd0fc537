"""Where one scenario's time goes: `python -m bench.profile diary [--runs 20]`.

Serves the bench data in-process (production settings, RLS on, the diary cache on as
`zhurnal serve` runs) and sends the scenario's request `--runs` times after a warm-up. Prints
the median request time, the median time of each SQL statement (from the driver's send to its
result) and what is left for Python (HTTP, GraphQL, building the answer), then the request cut
into stages (issue 18): the token, the access context, execution, the transaction's end,
serialisation and the rest (HTTP, middleware), each with the SQL it waited for. The stages are
timed by wrapping the server's own functions here, not by code in the server.
docs/benchmarks.md quotes these figures; the bench table itself measures the real server over
HTTP.
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
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.asgi import GraphQL

import server.graphql as endpoint
from bench.data import prepare
from bench.fixtures import discover, discover_demo
from bench.scenarios import anonymous, open_session, requests_for
from db.engine import libpq_dsn
from server.app import create_app
from tests.server_fixture import PRODUCTION_SETTINGS

# The stages, in the order a request passes them; "rest" is what none of them covers.
STAGES = ("token", "context", "execution", "transaction end", "serialisation", "rest")


class Stages:
    """Wraps the server's functions of each stage for the time of a profile and adds up,
    per request, each stage's time and the SQL time inside it."""

    def __init__(self) -> None:
        self.current = "rest"
        self.times: dict[str, float] = {}
        self.sql: dict[str, float] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def reset(self) -> None:
        self.times = dict.fromkeys(STAGES, 0.0)
        self.sql = dict.fromkeys(STAGES, 0.0)

    def add_sql(self, seconds: float) -> None:
        self.sql[self.current] += seconds

    def _wrap(self, owner: Any, name: str, stage: str) -> None:
        own = name in vars(owner)
        original = getattr(owner, name)
        stages = self

        if asyncio.iscoroutinefunction(original):
            async def timed(*args: Any, **kwargs: Any) -> Any:
                outer, stages.current = stages.current, stage
                t = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    stages.times[stage] += time.perf_counter() - t
                    if outer in stages.times and outer != stage:
                        stages.times[outer] -= time.perf_counter() - t
                    stages.current = outer
        else:
            def timed(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                outer, stages.current = stages.current, stage
                t = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    stages.times[stage] += time.perf_counter() - t
                    if outer in stages.times and outer != stage:
                        stages.times[outer] -= time.perf_counter() - t
                    stages.current = outer
        setattr(owner, name, timed)
        self._undo.append((owner, name, original if own else None))

    def install(self) -> None:
        # the name the endpoint calls (inside the access context: counted apart from it)
        self._wrap(endpoint, "read_access_token", "token")
        self._wrap(endpoint.ZhurnalGraphQL, "_access", "context")
        # what the endpoint's super().execute_single runs: parse, validate, resolvers
        self._wrap(GraphQL, "execute_single", "execution")
        self._wrap(AsyncSession, "commit", "transaction end")
        self._wrap(AsyncSession, "rollback", "transaction end")
        self._wrap(endpoint.ZhurnalGraphQL, "encode_json", "serialisation")

    def remove(self) -> None:
        for owner, name, original in reversed(self._undo):
            if original is None:
                delattr(owner, name)  # it was inherited: the base's own comes back
            else:
                setattr(owner, name, original)
        self._undo.clear()


Profiled = tuple[list[float], list[list[tuple[str, float]]], list[dict[str, tuple[float, float]]],
                 list[float]]


async def _profile(scenario: str, runs: int, demo: bool = False) -> Profiled:
    data = prepare(log=lambda *_: None)
    urls = data.demo if demo else data.full
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        fx = discover_demo(conn) if demo else discover(conn)
    # the tests' settings keep the diary cache off; `zhurnal serve` has it on
    app = create_app(urls, replace(PRODUCTION_SETTINGS, diary_cache_entries=2000),
                     freeze_after_start=True)  # as `zhurnal serve` (server/app.py served_app)
    started: dict[int, float] = {}
    statements: list[tuple[str, float]] = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    stages = Stages()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - started.pop(id(cursor))
        statements.append((" ".join(statement.split()), took))
        stages.add_sql(took)

    totals: list[float] = []
    per_run: list[list[tuple[str, float]]] = []
    per_stage: list[dict[str, tuple[float, float]]] = []
    cpu: list[float] = []  # this process's CPU (the server's Python, the client's) per request
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     timeout=120) as client:
            session = await open_session(client, fx)
            request = (anonymous if scenario == "anonymous"
                       else requests_for(fx, session)[scenario])
            for _ in range(5):
                await request(client)  # warm: caches, prepared statements, the pool
            event.listen(Engine, "before_cursor_execute", before)
            event.listen(Engine, "after_cursor_execute", after)
            stages.install()
            try:
                for _ in range(runs):
                    statements.clear()
                    stages.reset()
                    t, c = time.perf_counter(), time.process_time()
                    await request(client)
                    total = time.perf_counter() - t
                    cpu.append(time.process_time() - c)
                    totals.append(total)
                    per_run.append(list(statements))
                    timed = {k: (stages.times[k], stages.sql[k]) for k in STAGES[:-1]}
                    timed["rest"] = (total - sum(v for v, _ in timed.values()),
                                     stages.sql["rest"])
                    per_stage.append(timed)
            finally:
                stages.remove()
                event.remove(Engine, "before_cursor_execute", before)
                event.remove(Engine, "after_cursor_execute", after)
    return totals, per_run, per_stage, cpu


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
    parser.add_argument("scenario", choices=["me", "anonymous", "journal", "diary",
                                             "diary cached", "setMarks", "district", "login"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--demo", action="store_true",
                        help="on the `make demo` data (bench/data.py DEMO_DB): the journal is "
                             "the demo page of issue 18, 8Б Алгебра, first quarter")
    args = parser.parse_args()
    logging.getLogger("zhurnal.requests").setLevel(logging.WARNING)
    totals, per_run, per_stage, cpu = asyncio.run(_profile(args.scenario, args.runs, args.demo))
    ms = 1000
    print(f"{args.scenario}{' (demo data)' if args.demo else ''}: median of {args.runs} "
          "in-process requests")
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
    print("  by stage (median and mean of each; a stage's SQL is part of its time):")
    for stage in STAGES:
        took = [r[stage][0] for r in per_stage]
        in_sql = [r[stage][1] for r in per_stage]
        print(f"  {statistics.median(took) * ms:8.2f} ms  (mean {statistics.fmean(took) * ms:6.2f})"
              f"  {stage:<15} SQL {statistics.median(in_sql) * ms:6.2f} ms")
    print(f"  request mean {statistics.fmean(totals) * ms:.2f} ms")
    # CPU time moves less than wall time with the load of a shared machine; it is the whole
    # process's, so the client's side of the in-process HTTP is in it too (the same for any
    # server code), and none of PostgreSQL's
    print(f"  request CPU of this process {statistics.median(cpu) * ms:.2f} ms median, "
          f"{statistics.fmean(cpu) * ms:.2f} ms mean")


if __name__ == "__main__":
    main()
