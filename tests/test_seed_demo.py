"""The demo seeder: the pilot schools, their set-ups, special cases, keys and determinism."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL

from db.engine import libpq_dsn, owner_engine, resolve_urls
from db.migrate import upgrade
from db.seed import DemoSummary, seed_demo
from db.seed.ids import new_id
from db.seed.schools import SCHOOLS
from resolvers.auth.passwords import hash_password

UNTIL = date(2015, 11, 10)  # after the first quarter and the first module, before the second
ARGS: dict[str, Any] = {"seed": 7, "year": 2015, "until": UNTIL,
                         "hash_password": hash_password}


@contextmanager
def fresh_database(tag: str) -> Iterator[URL]:
    """A migrated database of its own: the shared `database` fixture must keep two schools."""
    base = resolve_urls().owner
    name = f"zhurnal_seed_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = libpq_dsn(base.set(database="postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name)
    try:
        upgrade(url)
        yield url
    finally:
        owner_engine(url).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Seeded:
    url: URL
    summary: DemoSummary


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with fresh_database("a") as url:
        yield Seeded(url, seed_demo(url, **ARGS))


@pytest.fixture()
def conn(seeded: Seeded) -> Iterator[psycopg.Connection[Any]]:
    """The owner, scoped to every school (RLS is forced even for the owner)."""
    with psycopg.connect(libpq_dsn(seeded.url)) as c:
        c.execute("SELECT set_config('zhurnal.school_ids', string_agg(id::text, ','), false)"
                  " FROM schools")
        yield c
        c.rollback()


def rows(c: psycopg.Connection[Any], query: str, *params: object) -> list[tuple[Any, ...]]:
    return c.execute(query, params).fetchall()


def test_seed_creates_the_twelve_pilot_schools(seeded: Seeded, conn: psycopg.Connection[Any]
                                               ) -> None:
    names = {r[0] for r in rows(conn, "SELECT name FROM schools")}
    assert names == {s.name for s in SCHOOLS}
    assert "МОКУ Долдыканская МОШ Бурейского района" in names
    assert rows(conn, "SELECT DISTINCT timezone FROM schools") == [("Asia/Yakutsk",)]
    assert rows(conn, "SELECT count(*) FROM municipalities") == [(6,)]
    assert rows(conn, "SELECT name FROM regions") == [("Амурская область",)]
    assert seeded.summary.schools == 12
    assert 3000 <= seeded.summary.students <= 4500
    assert seeded.summary.lessons == rows(conn, "SELECT count(*) FROM lessons")[0][0]
    assert seeded.summary.marks == rows(conn, "SELECT count(*) FROM marks")[0][0]


def test_schools_use_their_period_schemes(conn: psycopg.Connection[Any]) -> None:
    kinds = dict(rows(conn, """
        SELECT s.name, string_agg(DISTINCT ps.kind, ',' ORDER BY ps.kind)
          FROM schools s JOIN period_schemes ps ON ps.school_id = s.id GROUP BY s.name"""))
    assert kinds["МОАУ Гимназия № 1 г. Белогорска"] == "trimesters"
    assert kinds["МОАУ СОШ № 200 г. Белогорска"] == "modules"
    assert kinds["МОАУ Гимназия № 1 г. Благовещенска"] == "half_years,quarters"
    senior = rows(conn, """
        SELECT count(DISTINCT g.school_id) FROM grade_level_schemes g
          JOIN period_schemes ps ON (ps.school_id, ps.id) = (g.school_id, g.scheme_id)
         WHERE g.grade_level IN (10, 11) AND ps.kind = 'half_years'""")
    assert senior[0][0] >= 2


def test_periods_are_ordered_inside_the_year_and_disjoint(conn: psycopg.Connection[Any]) -> None:
    periods = rows(conn, """
        SELECT p.scheme_id, p.ordinal, p.starts_on, p.ends_on, y.starts_on, y.ends_on
          FROM periods p
          JOIN period_schemes ps ON (ps.school_id, ps.id) = (p.school_id, p.scheme_id)
          JOIN academic_years y ON (y.school_id, y.id) = (ps.school_id, ps.academic_year_id)
         ORDER BY p.school_id, p.scheme_id, p.ordinal""")
    previous: dict[uuid.UUID, date] = {}
    for scheme, _, starts, ends, year_start, year_end in periods:
        assert year_start <= starts <= ends <= year_end
        if scheme in previous:
            assert previous[scheme] < starts
        previous[scheme] = ends
    assert len(previous) == 16


def test_ten_point_and_pass_fail_systems_are_in_use(conn: psycopg.Connection[Any]) -> None:
    used = dict(rows(conn, """
        SELECT gs.template_code, count(*) FROM grading_system_uses u
          JOIN grading_systems gs ON (gs.school_id, gs.id) = (u.school_id, u.system_id)
         GROUP BY gs.template_code"""))
    assert used["ten_point"] == 5 and used["pass_fail"] >= 1 and used["five_point"] == 12
    tables = rows(conn, "SELECT provenance FROM conversion_tables")
    assert len(tables) == 1 and "локальный акт ОО" in tables[0][0]
    ten_marks = rows(conn, """
        SELECT count(*) FROM marks m
          JOIN mark_values v ON (v.school_id, v.id) = (m.school_id, m.value_id)
          JOIN grading_systems gs ON (gs.school_id, gs.id) = (v.school_id, v.system_id)
         WHERE gs.template_code = 'ten_point'""")
    assert ten_marks[0][0] > 0


def test_mark_values_cover_the_axis_contiguously(conn: psycopg.Connection[Any]) -> None:
    for table, key in (("mark_values", "system_id"), ("grading_template_values", "template_id")):
        scales: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
        for owner, low, high, point in rows(
            conn, f"SELECT {key}, range_low, range_high, point FROM {table} ORDER BY {key}, ordinal"
        ):
            scales.setdefault(owner, []).append((low, high, point))
        assert scales
        for values in scales.values():
            assert values[0][0] == 0 and values[-1][1] == 100
            for (_, high, _), (low, _, _) in itertools.pairwise(values):
                assert high == low
            assert all(low <= point <= high for low, high, point in values)


def test_splits_partition_their_class(conn: psycopg.Connection[Any]) -> None:
    splits = rows(conn, "SELECT school_id, id, class_id FROM splits")
    assert splits
    for school, split, klass in splits:
        current = {r[0] for r in rows(conn, """
            SELECT student_id FROM enrollments WHERE school_id = %s AND class_id = %s
               AND starts_on <= %s AND (ends_on IS NULL OR ends_on >= %s)""",
            school, klass, UNTIL, UNTIL)}
        placed = rows(conn, """
            SELECT m.student_id FROM group_memberships m
              JOIN study_groups g ON (g.school_id, g.id) = (m.school_id, m.group_id)
             WHERE g.school_id = %s AND g.split_id = %s
               AND m.starts_on <= %s AND (m.ends_on IS NULL OR m.ends_on >= %s)""",
            school, split, UNTIL, UNTIL)
        assert sorted(r[0] for r in placed) == sorted(current)


def test_a_cross_class_elective_draws_from_two_classes(conn: psycopg.Connection[Any]) -> None:
    spread = rows(conn, """
        SELECT g.id, count(DISTINCT e.class_id) FROM study_groups g
          JOIN group_memberships m ON (m.school_id, m.group_id) = (g.school_id, g.id)
          JOIN enrollments e ON (e.school_id, e.student_id) = (m.school_id, m.student_id)
         WHERE g.kind = 'cross_class' AND g.category = 'elective' GROUP BY g.id""")
    assert spread and all(classes >= 2 for _, classes in spread)


def test_a_student_moved_class_with_marks_in_both(conn: psycopg.Connection[Any]) -> None:
    moved = rows(conn, """
        SELECT school_id, student_id, array_agg(ends_on ORDER BY starts_on),
               array_agg(starts_on ORDER BY starts_on)
          FROM enrollments GROUP BY school_id, student_id HAVING count(*) = 2""")
    assert len(moved) == 1
    school, student, ends, starts = moved[0]
    assert ends[1] is None and (starts[1] - ends[0]).days == 1
    classes = rows(conn, """
        SELECT DISTINCT g.class_id FROM marks m
          JOIN study_groups g ON (g.school_id, g.id) = (m.school_id, m.group_id)
         WHERE m.school_id = %s AND m.student_id = %s""", school, student)
    assert len(classes) == 2


def test_a_lesson_was_taught_by_a_substitute(conn: psycopg.Connection[Any]) -> None:
    subs = rows(conn, """
        SELECT count(*) FROM lessons WHERE actual_teacher_id <> scheduled_teacher_id
           AND substitution_reason = 'болезнь учителя'""")
    assert subs[0][0] > 0


def test_the_journal_has_lessons_marks_attendance_and_grades(conn: psycopg.Connection[Any]
                                                            ) -> None:
    statuses = dict(rows(conn, "SELECT status, count(*) FROM lessons GROUP BY status"))
    assert statuses["held"] > 0 and statuses["scheduled"] > 0
    assert rows(conn, "SELECT max(date) FROM lessons")[0][0] == UNTIL
    late = rows(conn, "SELECT count(*) FROM marks WHERE entered_at > work_date + 8")
    assert late[0][0] > 0
    kinds = {r[0] for r in rows(conn, "SELECT DISTINCT kind FROM attendance")}
    assert kinds == {"absent", "ill", "excused", "late"}
    states = dict(rows(conn, "SELECT state, count(*) FROM grades GROUP BY state"))
    assert states["graded"] > 1000
    assert states["deferred"] >= 1 and states["not_attested"] >= 1 and states["exempt"] >= 1
    assert rows(conn, "SELECT count(*) FROM curriculum_lines")[0][0] > 0


def test_every_demo_account_exists(seeded: Seeded, conn: psycopg.Connection[Any]) -> None:
    accounts = seeded.summary.accounts
    logins = [a.login for a in accounts]
    assert logins[:2] == ["region", "belogorsk"]
    for prefix in ("g1", "s11"):
        for key in ("admin", "teacher", "classteacher", "student", "parent"):
            assert f"{prefix}.{key}" in logins
    stored = dict(rows(conn, "SELECT login, id FROM accounts"))
    assert set(logins) <= set(stored)
    assert all(login == login.lower() and login.isascii() for login in logins)
    persons = dict(rows(conn, """
        SELECT a.login, count(p.id) FROM accounts a
          LEFT JOIN persons p ON p.account_id = a.id GROUP BY a.login"""))
    assert persons["s11.parent"] == 2  # a guardian with children in two schools
    assert persons["g1.student"] == 1 and persons["region"] == 0
    assert rows(conn, "SELECT count(*) FROM officer_roles")[0][0] == 2


def test_every_foreign_key_holds(conn: psycopg.Connection[Any]) -> None:
    """The seeder may skip the per-row key triggers, so check every key here."""
    keys = rows(conn, """
        SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                      ORDER BY k.o),
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                      ORDER BY k.o)
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace""")
    assert len(keys) > 50
    for name, child, parent, columns, targets in keys:
        present = " AND ".join(f"x.{c} IS NOT NULL" for c in columns)
        match = " AND ".join(f"y.{t} = x.{c}" for c, t in zip(columns, targets, strict=True))
        dangling = rows(conn, f"SELECT count(*) FROM {child} x WHERE {present}"
                              f" AND NOT EXISTS (SELECT 1 FROM {parent} y WHERE {match})")
        assert dangling == [(0,)], name


def _fingerprint(url: URL) -> tuple[str, str, str]:
    with psycopg.connect(libpq_dsn(url)) as c:
        c.execute("SELECT set_config('zhurnal.school_ids', string_agg(id::text, ','), false)"
                  " FROM schools")
        digests = []
        for query in (
            "SELECT id FROM marks ORDER BY id",
            "SELECT id, last_name, first_name, middle_name FROM persons ORDER BY id",
            "SELECT id, topic, homework, topic_entered_at FROM lessons ORDER BY id",
        ):
            digest = hashlib.sha256()
            for row in c.execute(query):
                digest.update(repr(row).encode())
            digests.append(digest.hexdigest())
        return digests[0], digests[1], digests[2]


def test_the_same_arguments_give_the_same_rows_and_ids(seeded: Seeded) -> None:
    with fresh_database("b") as url:
        again = seed_demo(url, **ARGS)
        assert again == seeded.summary
        assert _fingerprint(url) == _fingerprint(seeded.url)


def test_seeding_a_database_with_schools_is_refused(seeded: Seeded) -> None:
    with pytest.raises(ValueError, match="already has schools"):
        seed_demo(seeded.url, **ARGS)


def test_new_id_is_a_version_4_uuid_from_the_stream() -> None:
    a, b = random.Random(3), random.Random(3)
    for _ in range(100):
        made = new_id(a)
        assert made == uuid.UUID(int=b.getrandbits(128), version=4)
        assert made.version == 4 and str(made) == str(uuid.UUID(str(made)))
