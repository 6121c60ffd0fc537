"""The server's request engine (db/engine.py request_engine): its connections are in
autocommit mode and each transaction's BEGIN goes in one round trip with its first statement.

What may not move: no statement of a request runs outside the transaction that set the RLS
scope (set_config is_local), writes stay all-or-nothing, savepoints work, and a connection
never goes back out while still inside a transaction.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.engine import (
    DatabaseUrls,
    OutsideTransaction,
    TransactionCursor,
    app_engine,
    app_sessions,
    closed_while_idle,
    libpq_dsn,
    request_engine,
)

T = TypeVar("T")

XACT = text("SELECT pg_current_xact_id()::text")
SCOPE = text("SELECT current_setting('zhurnal.school_ids', true)")
SET_SCOPE = text("SELECT set_config('zhurnal.school_ids', :v, true)")


def run(database: DatabaseUrls, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = request_engine(database.app, pool_size=1)
        try:
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def driver(session: AsyncSession) -> Any:
    conn = await session.connection()
    return (await conn.get_raw_connection()).driver_connection


def test_begin_and_the_first_statement_take_one_round_trip(database: DatabaseUrls) -> None:
    # given a request session
    async def body(engine: AsyncEngine) -> tuple[list[str], list[str]]:
        async with app_sessions(engine)() as session, session.begin():
            await session.execute(text("SELECT 1"))  # a warm connection
        async with app_sessions(engine)() as session, session.begin():
            pgconn = (await driver(session)).pgconn
            with tempfile.TemporaryFile("w+") as trace:
                # when its first statement runs, traced by libpq
                pgconn.trace(trace.fileno())
                try:
                    await session.execute(SET_SCOPE, {"v": "x"})
                    await session.execute(SCOPE)
                finally:
                    pgconn.untrace()
                trace.seek(0)
                lines = trace.read().splitlines()
        return ([line for line in lines if "\tB\t" in line and "ReadyForQuery" in line],
                [line for line in lines if "\tF\t" in line and "BEGIN" in line])

    ready, begins = run(database, body)
    # then BEGIN went with the first statement: one answer for both, one for the second
    assert len(begins) == 1
    assert len(ready) == 2


def test_every_statement_of_a_transaction_shares_its_transaction_and_scope(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> tuple[list[Any], list[Any]]:
        seen = []
        for value in ("school-a", "school-b"):
            async with app_sessions(engine)() as session, session.begin():
                await session.execute(SET_SCOPE, {"v": value})
                xacts = [(await session.execute(XACT)).scalar_one() for _ in range(3)]
                seen.append((xacts, (await session.execute(SCOPE)).scalar_one()))
        async with app_sessions(engine)() as session, session.begin():
            after = (await session.execute(SCOPE)).scalar_one()
        return seen, [after]

    seen, (after,) = run(database, body)
    for (xacts, scope), value in zip(seen, ("school-a", "school-b"), strict=True):
        assert len(set(xacts)) == 1  # autocommit without BEGIN: a transaction per statement
        assert scope == value  # the transaction-local scope holds for the whole transaction
    assert seen[0][0][0] != seen[1][0][0]
    assert after in ("", None)  # and goes with the transaction


def test_a_write_that_fails_midway_leaves_nothing(database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> int:
        async with app_sessions(engine)() as session, session.begin():
            await session.execute(text("CREATE TEMP TABLE probe (n int PRIMARY KEY)"))
        with pytest.raises(Exception, match="duplicate key"):
            async with app_sessions(engine)() as session, session.begin():
                await session.execute(text("INSERT INTO probe VALUES (1)"))
                await session.execute(text("INSERT INTO probe VALUES (2)"))
                await session.execute(text("INSERT INTO probe VALUES (1)"))
        async with app_sessions(engine)() as session, session.begin():
            await session.execute(text("INSERT INTO probe VALUES (3)"))
            await session.rollback()
        async with app_sessions(engine)() as session, session.begin():
            return int((await session.execute(text("SELECT count(*) FROM probe"))).scalar_one())

    assert run(database, body) == 0


def test_a_failing_first_statement_leaves_the_connection_usable(database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> int:
        with pytest.raises(Exception, match="division by zero"):
            async with app_sessions(engine)() as session, session.begin():
                await session.execute(text("SELECT 1 / 0"))
        async with app_sessions(engine)() as session, session.begin():
            return int((await session.execute(text("SELECT 2"))).scalar_one())

    assert run(database, body) == 2


def test_savepoints_roll_back_alone(database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> list[int]:
        async with app_sessions(engine)() as session, session.begin():
            await session.execute(text("CREATE TEMP TABLE kept (n int)"))
        async with app_sessions(engine)() as session, session.begin():
            nested = await session.begin_nested()  # the transaction's first statement
            await session.execute(text("INSERT INTO kept VALUES (1)"))
            await nested.rollback()
            await session.execute(text("INSERT INTO kept VALUES (2)"))
            async with session.begin_nested():
                await session.execute(text("INSERT INTO kept VALUES (3)"))
        async with app_sessions(engine)() as session, session.begin():
            return list((await session.execute(text("SELECT n FROM kept ORDER BY n"))).scalars())

    assert run(database, body) == [2, 3]


def test_a_connection_returned_inside_a_transaction_is_rolled_back(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> tuple[int, int, Any]:
        conn = await engine.connect()
        await conn.execute(SET_SCOPE, {"v": "left-open"})
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await conn.close()  # neither committed nor rolled back
        async with engine.connect() as again:
            return (pid, (await again.execute(text("SELECT pg_backend_pid()"))).scalar_one(),
                    (await again.execute(SCOPE)).scalar_one())

    pid, again, scope = run(database, body)
    assert again == pid  # the same connection (pool_size=1), reset by its rollback
    assert scope in ("", None)


def test_a_transaction_opened_behind_the_pools_back_is_rolled_back(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> tuple[int, int, Any]:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await conn.commit()
            # SQLAlchemy's transaction ended; the driver opens another one
            raw = (await conn.get_raw_connection()).driver_connection
            await raw.execute("SELECT set_config('zhurnal.school_ids', 'stale', true)")
        async with engine.connect() as again:
            return (pid, (await again.execute(text("SELECT pg_backend_pid()"))).scalar_one(),
                    (await again.execute(SCOPE)).scalar_one())

    pid, again, scope = run(database, body)
    assert again == pid
    assert scope in ("", None)


def test_a_connection_still_in_a_transaction_is_never_lent(database: DatabaseUrls) -> None:
    # given a connection inside a transaction (say its rollback on return failed)
    with psycopg.connect(libpq_dsn(database.app), autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT set_config('zhurnal.school_ids', 'stale', true)")
        pooled = SimpleNamespace(driver_connection=conn)
        # then the pool's checkout refuses it (the pool closes it and opens another)
        with pytest.raises(DisconnectionError, match="inside a transaction"):
            closed_while_idle(pooled, None, None)
        conn.execute("ROLLBACK")
        closed_while_idle(pooled, None, None)


def test_a_statement_that_would_run_outside_a_transaction_is_refused(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> None:
        async with app_sessions(engine)() as session, session.begin():
            # a server-side cursor is not a TransactionCursor: it would send no BEGIN
            with pytest.raises(OutsideTransaction):
                await session.stream(text("SELECT 1"))

    run(database, body)


def test_only_the_request_engine_changes(database: DatabaseUrls) -> None:
    async def body() -> tuple[Any, Any]:
        plain, request = app_engine(database.app, pool_size=1), request_engine(
            database.app, pool_size=1)
        try:
            found = []
            for engine in (plain, request):
                async with engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    found.append((raw.autocommit, raw.cursor_factory))
            return found[0], found[1]
        finally:
            await plain.dispose()
            await request.dispose()

    plain, request = asyncio.run(body())
    assert plain[0] is False and not issubclass(plain[1], TransactionCursor)
    assert request == (True, TransactionCursor)
