"""The region-year scale (the benchmark data): ~9,000 students, dense marking, deterministic.

Seeded to the first week of September only, to stay cheap: the density per held lesson is
what makes the whole year hold a few million marks (2.55 million with seed 1).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from db.engine import libpq_dsn
from db.seed import seed_demo
from resolvers.auth.passwords import hash_password
from tests.db.test_seed_demo import _fingerprint, fresh_database

ARGS: dict[str, Any] = {"seed": 3, "until": date(2015, 9, 8), "scale": "region-year",
                         "hash_password": hash_password}

# Per held lesson of grades 2–11 (first-graders get no marks): the marks, how many lessons
# have any, and how many lessons have a mark for nearly every member of the group.
_DENSITY = """
    WITH per_lesson AS (
        SELECT l.id, g.id AS group_id,
               (SELECT count(*) FROM marks m
                 WHERE m.school_id = l.school_id AND m.lesson_id = l.id) AS marks,
               (SELECT count(*) FROM group_memberships gm
                 WHERE gm.school_id = g.school_id AND gm.group_id = g.id) AS members
          FROM lessons l
          JOIN study_groups g ON (g.school_id, g.id) = (l.school_id, l.group_id)
          JOIN classes c ON (c.school_id, c.id) = (g.school_id, g.class_id)
         WHERE l.status = 'held' AND c.grade_level >= 2)
    SELECT count(*), avg(marks), avg((marks > 0)::int),
           avg((marks >= 0.75 * members)::int)
      FROM per_lesson"""


def test_region_year_is_deterministic_with_nine_thousand_students_and_dense_marks() -> None:
    # given / when: the same arguments twice, each into a database of its own
    with fresh_database("ry1") as first, fresh_database("ry2") as second:
        summary = seed_demo(first, **ARGS)
        again = seed_demo(second, **ARGS)

        # then: the same rows and ids
        assert again == summary
        assert _fingerprint(second) == _fingerprint(first)

        # and: the size the issue asks for
        assert 8500 <= summary.students <= 9500
        with psycopg.connect(libpq_dsn(first)) as c:
            c.execute("SELECT set_config('zhurnal.school_ids', string_agg(id::text, ','), false)"
                      " FROM schools")
            lessons, per_lesson, with_marks, whole_group = c.execute(_DENSITY).fetchone()
            students = c.execute("SELECT count(*) FROM person_roles WHERE role = 'student'")
            assert students.fetchone() == (summary.students,)
            attendance = c.execute("SELECT count(*) FROM attendance").fetchone()[0]
        # and: marks in most lessons, several a lesson, a whole group in some. The demo scale
        # has 4.0 a lesson, in 68% of the lessons, a whole group in 12% (the last lessons of a
        # period mark whoever has fewer than three marks); this one 6.9, 90%, 20%
        assert lessons > 5000
        assert per_lesson >= 6, per_lesson
        assert with_marks >= 0.85, with_marks
        assert 0.15 <= whole_group <= 0.4, whole_group
        assert attendance > lessons // 4
