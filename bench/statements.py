"""SQL statements per request, counted in-process (the subprocess server exposes no counter).

The same request is sent to an in-process uvicorn server on the same database while
tests/sql_counter.py counts every statement the SQLAlchemy engines execute; the access
context's statements (token, tenant setting, roles) are included, as in the tests.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import httpx

from bench.fixtures import Fixtures
from bench.scenarios import BenchError, open_session, requests_for
from db.engine import DatabaseUrls
from tests.server_fixture import TEST_SETTINGS, running_server
from tests.sql_counter import count_statements


def count_per_request(urls: DatabaseUrls, fx: Fixtures, only: set[str] | None = None
                      ) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    # The in-process server's request log would land in the table's console: quiet it.
    logging.getLogger("zhurnal.requests").setLevel(logging.WARNING)
    # With the diary cache on, as `zhurnal serve` runs (the tests' server keeps it off).
    with running_server(urls, replace(TEST_SETTINGS, diary_cache_entries=2000)) as base:

        async def run() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                session = await open_session(client, fx)
                for name, request in requests_for(fx, session).items():
                    if only is not None and name not in only:
                        continue
                    try:
                        await request(client)  # warm: the first request of a name may differ
                        with count_statements() as counter:
                            await request(client)
                    except BenchError:
                        counts[name] = None  # failed (the timed run reports why)
                        continue
                    counts[name] = counter.count

        asyncio.run(run())
    return counts


def describe(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items())
