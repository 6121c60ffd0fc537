"""The load run: our own asyncio load generator (httpx), N closed-loop users, no think time.

Each user loops: a diary read (50%), a journal read (35%) or a setMarks of 30 marks (15%),
chosen by a seeded random stream. Every failure (HTTP status, GraphQL or user error,
timeout) is counted, not retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx

from bench.fixtures import Fixtures
from bench.scenarios import open_session, percentile, requests_for

MIX = (("diary", 0.50), ("journal", 0.35), ("setMarks", 0.15))


@dataclass
class LoadResult:
    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def latency(self, q: float, kind: str | None = None) -> float:
        values = (self.by_kind.get(kind, []) if kind
                  else [v for vs in self.by_kind.values() for v in vs])
        return percentile(values, q) if values else float("nan")


async def _load(base: str, fx: Fixtures, users: int, seconds: float) -> LoadResult:
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        session = await open_session(client, fx)
        requests = requests_for(fx, session)
        result = LoadResult(users, seconds)
        stop = time.perf_counter() + seconds

        async def user(n: int) -> None:
            rng = random.Random(n)
            kinds, weights = zip(*MIX, strict=True)
            while time.perf_counter() < stop:
                kind = rng.choices(kinds, weights)[0]
                request = requests[kind]
                t = time.perf_counter()
                try:
                    await request(client)
                except Exception as e:  # every failure counts as an error
                    result.errors += 1
                    if len(result.first_errors) < 5:
                        result.first_errors.append(f"{kind}: {type(e).__name__}: {e}"[:300])
                    continue
                finally:
                    result.requests += 1
                result.by_kind.setdefault(kind, []).append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        result.seconds = time.perf_counter() - started
        return result


def run_load(base: str, fx: Fixtures, *, users: int = 50, seconds: float = 150) -> LoadResult:
    return asyncio.run(_load(base, fx, users, seconds))
