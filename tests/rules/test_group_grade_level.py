"""A group's grade level (resolvers/grading/uses.py `group_grade_level`): the one SQL rule
that the journal, closing, bulk writes, the aggregates, the curriculum and teaching without
marks share, checked in the database as the application role."""

from __future__ import annotations

import uuid
from datetime import date

import psycopg
from psycopg.rows import dict_row

from resolvers.grading.uses import GROUP_GRADE_LEVEL
from tests.factories import TwoSchools

LEVEL = f"SELECT {GROUP_GRADE_LEVEL} AS grade_level FROM study_groups sg WHERE sg.id = %s"


def test_a_cross_class_group_takes_the_youngest_class_of_its_own_year_only(
    schools: TwoSchools, owner_conn: psycopg.Connection, app_conn: psycopg.Connection
) -> None:
    """Guards the bug where the aggregates and the journal disagreed: a member's enrollment in
    a class of an earlier year (grade 4 last year) must not lower this year's group (grade 5)."""
    # given: school A's student is in 5А this year and was in 4А the year before; a cross-class
    # group of this year has them as a member
    a = schools.a
    last_year, old_class, group = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with owner_conn.cursor() as cur:
        cur.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(a.id),))
        cur.execute("INSERT INTO academic_years (school_id, id, name, starts_on, ends_on) "
                    "VALUES (%s, %s, '2014/2015', '2014-09-01', '2015-05-31')",
                    (a.id, last_year))
        cur.execute("INSERT INTO classes (school_id, id, academic_year_id, grade_level, letter)"
                    " VALUES (%s, %s, %s, 4, 'А')", (a.id, old_class, last_year))
        cur.execute("INSERT INTO enrollments (school_id, id, class_id, student_id, starts_on, "
                    "ends_on) VALUES (%s, %s, %s, %s, '2014-09-01', '2015-05-31')",
                    (a.id, uuid.uuid4(), old_class, a.people["student"]))
        cur.execute("SELECT id FROM subjects WHERE school_id = %s LIMIT 1", (a.id,))
        subject = cur.fetchone()[0]
        cur.execute("INSERT INTO study_groups (school_id, id, academic_year_id, subject_id, kind,"
                    " name) VALUES (%s, %s, %s, %s, 'cross_class', 'Кружок')",
                    (a.id, group, a.year_id, subject))
        cur.execute("INSERT INTO group_memberships (school_id, id, group_id, student_id, "
                    "starts_on) VALUES (%s, %s, %s, %s, %s)",
                    (a.id, uuid.uuid4(), group, a.people["student"], date(2015, 9, 1)))
        # when: the rule is read in the same transaction
        cur.execute(LEVEL, (group,))
        level = cur.fetchone()[0]
    # then: this year's class counts, last year's does not
    assert level == 5


def test_a_whole_class_group_takes_its_class_level(
    schools: TwoSchools, app_conn: psycopg.Connection
) -> None:
    """A class's own group reads the class's level, under RLS as the application role."""
    a = schools.a
    with app_conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(a.id),))
        cur.execute(LEVEL, (a.group_id,))
        assert cur.fetchone()["grade_level"] == 5
