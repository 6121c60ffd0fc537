"""What a request's transaction costs on the wire and in Python: `python -m bench.round_trips`.

One person's access transaction (the kept-context path of `zhurnal_access_cached`, as `me`
runs it, then COMMIT) sent several ways over one connection each, in alternating blocks
(ABCD then DCBA, so a change of the machine's load falls on all of them alike), on the bench
database (.zhurnal/bench, seeded by `bench.run`). Per way: the median and mean wall time of
a transaction and the bench process's CPU per transaction. docs/benchmarks.md, Session 7.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.data import prepare
from db.audit import note_audit_writes
from db.engine import (
    CONNECT_TIMEOUT_SECONDS,
    app_engine,
    app_sessions,
    closed_while_idle,
    json_loads,
    libpq_dsn,
)


class _BeginInOneString(psycopg.AsyncCursor[Any]):
    """The idea measured (session 7, not kept): on a connection in autocommit mode, a
    transaction's first statement without parameters is sent in one string after "BEGIN;"."""

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        conn = self.connection
        if (params is None and conn.autocommit
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE):
            await super().execute("BEGIN;" + query, prepare=False)
            self.nextset()
            return self
        return await super().execute(query, params, **kwargs)


ACCESS = "SELECT kind, school_id, target, detail FROM zhurnal_access_cached(%s, %s, %s, %s)"
ACCESS_SA = text("SELECT kind, school_id, target, detail FROM "
                 "zhurnal_access_cached(:account, :session, :stamp, :schools)")


def _person(owner_dsn: str, app_dsn: str) -> tuple[Any, Any, str, list[Any]]:
    """A person's live login session, and the stamp and schools their context is kept under."""
    with psycopg.connect(owner_dsn) as conn:
        row = conn.execute(
            "SELECT r.account_id, r.id FROM refresh_tokens r JOIN accounts a "
            "ON a.id = r.account_id WHERE r.revoked_at IS NULL AND r.expires_at > now() "
            "AND a.is_active AND a.login NOT LIKE 'officer%' ORDER BY r.id LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("no live login session in the bench database: run bench.run first")
    account, session = row
    with psycopg.connect(app_dsn) as conn:
        rows = conn.execute(ACCESS, (account, session, None, [])).fetchall()
    stamp = next(r[3] for r in rows if r[0] == "stamp")
    return account, session, stamp, sorted({r[1] for r in rows if r[1] is not None})


async def _ways(app_url: Any, account: Any, session: Any, stamp: str, schools: list[Any]
                ) -> tuple[dict[str, Callable[[], Awaitable[None]]], Callable[[], Awaitable[None]]]:
    dsn = libpq_dsn(app_url)
    own = await psycopg.AsyncConnection.connect(dsn)
    auto = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    engine = app_engine(app_url, pool_size=1)
    note_audit_writes(engine)  # as the server's engine: SQLAlchemy's event path on
    sessions = app_sessions(engine)
    # as app_engine builds it (the same pool, its checkout check), in autocommit mode
    one_string_engine = create_async_engine(
        app_url, pool_size=1, max_overflow=5, pool_pre_ping=False, pool_use_lifo=True,
        isolation_level="AUTOCOMMIT", json_deserializer=json_loads,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                      "cursor_factory": _BeginInOneString})
    event.listen(one_string_engine.sync_engine, "checkout", closed_while_idle)
    note_audit_writes(one_string_engine)
    one_string_sessions = app_sessions(one_string_engine)
    params = (account, session, stamp, schools)
    literal = ("SELECT kind, school_id, target, detail FROM zhurnal_access_cached("
               f"'{account}'::uuid, '{session}'::uuid, '{stamp}'::text, "
               f"'{{{','.join(str(s) for s in schools)}}}'::uuid[])")

    def one_row(rows: list[Any]) -> None:
        if len(rows) != 1:  # the kept-context path answers its stamp alone
            raise RuntimeError(f"expected the stamp row alone, got {len(rows)} rows")

    async def bare() -> None:
        await (await auto.execute("SELECT 1")).fetchall()

    async def psycopg_begin() -> None:
        one_row(await (await own.execute(ACCESS, params)).fetchall())
        await own.commit()

    async def pipelined() -> None:
        cur = psycopg.AsyncCursor(auto)
        async with auto.pipeline():
            await psycopg.AsyncCursor(auto).execute("BEGIN")
            await cur.execute(ACCESS, params)
        one_row(await cur.fetchall())
        await auto.commit()

    async def one_string() -> None:
        cur = psycopg.AsyncCursor(auto)
        await cur.execute("BEGIN;" + literal, prepare=False)
        cur.nextset()
        one_row(await cur.fetchall())
        await auto.commit()

    async def sqlalchemy() -> None:
        async with sessions() as s, s.begin():
            one_row(list((await s.execute(ACCESS_SA, {
                "account": account, "session": session, "stamp": stamp,
                "schools": schools})).all()))

    async def sqlalchemy_driver_sql() -> None:
        async with sessions() as s, s.begin():
            one_row(list((await (await s.connection()).exec_driver_sql(ACCESS, params)).all()))

    async def sqlalchemy_one_string() -> None:
        async with one_string_sessions() as s, s.begin():
            one_row(list((await (await s.connection()).exec_driver_sql(
                literal, execution_options={"no_parameters": True})).all()))

    async def sqlalchemy_driver() -> None:
        async with sessions() as s, s.begin():
            raw = (await (await s.connection()).get_raw_connection()).driver_connection
            one_row(await (await raw.execute(ACCESS, params)).fetchall())

    async def close() -> None:
        await own.close()
        await auto.close()
        await engine.dispose()
        await one_string_engine.dispose()

    return {
        "a bare round trip (SELECT 1, autocommit)": bare,
        "psycopg: its own BEGIN, statement, COMMIT": psycopg_begin,
        "psycopg: BEGIN + statement in a pipeline, COMMIT": pipelined,
        "psycopg: 'BEGIN; statement' one string, COMMIT": one_string,
        "SQLAlchemy session (the server today)": sqlalchemy,
        "SQLAlchemy session, exec_driver_sql": sqlalchemy_driver_sql,
        "SQLAlchemy session, 'BEGIN; statement' one string": sqlalchemy_one_string,
        "SQLAlchemy session, statement on the driver": sqlalchemy_driver,
    }, close


async def _measure(blocks: int, per_block: int) -> None:
    data = prepare(log=lambda *_: None)
    who = _person(libpq_dsn(data.full.owner), libpq_dsn(data.full.app))
    ways, close = await _ways(data.full.app, *who)
    times: dict[str, list[float]] = {name: [] for name in ways}
    cpu = dict.fromkeys(ways, 0.0)
    try:
        for way in ways.values():  # warm: prepared statements, plans, the pool
            for _ in range(20):
                await way()
        for block in range(blocks):
            order = list(ways.items())
            for name, way in order if block % 2 == 0 else reversed(order):
                started = time.process_time()
                for _ in range(per_block):
                    t = time.perf_counter()
                    await way()
                    times[name].append(time.perf_counter() - t)
                cpu[name] += time.process_time() - started
    finally:
        await close()
    print(f"{blocks} blocks × {per_block} transactions each, alternated")
    print(f"{'way':52} {'p50 ms':>8} {'mean ms':>8} {'CPU ms':>8}")
    for name, took in times.items():
        print(f"{name:52} {statistics.median(took) * 1e3:8.3f} "
              f"{statistics.mean(took) * 1e3:8.3f} {cpu[name] / len(took) * 1e3:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--per-block", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(_measure(args.blocks, args.per_block))


if __name__ == "__main__":
    main()
