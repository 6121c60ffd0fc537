"""The district's figure statements (resolvers/aggregates/sql.py) against an earlier version of
them, on the demo for today: same rows, and the time of each, alternated (A B B A).

    .venv/bin/python -m bench.aggregates_ab --rev 3ab1caa ATTAINMENT ATTENDANCE

A is the file as it was at `--rev` (git show), B as it is now; each runs as the regional
officer over all 12 schools, with RLS on, as the `aggregates` query runs it. Alone, not part
of `make bench`; the demo is seeded afresh into the bench cluster (bench/web.py).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import types
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.web import demo_database
from db.engine import owner_engine
from db.settings import OFFICER_ROLE
from db.tenancy import set_tenant
from resolvers.aggregates import sql as current
from resolvers.aggregates.queries import AggregateDimension as D
from resolvers.aggregates.queries import statement_params

GROUPINGS = {"school": [D.SCHOOL], "municipality": [D.MUNICIPALITY],
             "grade level": [D.GRADE_LEVEL], "none": []}


def _old(rev: str) -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{rev}:resolvers/aggregates/sql.py"],
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"sql_at_{rev}")
    exec(compile(source, module.__name__, "exec"), module.__dict__)  # our own file, at a commit
    return module


def _ranges(last: date) -> dict[str, tuple[date, date]]:
    """This month so far, the month before, and the school year so far."""
    month = last.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    year = date(last.year if last.month >= 9 else last.year - 1, 9, 1)
    return {"this month": (month, last), "last month": (before, month - timedelta(days=1)),
            "the year so far": (year, last)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", required=True, help="git revision of the statements to compare")
    parser.add_argument("-n", "--runs", type=int, default=4, help="timed runs of each")
    parser.add_argument("statements", nargs="+", help="e.g. ATTAINMENT ATTENDANCE")
    args = parser.parse_args()
    old = _old(args.rev)
    with demo_database() as urls:
        app = owner_engine(urls.app)
        with owner_engine(urls.owner).connect() as conn:
            schools = [r[0] for r in conn.execute(text("SELECT id FROM schools"))]
            [last] = conn.execute(text("SELECT max(date) FROM lessons WHERE status = 'held'")).one()

        def run(statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            with Session(app) as session:
                set_tenant(session, schools)
                session.execute(text(f"SET LOCAL ROLE {OFFICER_ROLE}"))
                return sorted(map(tuple, session.execute(statement, params).all()), key=repr)

        def timed(call: Callable[[], object]) -> float:
            started = time.perf_counter()
            call()
            return time.perf_counter() - started

        differ = 0
        for name in args.statements:
            a, b = getattr(old, name), getattr(current, name)
            for label, (start, end) in _ranges(last).items():
                for grouping, dims in GROUPINGS.items():
                    params = statement_params(schools, start, end, dims)
                    same = run(a, params) == run(b, params)
                    differ += not same
                    times: dict[str, list[float]] = {"A": [], "B": []}
                    for i in range(args.runs):
                        for which in ("AB" if i % 2 == 0 else "BA"):
                            stmt = a if which == "A" else b
                            times[which].append(timed(lambda s=stmt, p=params: run(s, p)))
                    print(f"{name:<11} {label:<16} {grouping:<13} identical={same!s:<5} "
                          f"A {statistics.median(times['A']) * 1000:7.0f} ms  "
                          f"B {statistics.median(times['B']) * 1000:7.0f} ms", flush=True)
        print("all rows identical" if not differ else f"{differ} comparisons differ")
        app.dispose()


if __name__ == "__main__":
    main()
