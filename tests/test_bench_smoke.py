"""The benchmark suite runs end to end on a small demo region (2 iterations, no timing asserts)."""

from __future__ import annotations

from datetime import date

import psycopg

from bench import floors
from bench.fixtures import discover
from bench.load import run_load
from bench.run import measure, table
from bench.server import real_server
from bench.statements import count_per_request
from db.engine import DatabaseUrls, libpq_dsn
from db.seed import seed_demo
from tests.scratch import scratch_database


def test_bench_runs_every_scenario_against_the_real_server(database: DatabaseUrls) -> None:
    # given: the demo region with its first three weeks of lessons, in a scratch database
    with scratch_database(database) as urls:
        seed_demo(urls.owner, year=2015, until=date(2015, 9, 20))
        with psycopg.connect(libpq_dsn(urls.owner)) as conn:
            fx = discover(conn)
            for floor in floors.FLOORS.values():
                assert floor(conn, fx)

        # when
        rows = measure(urls, fx, n=2, total=4, concurrency=2)
        counts = count_per_request(urls, fx)
        with real_server(urls, workers=1) as (base, _memory):
            load = run_load(base, fx, users=3, seconds=2)

    # then
    by_name = {r.scenario: r for r in rows}
    assert set(by_name) == {"journal", "diary", "setMarks", "district", "login"}
    assert by_name["journal"].p50_ms is not None and by_name["district"].p50_ms is None
    assert counts["journal"] and counts["diary"] and counts["district"] is None
    assert load.requests > 0 and load.errors == 0, load.first_errors
    assert table(rows, 2).row_count == 5
