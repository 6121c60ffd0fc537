"""The benchmark suite runs end to end on a small demo region (2 iterations, no timing asserts)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date
from typing import Any

import httpx
import psycopg

from bench import floors
from bench.fixtures import discover, discover_demo
from bench.load import run_load
from bench.run import DEMO_PAGE, OVERHEAD, measure, measure_demo_page, table
from bench.scenarios import DISTRICT, login, post
from bench.server import real_server
from bench.statements import count_per_request
from db.engine import DatabaseUrls, libpq_dsn
from db.seed import seed_demo
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id
from tests.scratch import scratch_database


def _district_report(base: str, officer: str, variables: dict[str, Any]) -> list[Any]:
    async def run() -> list[Any]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            token = await login(client, officer, "demo")
            return list((await post(client, DISTRICT, variables, token))["aggregates"]["rows"])

    return asyncio.run(run())


def test_bench_runs_every_scenario_against_the_real_server(database: DatabaseUrls) -> None:
    # given: the demo region with its first three weeks of lessons, in a scratch database
    with scratch_database(database) as urls:
        seed_demo(urls.owner, year=2015, until=date(2015, 9, 20), hash_password=hash_password)
        with psycopg.connect(libpq_dsn(urls.owner)) as conn:
            fx = discover(conn)
            outputs = {name: floor(conn, fx) for name, floor in floors.FLOORS.items()}
            # the demo page of issue 18 (the bench seeds `make demo`'s data for it)
            demo_fx = discover_demo(conn)
            demo_group = conn.execute("SELECT name, kind FROM study_groups WHERE id = %s",
                                      (demo_fx.journal_group,)).fetchone()
            demo_floor = json.loads(floors.journal(conn, demo_fx))
            most = conn.execute("""
                SELECT m.name, count(*) FROM schools s JOIN municipalities m
                ON m.id = s.municipality_id GROUP BY m.name ORDER BY count(*) DESC""").fetchall()

        # when
        rows = measure(urls, fx, n=2, total=4, concurrency=2)
        counts = count_per_request(urls, fx)
        demo_row, demo_count, _ = measure_demo_page(
            urls, argparse.Namespace(n=2, total=4, concurrency=2), None)
        with real_server(urls, workers=1) as (base, _memory):
            # long enough for every kind of request to be made on a loaded machine (2 s once
            # made none: locust's users were still logging in)
            load = run_load(base, fx, users=3, seconds=10)
            report = _district_report(base, fx.officer_login, fx.district_vars)

    # then
    assert demo_group == ("8Б Алгебра", "whole_class")
    assert demo_fx.journal_students > 20 and demo_fx.lesson_count > 0
    assert len(demo_floor["students"]) >= demo_fx.journal_students  # a row per membership
    assert len(demo_floor["lessons"]) == demo_fx.lesson_count
    assert demo_row.scenario == DEMO_PAGE and demo_row.p50_ms and demo_row.floor_p50_ms
    assert demo_count == 2  # the access context and the journal statement
    by_name = {r.scenario: r for r in rows}
    assert set(by_name) == {"me", OVERHEAD, "journal", "diary", "diary cached", "setMarks",
                            "district", "login"}
    requests = [r for r in rows if r.scenario != OVERHEAD]
    assert all(r.p50_ms is not None and r.rps for r in requests), rows
    assert all(counts[r.scenario] for r in requests), counts
    # the fixed cost: `me { login }` answers from the access context, one statement
    assert counts["me"] == 1, counts
    assert by_name[OVERHEAD].p50_ms is not None and by_name[OVERHEAD].ratio is None
    assert load.requests > 0 and load.errors == 0, load.first_errors
    assert set(load.by_kind) == {"diary", "journal", "setMarks"}, load.by_kind
    assert table(rows, 2).row_count == 8
    # The district: the municipality with the most schools (Белогорск, 4), its officer.
    assert most[0] == ("г. Белогорск", 4) and most[1][1] < 4
    assert fx.officer_login == "belogorsk" and fx.district_schools == 4
    # The floor fetches comparable figures: the same schools, marks, bands, held lessons and
    # student-lessons as the API's report.
    floor = json.loads(outputs["district"])
    assert all(len(floor[k]) == 4 for k in ("schools", "marks", "timeliness", "attendance"))
    api = {r["schoolId"]: r for r in report}
    assert set(api) == {to_global_id("School", s[0]) for s in floor["schools"]}
    for school, n, graded, twos, threes, fours, fives, *_ in floor["marks"]:
        marks = api[to_global_id("School", school)]["marks"]
        assert (marks["marks"], marks["gradedMarks"]) == (n, graded)
        assert marks["bands"] == {"twos": twos, "threes": threes, "fours": fours, "fives": fives}
    for school, held, *_ in floor["timeliness"]:
        assert api[to_global_id("School", school)]["timeliness"]["lessonsHeld"] == held
    for school, students, student_lessons, *_ in floor["attendance"]:
        attendance = api[to_global_id("School", school)]["attendance"]
        assert (attendance["students"], attendance["studentLessons"]) == (
            students, student_lessons)
