"""The benchmark databases: a region-year and its first quarter, in their own embedded folder."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from db import embedded
from db.engine import DatabaseUrls, libpq_dsn
from db.migrate import upgrade
from db.seed.calendar import academic_year_of, scheme_plan, year_bounds
from db.seed.demo import seed_demo
from db.settings import APP_ROLE
from resolvers.auth.passwords import hash_password

DATA_DIR = Path(".zhurnal/bench")
YEAR_DB = "zhurnal_bench_year"
QUARTER_DB = "zhurnal_bench_q1"
# The demo data as `make demo` loads it (`zhurnal demo`: seed 1, the academic year holding the
# day it is seeded, lessons up to that day): the page issue 18 measured (8Б Алгебра).
DEMO_DB = "zhurnal_bench_demo"


@dataclass(frozen=True)
class BenchData:
    year: int
    full: DatabaseUrls
    quarter: DatabaseUrls
    demo: DatabaseUrls


def bench_year(today: date | None = None) -> int:
    """The last academic year that has ended (what `--scale region-year` seeds by default)."""
    today = today or date.today()
    year = academic_year_of(today)
    return year - 1 if year_bounds(year).ends_on >= today else year


def first_quarter_end(year: int) -> date:
    return scheme_plan("quarters", year).periods[0].ends_on


def _urls(data_dir: Path, database: str) -> DatabaseUrls:
    owner = make_url(embedded.start(data_dir.absolute(), database))
    owner = owner.set(drivername="postgresql+psycopg")
    return DatabaseUrls(owner=owner, app=owner.set(username=APP_ROLE))


def _has_schools(url: URL) -> bool:
    with psycopg.connect(libpq_dsn(url)) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM schools)").fetchone() == (True,)


def prepare(data_dir: Path = DATA_DIR, log=print) -> BenchData:
    """Start the bench cluster and seed both databases once (kept between runs)."""
    year = bench_year()
    full = _urls(data_dir, YEAR_DB)
    quarter = _urls(data_dir, QUARTER_DB)
    demo = _urls(data_dir, DEMO_DB)
    for urls, until, what in ((full, None, "region-year"),
                              (quarter, first_quarter_end(year), "first quarter"),
                              (demo, None, "demo")):
        upgrade(urls.owner)
        if _has_schools(urls.owner):
            continue
        started = time.perf_counter()
        if what == "demo":
            # What `zhurnal demo` runs on an empty database (server/cli.py `demo`).
            summary = seed_demo(urls.owner, seed=1, year=None, until=None,
                                hash_password=hash_password)
        else:
            # The quarter database is the same region seeded only to the end of its first
            # quarter (the next day, so the quarter's last lessons are held too).
            stop = None if until is None else date.fromordinal(until.toordinal() + 1)
            summary = seed_demo(urls.owner, year=year, until=stop, scale="region-year",
                                hash_password=hash_password)
        elapsed = time.perf_counter() - started
        # As an operator would after a bulk load: otherwise autovacuum runs through the new
        # tables during the first measurements, and the checkpointer writes the load's 1.25 GB
        # while they run (the first run's setMarks, the first to commit, took 87 ms instead
        # of 38).
        with psycopg.connect(libpq_dsn(urls.owner), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            conn.execute("CHECKPOINT")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        # The seeding ran in this process: its peak resident memory so far is the seeder's
        # (issue 8: the region-year load within 2 GB).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log(f"seeded {what} ({urls.owner.database}): {summary.students} students, "
            f"{summary.lessons} lessons, {summary.marks} marks in {elapsed:.0f} s; "
            f"database {size[0] / 2**30 if size else 0:.2f} GB, seeding peak RSS {peak:.0f} MB")
    return BenchData(year, full, quarter, demo)


if __name__ == "__main__":
    prepare()
