"""Entry point of the benchmark suite: `python -m bench.run` (or `make bench`).

Seeds (once) a region-year and a first-quarter database in their own embedded folder
(.zhurnal/bench), starts the real server (`zhurnal serve`, production settings) against
them, and prints one table. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from bench import floors
from bench.data import DATA_DIR, prepare
from bench.fixtures import Fixtures, discover, discover_demo
from bench.load import run_load
from bench.scenarios import (
    INTERLEAVED_FLOORS,
    BenchError,
    Request,
    interleaved,
    open_session,
    percentile,
    requests_for,
    throughput,
)
from bench.server import cpu_seconds, postmaster_pid, real_server
from bench.statements import count_per_request
from db.engine import DatabaseUrls, libpq_dsn

console = Console(width=200)
MB = 1024 * 1024


@dataclass
class Row:
    scenario: str
    p50_ms: float | None
    p90_ms: float | None
    rps: float | None
    statements: int | None
    peak_rss_mb: float | None
    floor_p50_ms: float
    floor_p90_ms: float
    note: str = ""
    cpu_ms: float | None = None  # CPU of the server and PostgreSQL, per request
    floor_cpu_ms: float | None = None  # CPU of the floor (its Python and PostgreSQL)

    @property
    def cpu_ratio(self) -> float | None:
        if self.cpu_ms is None or not self.floor_cpu_ms or self.scenario == OVERHEAD:
            return None
        return self.cpu_ms / self.floor_cpu_ms

    @property
    def ratio(self) -> float | None:
        if self.p50_ms is None or self.scenario == OVERHEAD:
            return None  # the overhead is a difference, read in milliseconds
        return self.p50_ms / self.floor_p50_ms


@dataclass
class Measured:
    """One scenario against the server: what was measured before any failure."""

    times: list[float] | None = None
    floor_times: list[float] | None = None  # measured with the request, alternately
    rps: float | None = None
    peak: int = 0
    note: str = ""
    cpu: float | None = None  # seconds per request
    floor_cpu: float | None = None


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


# Scenarios too slow for the full counts: their timed requests (and the floor's) and their
# throughput requests are divided by this (login: argon2 by design; district: a quarter of a
# municipality's marks and attendance per request).
SLOW = {"login": 3, "district": 10}
# The district report's throughput is measured at most this concurrency: an officer's report
# is a rare request, and eight at once on a small machine would run into the server's
# statement timeout rather than measure anything.
MAX_CONCURRENCY = {"district": 2}


async def cpu_per_request(request: Request, client: httpx.AsyncClient, server_pid: int | None,
                          postmaster: int | None, n: int) -> float | None:
    """CPU seconds one request costs, from `n` in a row: the server's processes (or, for a
    floor, which runs in this process, this process's) and PostgreSQL's backends. Unlike
    latency, CPU time hardly moves with the load other programs put on a shared machine."""
    if postmaster is None:
        return None  # PostgreSQL on another machine: its share cannot be counted
    own, server, database = time.process_time(), cpu_seconds(server_pid or 0), \
        cpu_seconds(postmaster, itself=False)
    for _ in range(n):
        await request(client)
    spent = cpu_seconds(postmaster, itself=False) - database
    spent += (cpu_seconds(server_pid) - server) if server_pid else (time.process_time() - own)
    return spent / n


def _psycopg_floor(name: str, conn: psycopg.Connection[Any], fx: Fixtures) -> Request:
    """The scenario's floor (bench/floors.py) as a request to interleave: it runs on the
    bench's own connection, blocking the loop while it runs, as nothing else runs then."""
    fn = floors.FLOORS[name]

    async def floor(client: httpx.AsyncClient) -> None:
        fn(conn, fx)
    return floor


