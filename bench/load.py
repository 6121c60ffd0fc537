"""The load run: locust, headless, N users with no think time (bench/locustfile.py).

The users' variables come from the bench database: the journal page, a week of the diary
starting one day later for each request (never the same question twice, so never answered
from the diary cache) and the next lesson of the write group for each setMarks. Tokens are
issued once, so the run measures reads and writes, not argon2. Every failure (HTTP status,
GraphQL or user error, timeout) is counted, not retried.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.fixtures import Fixtures
from bench.scenarios import DIARY, JOURNAL, SET_MARKS, open_session

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Enough distinct requests that a run of a few minutes never repeats a diary week.
VARIABLES = 250


@dataclass
class LoadResult:
    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    # per kind: requests, p50 and p90 in seconds (locust's percentiles)
    by_kind: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    total: tuple[int, float, float] = (0, float("nan"), float("nan"))
    first_errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def latency(self, q: int, kind: str | None = None) -> float:
        _, p50, p90 = self.by_kind[kind] if kind else self.total
        return {50: p50, 90: p90}[q]


def _spec(base: str, fx: Fixtures) -> dict[str, Any]:
    async def tokens() -> dict[str, str]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            session = await open_session(client, fx)
        return {"teacher": session.teacher, "student": session.student}

    return {"documents": {"diary": DIARY, "journal": JOURNAL, "setMarks": SET_MARKS},
            "tokens": asyncio.run(tokens()), "journal": fx.journal_vars,
            "diary": [fx.next_diary_vars() for _ in range(VARIABLES)],
            "setMarks": [fx.set_marks_vars() for _ in range(VARIABLES)]}


def _seconds(ms: str) -> float:
    return float(ms) / 1000 if ms not in ("", "N/A") else float("nan")


def run_load(base: str, fx: Fixtures, *, users: int = 50, seconds: float = 150) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="zhurnal-load-") as tmp:
        spec = Path(tmp, "spec.json")
        spec.write_text(json.dumps(_spec(base, fx)))
        prefix = Path(tmp, "locust")
        locust = Path(sys.executable).with_name("locust")
        done = subprocess.run(
            [str(locust), "-f", str(LOCUSTFILE), "--headless", "--host", base,
             "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
             "--stop-timeout", "30", "--csv", str(prefix), "--only-summary",
             "--exit-code-on-error", "0", "--loglevel", "WARNING"],
            env={**os.environ, "ZHURNAL_LOAD_SPEC": str(spec)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            timeout=seconds + 120)
        if done.returncode != 0:
            raise RuntimeError(f"locust exited with {done.returncode}: {done.stderr[-2000:]}")
        result = LoadResult(users, seconds)
        with open(f"{prefix}_stats.csv", newline="") as f:
            for row in csv.DictReader(f):
                figures = (int(row["Request Count"]), _seconds(row["50%"]),
                           _seconds(row["90%"]))
                if row["Name"] == "Aggregated":
                    result.total = figures
                    result.requests = int(row["Request Count"])
                    result.errors = int(row["Failure Count"])
                else:
                    result.by_kind[row["Name"]] = figures
        with open(f"{prefix}_failures.csv", newline="") as f:
            result.first_errors = [f"{row['Name']}: {row['Occurrences']}× {row['Error']}"[:300]
                                   for row in csv.DictReader(f)][:5]
    return result
