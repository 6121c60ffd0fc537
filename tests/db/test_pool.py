"""The request pool hands out its most recently used connection first (LIFO).

psycopg prepares a statement on its fifth run on a connection, and PostgreSQL reuses a plan
only after five more: the diary's statement takes 7–12 ms to plan and 3 ms to run. A pool that
rotated through every connection after a burst (FIFO) kept each one cold: in the bench the
cold diary took 26 ms after the journal's burst instead of 20.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from db.engine import DatabaseUrls, app_engine


def test_after_a_burst_sequential_requests_reuse_one_connection(database: DatabaseUrls) -> None:
    async def run() -> set[int]:
        engine = app_engine(database.app)
        try:
            async def backend(hold: float) -> int:
                async with engine.connect() as conn:
                    pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                    await asyncio.sleep(hold)
                    return int(pid)

            burst = await asyncio.gather(*(backend(0.05) for _ in range(6)))
            assert len(set(burst)) == 6  # six connections opened and returned to the pool
            return {await backend(0) for _ in range(10)}
        finally:
            await engine.dispose()

    assert len(asyncio.run(run())) == 1
