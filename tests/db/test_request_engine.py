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
from tenants.access import NO_PARAMETERS, AccessCache
from tests.factories import TwoSchools

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


def account_id(database: DatabaseUrls, login: str) -> Any:
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        row = conn.execute("SELECT id FROM accounts WHERE login = %s", (login,)).fetchone()
    assert row is not None
    return row[0]


async def driver(session: AsyncSession) -> Any:
    conn = await session.connection()
    return (await conn.get_raw_connection()).driver_connection


async def traced(session: AsyncSession, body: Callable[[], Awaitable[Any]]
                 ) -> tuple[list[str], list[str]]:
    """What the client sent and received while `body` ran, by libpq's trace: the lines of
    messages carrying BEGIN, and the ReadyForQuery messages (one a round trip)."""
    pgconn = (await driver(session)).pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            await body()
        finally:
            pgconn.untrace()
        trace.seek(0)
        lines = trace.read().splitlines()
    return ([line for line in lines if "\tF\t" in line and "BEGIN" in line],
            [line for line in lines if "\tB\t" in line and "ReadyForQuery" in line])


def test_begin_and_a_first_statement_without_parameters_take_one_round_trip(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> tuple[list[str], list[str], Any]:
        async with app_sessions(engine)() as session, session.begin():
            await session.execute(text("SELECT 1"))  # a warm connection
        async with app_sessions(engine)() as session, session.begin():
            conn = await session.connection()
            found: list[Any] = []

            async def statements() -> None:
                # when the transaction's first statement has no parameters
                found.append((await conn.exec_driver_sql(
                    "SELECT set_config('zhurnal.school_ids', 'x', true)",
                    execution_options=NO_PARAMETERS)).scalar_one())
                found.append((await session.execute(SCOPE)).scalar_one())

            begins, ready = await traced(session, statements)
        return begins, ready, found

    begins, ready, found = run(database, body)
    # then BEGIN went with it: one answer for both, one for the second statement
    assert len(begins) == 1
    assert len(ready) == 2
    assert found == ["x", "x"]  # the statement's own result, and its scope held


def test_a_first_statement_with_parameters_is_preceded_by_begin(
        database: DatabaseUrls) -> None:
    async def body(engine: AsyncEngine) -> tuple[list[str], list[str]]:
        async with app_sessions(engine)() as session, session.begin():
            return await traced(session, lambda: session.execute(SET_SCOPE, {"v": "y"}))

    begins, ready = run(database, body)
    assert len(begins) == 1
    assert len(ready) == 2  # as psycopg's own BEGIN: a round trip each


def test_the_access_statement_goes_with_begin(database: DatabaseUrls,
                                               schools: TwoSchools) -> None:
    # given a person whose context is kept, as the server keeps it
    account = account_id(database, schools.a.logins["teacher"])
    cache = AccessCache()

    async def body(engine: AsyncEngine) -> tuple[list[str], list[str], Any, Any]:
        async with app_sessions(engine)() as session, session.begin():
            first = await cache.resolve(session, account, None)
        async with app_sessions(engine)() as session, session.begin():
            # when the next request resolves it
            got: list[Any] = []

            async def resolve() -> None:
                got.append(await cache.resolve(session, account, None))

            begins, ready = await traced(session, resolve)
            scope = (await session.execute(SCOPE)).scalar_one()
        return begins, ready, (first, got[0]), scope

    begins, ready, (first, again), scope = run(database, body)
    # then one round trip for BEGIN and the statement, and the kept context with its scope
    assert len(begins) == 1 and len(ready) == 1
    assert again is first and again.is_authenticated
    assert scope == ",".join(str(s) for s in sorted(first.school_ids))


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