def _fewer(name: str, count: int, least: int) -> int:
    return max(least, count // SLOW.get(name, 1))


def _concurrency(name: str, concurrency: int) -> int:
    return min(concurrency, MAX_CONCURRENCY.get(name, concurrency))


def measure(urls: DatabaseUrls, fx: Fixtures, *, n: int, total: int, concurrency: int,
            only: set[str] | None = None, log: Path | None = None) -> list[Row]:
    """Each scenario: sequential latencies, throughput at `concurrency`, and its floor."""
    rows: list[Row] = []
    with real_server(urls, workers=1, log=log) as (base, memory), \
            psycopg.connect(libpq_dsn(urls.owner)) as conn:
        server_pid = memory.root
        postmaster = postmaster_pid(conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        conn.execute("SELECT set_config('zhurnal.school_ids', "
                     "(SELECT string_agg(id::text, ',') FROM schools), false)")
        conn.commit()

        async def server_side() -> dict[str, Measured]:
            out: dict[str, Measured] = {}
            limits = httpx.Limits(max_connections=concurrency * 2)
            async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
                session = await open_session(client, fx)
                for name, request in requests_for(fx, session).items():
                    if only and name not in only:
                        continue
                    memory.reset()
                    console.print(f"  {name}…", highlight=False)
                    got = out[name] = Measured()
                    # A failed request is reported in the row (and the run goes on), never timed.
                    try:
                        # The floor alternates with the request (ABBA), so a ratio compares
                        # one moment of a shared machine, not two (issue 18, session 6).
                        floor = INTERLEAVED_FLOORS.get(name) or _psycopg_floor(name, conn, fx)
                        got.times, got.floor_times = await interleaved(
                            client, request, floor, _fewer(name, n, 2))
                        got.cpu = await cpu_per_request(request, client, server_pid,
                                                        postmaster, _fewer(name, n, 2))
                        got.floor_cpu = await cpu_per_request(
                            floor, client, None if name not in INTERLEAVED_FLOORS else server_pid,
                            postmaster, _fewer(name, n, 2))
                        c = _concurrency(name, concurrency)
                        got.rps = await throughput(client, request, _fewer(name, total, c), c)
                    except BenchError as e:
                        got.note = f"failed: {e}"[:300]
                        console.print(f"  {name} {got.note}", highlight=False)
                    memory.sample()
                    got.peak = memory.peak_worker
            return out

        measured = asyncio.run(server_side())
        for name, got in measured.items():
            ftimes = got.floor_times or [float("nan")]
            times = got.times
            rows.append(Row(name, _ms(times, 50) if times else None,
                            _ms(times, 90) if times else None, got.rps, None, got.peak / MB,
                            _ms(ftimes, 50), _ms(ftimes, 90), got.note,
                            None if got.cpu is None else got.cpu * 1000,
                            None if got.floor_cpu is None else got.floor_cpu * 1000))
            if name == "me" and times:
                rows.append(overhead_row(times, ftimes, got.cpu, got.floor_cpu))
    return rows


OVERHEAD = "auth overhead (me − anonymous)"


def overhead_row(me: list[float], anonymous: list[float], me_cpu: float | None = None,
                 anonymous_cpu: float | None = None) -> Row:
    """The fixed cost of an authenticated request: `me { login }` with a teacher's token less
    the anonymous `{ __typename }`, pair by pair as they were sent (interleaved); the target
    (issue 18) is at most 1.0 ms. Its floor columns hold the anonymous request's figures; its
    CPU column the difference of the two requests' CPU (server and PostgreSQL)."""
    diffs = sorted(a - b for a, b in zip(me, anonymous, strict=False))
    cpu = (me_cpu - anonymous_cpu) * 1000 if me_cpu is not None and anonymous_cpu is not None \
        else None
    return Row(OVERHEAD, _ms(diffs, 50), _ms(diffs, 90), None, None, None,
               _ms(anonymous, 50), _ms(anonymous, 90),
               note=f"target ≤ 1.0 ms: {'met' if _ms(diffs, 50) <= 1.0 else 'missed'}",
               cpu_ms=cpu)


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def table(rows: list[Row], concurrency: int) -> Table:
    t = Table(title="zhurnal benchmark (region-year data; the demo page on `make demo` data; "
                    "1 worker, production settings)")
    for col in ("scenario", "p50 ms", "p90 ms", f"req/s @{concurrency}", "SQL/req",
                "peak RSS MB", "floor p50 ms", "floor p90 ms", "p50 / floor", "CPU ms",
                "floor CPU ms", "CPU / floor"):
        t.add_column(col, justify="left" if col == "scenario" else "right")
    for r in rows:
        c = _concurrency(r.scenario, concurrency)
        t.add_row(r.scenario, _fmt(r.p50_ms), _fmt(r.p90_ms),
                  _fmt(r.rps) + (f" @{c}" if c != concurrency and r.rps is not None else ""),
                  "n/a" if r.statements is None else str(r.statements), _fmt(r.peak_rss_mb, ".0f"),
                  _fmt(r.floor_p50_ms, ".2f"), _fmt(r.floor_p90_ms, ".2f"),
                  _fmt(r.ratio, ".1f") + ("×" if r.ratio is not None else ""),
                  _fmt(r.cpu_ms, ".2f"), _fmt(r.floor_cpu_ms, ".2f"),
                  _fmt(r.cpu_ratio, ".1f") + ("×" if r.cpu_ratio is not None else ""))
    return t


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in
                Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return {"cpus": os.cpu_count(), "cpu": model, "memory_mb": mem,
            "loadavg": os.getloadavg(), "python": platform.python_version()}


# The journal of the demo page (issue 18: 8Б Алгебра, first quarter, `make demo` data), on
# its own database and server, against its own floor (the same psycopg + json floor as the
# region-year journal's, on that database), interleaved the same way.
DEMO_PAGE = "journal (demo page)"


def measure_demo_page(demo: DatabaseUrls, args: argparse.Namespace, log: Path | None
                      ) -> tuple[Row, int | None, Fixtures]:
    with psycopg.connect(libpq_dsn(demo.owner)) as conn:
        fx = discover_demo(conn)
    console.print(f"journal (demo page): {fx.journal_students} students × {fx.lesson_count} "
                  f"lessons ({fx.period_from}–{fx.period_to})")
    row = measure(demo, fx, n=args.n, total=args.total, concurrency=args.concurrency,
                  only={"journal"}, log=log)[0]
    row.scenario = DEMO_PAGE
    return row, count_per_request(demo, fx, only={"journal"}).get("journal"), fx


def compare_quarter(quarter: DatabaseUrls, fx_q: Fixtures, rows: list[Row],
                    args: argparse.Namespace, log: Path) -> dict[str, Any]:
    """The same journal (first quarter) on the first-quarter database and on the full year."""
    q_rows = measure(quarter, fx_q, n=args.n, total=args.total,
                     concurrency=args.concurrency, only={"journal"}, log=log)
    full_j = next(r for r in rows if r.scenario == "journal")
    q_j = q_rows[0]
    console.print(f"journal, first quarter: p50 {q_j.p50_ms:.1f} ms on the first-quarter "
                  f"database, {full_j.p50_ms:.1f} ms on the full year: ratio "
                  f"{full_j.p50_ms / q_j.p50_ms:.2f} (floor {q_j.floor_p50_ms:.2f} vs "  # type: ignore[operator]
                  f"{full_j.floor_p50_ms:.2f} ms)")
    return asdict(q_j)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="timed sequential requests each")
    parser.add_argument("--total", type=int, default=160, help="requests for req/s")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--users", type=int, default=50, help="load run users")
    parser.add_argument("--seconds", type=int, default=150, help="load run length")
    parser.add_argument("--no-load", action="store_true", help="skip the load run")
    parser.add_argument("--only", help="comma-separated scenarios to measure (and no quarter "
                                       "comparison), e.g. --only setMarks,diary; the load run "
                                       "still runs unless --no-load")
    parser.add_argument("--out", type=Path, default=DATA_DIR.with_name("bench-results.json"))
    args = parser.parse_args(argv)
    log = DATA_DIR.with_name("bench-server.log")
    results: dict[str, Any] = {"machine_before": machine()}

    data = prepare(log=console.print)
    with psycopg.connect(libpq_dsn(data.full.owner)) as conn:
        fx = discover(conn)
    with psycopg.connect(libpq_dsn(data.quarter.owner)) as conn:
        fx_q = discover(conn)
    console.print(f"journal: {fx.journal_students} students × {fx.lesson_count} lessons "
                  f"({fx.period_from}–{fx.period_to}); diary {fx.diary_from}–{fx.diary_to}; "
                  f"setMarks: 30 marks into lessons of a group of {len(fx.write_students)}")

    only = set(args.only.split(",")) if args.only else None
    rows: list[Row] = []
    counts: dict[str, int | None] = {}
    if only is None or only - {DEMO_PAGE}:
        rows = measure(data.full, fx, n=args.n, total=args.total,
                       concurrency=args.concurrency,
                       only=None if only is None else only - {DEMO_PAGE}, log=log)
        counts = count_per_request(data.full, fx, only=only)
    if only is None or DEMO_PAGE in only:
        demo_row, counts[DEMO_PAGE], _ = measure_demo_page(data.demo, args, log)
        # next to the region-year journal when there is one
        at = next((i + 1 for i, r in enumerate(rows) if r.scenario == "journal"), len(rows))
        rows.insert(at, demo_row)
    for r in rows:
        r.statements = counts.get(r.scenario)
    console.print(table(rows, args.concurrency))
    for r in rows:
        if r.note:
            console.print(f"{r.scenario}: {r.note}", highlight=False)
    by_name = {r.scenario: r for r in rows}
    if "me" in by_name and "diary" in by_name and by_name["me"].p50_ms is not None:
        # issue 18's diary target against what any authenticated request costs here
        bound = by_name["me"].p50_ms / by_name["diary"].floor_p50_ms
        console.print(f"me (an authenticated request that reads nothing) is {bound:.1f}× the "
                      "diary's floor: a cold diary within 3× its floor would answer faster "
                      f"than `me` {'does' if bound > 3 else 'can'}", highlight=False)
    results["rows"] = [asdict(r) | {"ratio": r.ratio, "cpu_ratio": r.cpu_ratio} for r in rows]
    results["statements"] = counts

    if not only:
        results["journal_quarter_db"] = compare_quarter(data.quarter, fx_q, rows, args, log)

    if not args.no_load:
        with real_server(data.full, workers=2, log=log) as (base, memory):
            load = run_load(base, fx, users=args.users, seconds=args.seconds)
            memory.sample()
        per_kind = {k: {"n": n, "p50_ms": p50 * 1000, "p90_ms": p90 * 1000}
                    for k, (n, p50, p90) in load.by_kind.items()}
        console.print(f"load: {args.users} users, {load.seconds:.0f} s, 2 workers: "
                      f"{load.requests} requests, {load.errors} errors, "
                      f"{load.throughput:.1f} req/s, p50 {load.latency(50) * 1000:.0f} ms, "
                      f"p90 {load.latency(90) * 1000:.0f} ms; peak RSS "
                      f"{memory.peak_worker / MB:.0f} MB per process, "
                      f"{memory.peak_total / MB:.0f} MB the whole server")
        for kind, v in per_kind.items():
            console.print(f"  {kind}: {v['n']} requests, p50 {v['p50_ms']:.0f} ms, "
                          f"p90 {v['p90_ms']:.0f} ms")
        for e in load.first_errors:
            console.print(f"  error: {e}")
        unloaded = by_name.get("setMarks")
        if unloaded is not None and unloaded.p50_ms and "setMarks" in per_kind:
            under = per_kind["setMarks"]["p50_ms"] / unloaded.p50_ms
            console.print(f"  setMarks under load: {under:.1f}× its unloaded p50 "
                          f"(target ≤ 5×: {'met' if under <= 5 else 'missed'})",
                          highlight=False)
        results["load"] = {"users": args.users, "seconds": load.seconds,
                           "requests": load.requests, "errors": load.errors,
                           "throughput": load.throughput, "p50_ms": load.latency(50) * 1000,
                           "p90_ms": load.latency(90) * 1000, "by_kind": per_kind,
                           "peak_worker_mb": memory.peak_worker / MB,
                           "peak_total_mb": memory.peak_total / MB,
                           "first_errors": load.first_errors}
    results["machine_after"] = machine()
    args.out.write_text(json.dumps(results, indent=2, default=str))
    console.print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
