"""The journal's answers, byte for byte, before and after a change of its code path (issue 18).

    python -m bench.journal_same dump OUT.json [--demo]   # every page of a school, as served
    python -m bench.journal_same compare A.json B.json    # exit 1 on any difference

`dump` serves the bench data in-process (production settings, as bench.profile) and asks, as
the school's administrator, for the journal of every study group of the `g1` school in every
period of its year (a period outside the group's scheme answers with its error, which is
compared too), and for some pages read in another grading system (`in`). It writes each
answer's HTTP body as it came (base64 is not needed: the bodies are UTF-8 JSON), keyed by the
page. To compare two revisions, run `dump` with each (e.g. the old one from a `git archive`
with `PYTHONPATH` pointing at it, on the same database) and `compare` the files. The dump also
says how many pages have subgroups, extra marks, transferred students and mark ids, so a
comparison that covers none of them is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.data import prepare
from bench.scenarios import JOURNAL, login
from db.engine import libpq_dsn
from schema.ids import to_global_id
from server.app import create_app
from tests.server_fixture import PRODUCTION_SETTINGS

# The bench's journal query, with what it leaves out.
QUERY = JOURNAL.replace("journal(groupId: $groupId, periodId: $periodId) {",
                        "journal(groupId: $groupId, periodId: $periodId, in: $in) {\n"
                        "    withoutMarks").replace(
    "query Journal($groupId: ID!, $periodId: ID!)",
    "query Journal($groupId: ID!, $periodId: ID!, $in: ID)")


def _extra_marks(conn: psycopg.Connection[Any], school: Any) -> None:
    """The seeds write no mark without a lesson: give a subgroup of the school whose member
    left it during the year three of them, once (committed; the benched pages are not in
    that school's subgroups, and the marks are dated in the first quarter)."""
    row = conn.execute("""
        SELECT g.id, gm.student_id, m.work_type_id, m.value_id, m.entered_by_id,
               (SELECT min(l.date) + 3 FROM lessons l WHERE l.group_id = g.id)
        FROM study_groups g
        JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.id
        JOIN marks m ON m.school_id = g.school_id AND m.group_id = g.id
        WHERE g.school_id = %s AND g.kind = 'subgroup'
          AND EXISTS (SELECT 1 FROM group_memberships x WHERE x.group_id = g.id
                      AND x.ends_on IS NOT NULL)
        ORDER BY g.id, gm.student_id, m.id LIMIT 1""", (school,)).fetchone()
    if row is None or conn.execute("SELECT EXISTS (SELECT 1 FROM marks WHERE group_id = %s "
                                   "AND lesson_id IS NULL)", (row[0],)).fetchone() == (True,):
        return
    group, student, work_type, value, teacher, day = row
    for i in range(3):
        conn.execute("""
            INSERT INTO marks (school_id, id, group_id, lesson_id, student_id, work_date,
                               work_type_id, value_id, entered_by_id)
            VALUES (%s, gen_random_uuid(), %s, NULL, %s, %s, %s, %s, %s)""",
                     (school, group, student, day + timedelta(days=i), work_type, value, teacher))
    conn.commit()


def _pages(conn: psycopg.Connection[Any], school_login: str) -> list[dict[str, Any]]:
    conn.execute("SELECT set_config('zhurnal.school_ids', "
                 "(SELECT string_agg(id::text, ',') FROM schools), false)")
    school = conn.execute("""
        SELECT p.school_id FROM accounts a JOIN persons p ON p.account_id = a.id
        WHERE a.login = %s LIMIT 1""", (school_login,)).fetchone()
    assert school is not None, f"no {school_login}: is the database seeded?"
    _extra_marks(conn, school[0])
    rows = conn.execute("""
        SELECT g.id, g.kind, p.id, (SELECT gs.id FROM grading_systems gs
                                    WHERE gs.school_id = g.school_id ORDER BY gs.name DESC
                                    LIMIT 1)
        FROM study_groups g
        JOIN period_schemes ps ON ps.school_id = g.school_id
         AND ps.academic_year_id = g.academic_year_id
        JOIN periods p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
        WHERE g.school_id = %s
        ORDER BY g.name, g.id, p.starts_on, p.id""", (school[0],)).fetchall()
    pages = []
    for i, (group, kind, period, other) in enumerate(rows):
        variables = {"groupId": to_global_id("StudyGroup", group),
                     "periodId": to_global_id("Period", period), "in": None}
        pages.append({"kind": kind, "variables": variables})
        if i % 7 == 0 and other is not None:  # some pages read in another system
            pages.append({"kind": kind, "variables": variables | {
                "in": to_global_id("GradingSystem", other)}})
    return pages


async def _dump(demo: bool, school_login: str) -> tuple[dict[str, str], dict[str, str]]:
    data = prepare(log=lambda *_: None)
    urls = data.demo if demo else data.full
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        pages = _pages(conn, school_login)
    app = create_app(urls, PRODUCTION_SETTINGS)
    out: dict[str, str] = {}
    kinds: dict[str, str] = {}
    async with app.router.lifespan_context(app):
        # the refused periods are logged as errors (with their traceback): compared, not shown
        logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     timeout=120) as client:
            token = await login(client, school_login, "demo")
            for page in pages:
                response = await client.post(
                    "/graphql", json={"query": QUERY, "variables": page["variables"]},
                    headers={"Authorization": f"Bearer {token}"})
                key = json.dumps(page["variables"], sort_keys=True)
                out[key] = f"{response.status_code} {response.content.decode()}"
                kinds[key] = page["kind"]
    return out, kinds


def _coverage(answers: dict[str, str], kinds: dict[str, str]) -> str:
    pages = subgroups = extra = transferred = ids = errors = 0
    for key, body in answers.items():
        answer = json.loads(body.split(" ", 1)[1])
        if answer.get("errors"):
            errors += 1
        page = (answer.get("data") or {}).get("journal")
        if not page:
            continue
        pages += 1
        students = page["students"]
        extra += any(s["extraMarks"] for s in students)
        transferred += any(s["endsOn"] for s in students)
        ids += any(any(cell for cell in s["markIds"]) for s in students)
        subgroups += kinds[key] == "subgroup"
    return (f"{len(answers)} answers: {pages} pages ({ids} with mark ids, {extra} with extra "
            f"marks, {transferred} with a student who left the group, {subgroups} of "
            f"subgroups), {errors} errors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump")
    dump.add_argument("out", type=Path)
    dump.add_argument("--demo", action="store_true", help="the `make demo` data")
    dump.add_argument("--login", default="g1.admin")
    compare = sub.add_parser("compare")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path)
    args = parser.parse_args()
    logging.getLogger("zhurnal.requests").setLevel(logging.WARNING)
    if args.command == "dump":
        answers, kinds = asyncio.run(_dump(args.demo, args.login))
        args.out.write_text(json.dumps(answers, ensure_ascii=False, indent=0))
        print(_coverage(answers, kinds))
        return
    a, b = (json.loads(p.read_text()) for p in (args.a, args.b))
    differ = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
    print(f"{len(a)} and {len(b)} answers; {len(differ)} differ")
    for k in differ[:5]:
        print(" ", k, "\n   ", (a.get(k) or "")[:300], "\n   ", (b.get(k) or "")[:300])
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
