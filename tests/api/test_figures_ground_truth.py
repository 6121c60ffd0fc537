"""Ground truth for успеваемость and качество (docs/figures.md): a small school seeded here, its
figures computed by this test's own SQL over the raw tables (marks, grades, memberships,
teaching_without_marks), compared with `aggregates` (as the regional officer, under the
officer role) and with the monthly report (as the school's administrator).

Every clause of the definitions is exercised: a grade level taught without marks (grade 1,
with stray marks and grades that must not count), a subject taught without marks in grade 6,
an exempt student, an н/а, a deferred grade, a pass/fail subject (a незачёт fails), the
weights of work types, a mark excluded from the average, and the school's rounding threshold
(0.6: 3.5 rounds down to 3, 2.67 up to 3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id
from tests.factories import PASSWORD, SchoolFixture, TwoSchools, seed_school
from tests.journal_factory import JournalGroup, make_journal_group

TZ = ZoneInfo("Asia/Yakutsk")
SEPTEMBER = ("2015-09-01", "2015-09-30")
Q1 = ("2015-09-01", "2015-10-31")
FIELDS = "basis suppressed students passing quality successRate qualityRate notYetAttested"
AGGREGATES = f"""
query Aggregates($filter: AggregateFilter!) {{
  aggregates(filter: $filter) {{ rows {{ schoolName attainment {{ {FIELDS} }} }} }}
}}
"""
REPORT = f"""
query Report($month: String!) {{
  monthlyReport(month: $month) {{ rows {{ school attainment {{ {FIELDS} }} }} }}
}}
"""


@dataclass
class Seeded:
    school: SchoolFixture
    q1: uuid.UUID
    six: JournalGroup  # grade 6, Русский язык (five-point), 7 students
    first: JournalGroup  # grade 1, taught without marks


def _pass_fail(s: object, school_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    assert hasattr(s, "add")
    system = m.GradingSystem(school_id=school_id, id=uuid.uuid4(), name="Зачёт",
                             kind=m.GradingKind.PASS_FAIL)
    s.add(system)
    s.flush()
    values = {}
    for ordinal, (label, low, high, point, ok) in enumerate(
            [("незачёт", 0, 50, 25, False), ("зачёт", 50, 100, 75, True)], start=1):
        v = m.MarkValue(school_id=school_id, id=uuid.uuid4(), system_id=system.id, label=label,
                        ordinal=ordinal, range_low=Decimal(low), range_high=Decimal(high),
                        point=Decimal(point), counts_as_pass=ok)
        s.add(v)
        values[label] = v.id
    s.flush()
    return system.id, values


@pytest.fixture(scope="module")
def seeded(database: DatabaseUrls, schools: TwoSchools) -> Seeded:
    tag = f"gt{uuid.uuid4().hex[:6]}"
    school = SchoolFixture(uuid.uuid4(), f"Школа сверки {tag}", schools.a.municipality_id)
    with owner_session(database.owner) as s:
        s.add(m.School(id=school.id, municipality_id=school.municipality_id, name=school.name,
                       short_name=school.name))
        s.flush()
        set_tenant(s, [school.id])
        seed_school(s, school, tag, hash_password(PASSWORD))
        school.logins["admin"] = f"{tag}.admin"
    six = make_journal_group(database.owner, school, students=7, lessons=10)
    first = make_journal_group(database.owner, school, students=5, lessons=10)
    setup, sid, year = six.setup, school.id, school.year_id
    q1 = setup.period_ids[0]
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        s.add(m.SchoolSettings(school_id=sid, rounding_threshold=Decimal("0.6")))
        # grade 1: its own class taught without marks, on the quarters too
        s.execute(text("UPDATE classes SET grade_level = 1 WHERE school_id = :s AND id = :c"),
                  {"s": sid, "c": first.class_id})
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year, grade_level=1,
                                 scheme_id=setup.scheme_id))
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year, subject_id=None,
                                 grade_level=1, system_id=setup.system_id))
        s.add(m.TeachingWithoutMarks(school_id=sid, id=uuid.uuid4(), grade_level=1))
        # grade 6: physical education on pass/fail, music taught without marks
        pf_system, pf = _pass_fail(s, sid)
        groups = {}
        for name in ("Физическая культура", "Музыка"):
            subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"{name} {tag}",
                                short_name=name[:10])
            s.add(subject)
            s.flush()
            group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=year,
                                 subject_id=subject.id, kind=m.GroupKind.WHOLE_CLASS,
                                 class_id=six.class_id, name=f"6 {name}")
            s.add(group)
            s.flush()
            for student in six.students:
                s.add(m.GroupMembership(school_id=sid, group_id=group.id, student_id=student,
                                        starts_on=date(2015, 9, 1)))
            groups[name] = (subject.id, group.id)
        pe_subject, pe_group = groups["Физическая культура"]
        music_subject, music_group = groups["Музыка"]
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year, subject_id=pe_subject,
                                 grade_level=6, system_id=pf_system))
        s.add(m.TeachingWithoutMarks(school_id=sid, id=uuid.uuid4(), grade_level=6,
                                     subject_id=music_subject))
        s.flush()
        five, work = setup.value_ids, setup.work_type_ids
        day = six.lesson_dates[0]

        def mark(group_id: uuid.UUID, lesson_id: uuid.UUID | None, student: uuid.UUID,
                 value: uuid.UUID, kind: str = "classwork", excluded: bool = False) -> None:
            s.add(m.Mark(school_id=sid, group_id=group_id, lesson_id=lesson_id,
                         student_id=student, work_date=day, work_type_id=work[kind],
                         value_id=value, excluded_from_average=excluded,
                         entered_at=datetime.combine(day, time(10), tzinfo=TZ)))

        st = six.students
        lesson = six.lesson_ids[0]
        # Русский язык in September (classwork weight 1, test weight 2)
        for i, labels in {0: [("5", "classwork"), ("4", "classwork"), ("5", "test")],
                          1: [("3", "classwork"), ("4", "classwork")],
                          2: [("2", "test"), ("4", "classwork")],
                          3: [("2", "classwork"), ("3", "classwork")],
                          4: [("4", "classwork")],
                          6: [("4", "classwork")]}.items():
            for label, kind in labels:
                mark(six.group_id, lesson, st[i], five[label], kind)
        mark(six.group_id, lesson, st[6], five["2"], excluded=True)
        # physical education: a незачёт for student 4 only; student 6 has no PE mark
        for i in range(6):
            mark(pe_group, None, st[i], pf["незачёт" if i == 4 else "зачёт"])
        # stray rows where there are no marks: music in grade 6, everything in grade 1
        mark(music_group, None, st[0], five["2"])
        for student in first.students:
            mark(first.group_id, first.lesson_ids[0], student, five["2"])

        def grade(student: uuid.UUID, subject: uuid.UUID, group: uuid.UUID,
                  state: m.GradeState, value: uuid.UUID | None = None) -> None:
            s.add(m.Grade(school_id=sid, academic_year_id=year, student_id=student,
                          subject_id=subject, kind=m.GradeKind.PERIOD, period_id=q1,
                          group_id=group, state=state, value_id=value,
                          deferred_until=date(2015, 11, 30)
                          if state == m.GradeState.DEFERRED else None))

        graded, na = m.GradeState.GRADED, m.GradeState.NOT_ATTESTED
        russian = setup.subject_id
        # the 1st quarter: 5 | 4 | 3 | 2 | н/а | exempt | deferred in Русский язык
        for i, label in enumerate(["5", "4", "3", "2"]):
            grade(st[i], russian, six.group_id, graded, five[label])
        grade(st[4], russian, six.group_id, na)
        grade(st[5], russian, six.group_id, m.GradeState.EXEMPT)
        grade(st[6], russian, six.group_id, m.GradeState.DEFERRED)
        # PE: a незачёт for student 1, зачёт for the others (student 6 has none: missing)
        for i in range(6):
            grade(st[i], pe_subject, pe_group, graded, pf["незачёт" if i == 1 else "зачёт"])
        # grade 1 has no grades but a stray «2», which must not count
        grade(first.students[0], russian, first.group_id, graded, five["2"])
    return Seeded(school, q1, six, first)


# --- the test's own SQL ---------------------------------------------------------------------

# Each student's result per subject taught with marks (grade level of the class, whole or
# for the subject, not in teaching_without_marks): the group's subject and system by the
# school's uses (subject-specific first); for period grades, the members at the quarter's end
# of the groups whose grade level has the quarter in its scheme (the seed's grade 5 has none).
_RESULTS_BASE = """
WITH g AS (
  SELECT sg.school_id, sg.id AS group_id, sg.subject_id, sg.academic_year_id, c.grade_level,
         (SELECT u.system_id FROM grading_system_uses u
           WHERE u.school_id = sg.school_id AND u.academic_year_id = sg.academic_year_id
             AND u.subject_id IS NOT DISTINCT FROM sg.subject_id AND u.grade_level = c.grade_level
          UNION ALL
          SELECT u.system_id FROM grading_system_uses u
           WHERE u.school_id = sg.school_id AND u.academic_year_id = sg.academic_year_id
             AND u.subject_id IS NULL AND u.grade_level = c.grade_level
          LIMIT 1) AS system_id
  FROM study_groups sg JOIN classes c ON c.school_id = sg.school_id AND c.id = sg.class_id
  WHERE sg.school_id = :school
    AND NOT EXISTS (SELECT 1 FROM teaching_without_marks w
                     WHERE w.school_id = sg.school_id AND w.grade_level = c.grade_level
                       AND (w.subject_id IS NULL OR w.subject_id = sg.subject_id))
)
"""

BY_PERIOD_GRADES = text(_RESULTS_BASE + """
, r AS (
  SELECT gm.student_id, gr.state, v.counts_as_pass, s.kind, v.point
  FROM g
  JOIN periods p ON p.school_id = g.school_id AND p.id = :period
  JOIN grade_level_schemes ls ON ls.school_id = g.school_id AND ls.scheme_id = p.scheme_id
   AND ls.academic_year_id = g.academic_year_id AND ls.grade_level = g.grade_level
  JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.group_id
   AND gm.starts_on <= p.ends_on AND (gm.ends_on IS NULL OR gm.ends_on >= p.ends_on)
  LEFT JOIN grades gr ON gr.school_id = g.school_id AND gr.student_id = gm.student_id
   AND gr.subject_id = g.subject_id AND gr.kind = 'period' AND gr.period_id = p.id
  LEFT JOIN mark_values v ON v.school_id = gr.school_id AND v.id = gr.value_id
  LEFT JOIN grading_systems s ON s.school_id = v.school_id AND s.id = v.system_id
),
st AS (
  SELECT student_id,
         bool_or(state IS NULL OR state = 'deferred') AS pending,
         bool_or(state IN ('graded', 'not_attested')) AS attested,
         NOT bool_or(state = 'not_attested' OR (state = 'graded' AND NOT counts_as_pass))
           AS passing,
         bool_or(state = 'graded' AND kind <> 'pass_fail')
           AND bool_and(state <> 'graded' OR kind = 'pass_fail' OR point >= 70) AS fours
  FROM r GROUP BY student_id
)
SELECT count(*) AS students, count(*) FILTER (WHERE passing) AS passing,
       count(*) FILTER (WHERE passing AND fours) AS quality,
       (SELECT count(*) FROM st WHERE pending) AS pending
FROM st WHERE attested AND NOT pending
""")

# Current averages over the dates: per student and group, the weighted average of the counted
# marks; a numeric system rounds its average of the marks' numbers (all marks here are of
# the group's system) by the school's threshold, a pass/fail system takes the value whose
# range holds the weighted mean of points.
BY_CURRENT_AVERAGES = text(_RESULTS_BASE + """
, a AS (
  SELECT mk.student_id, g.system_id,
         round(sum(w.weight * v.numeric_value) / sum(w.weight), 2) AS native,
         round(sum(w.weight * v.point) / sum(w.weight), 2) AS axis
  FROM g
  JOIN marks mk ON mk.school_id = g.school_id AND mk.group_id = g.group_id
   AND mk.work_date BETWEEN :d_from AND :d_to AND NOT mk.excluded_from_average
  JOIN work_types w ON w.school_id = mk.school_id AND w.id = mk.work_type_id
  JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
  GROUP BY mk.student_id, g.group_id, g.system_id
),
r AS (
  SELECT a.student_id, s.kind, v.counts_as_pass, v.point
  FROM a
  JOIN grading_systems s ON s.id = a.system_id
  JOIN school_settings ss ON ss.school_id = s.school_id
  JOIN mark_values v ON v.school_id = s.school_id AND v.system_id = s.id
   AND CASE WHEN s.kind = 'pass_fail'
            THEN a.axis >= v.range_low AND (a.axis < v.range_high OR v.range_high = 100)
            ELSE v.numeric_value = floor(a.native)
                   + CASE WHEN a.native - floor(a.native) >= ss.rounding_threshold
                          THEN 1 ELSE 0 END END
),
st AS (
  SELECT student_id, bool_and(counts_as_pass) AS passing,
         bool_or(kind <> 'pass_fail')
           AND bool_and(kind = 'pass_fail' OR point >= 70) AS fours
  FROM r GROUP BY student_id
)
SELECT count(*) AS students, count(*) FILTER (WHERE passing) AS passing,
       count(*) FILTER (WHERE passing AND fours) AS quality, 0 AS pending
FROM st
""")


def truth(database: DatabaseUrls, seeded: Seeded, statement: object, **params: object
          ) -> dict:
    with owner_session(database.owner) as s:
        set_tenant(s, [seeded.school.id])
        row = s.execute(statement, {"school": seeded.school.id, **params}).one()
    students, passing, quality, pending = row
    return {"students": students, "passing": passing, "quality": quality,
            "successRate": round(passing / students, 4),
            "qualityRate": round(quality / students, 4), "notYetAttested": pending,
            "suppressed": False}


def attainment(gql, token: str, **filter_: object) -> dict:
    body = gql.post(AGGREGATES, {"filter": filter_}, token=token)
    assert "errors" not in body, body
    (row,) = body["data"]["aggregates"]["rows"]
    return row["attainment"]


def test_quarter_figures_from_period_grades_equal_the_tests_own_sql(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, seeded: Seeded
) -> None:
    # given the regional officer and the seeded school's closed 1st quarter
    officer = token_for(schools.officer_logins["region"])
    expected = truth(database, seeded, BY_PERIOD_GRADES, period=seeded.q1)
    # when they ask for the school and the quarter
    found = attainment(gql, officer, schoolIds=[to_global_id("School", seeded.school.id)],
                       periodId=to_global_id("Period", seeded.q1), **{"from": Q1[0]},
                       to=Q1[1])
    # then the figures are the period grades' by the definitions
    assert found == {"basis": "PERIOD_GRADES", **expected}
    # and, by hand: students 0–5 (student 6 deferred, not yet attested; grade 1 and music
    # out), passing 0 (5, зачёт), 2 (3, зачёт), 5 (exempt, зачёт); failing 1 (незачёт),
    # 3 (2), 4 (н/а); quality: student 0 only
    assert (found["students"], found["passing"], found["quality"],
            found["notYetAttested"]) == (6, 3, 1, 1)


def test_month_figures_from_current_averages_equal_the_tests_own_sql_and_the_report(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, seeded: Seeded
) -> None:
    # given September (no period ends in it)
    officer = token_for(schools.officer_logins["region"])
    expected = truth(database, seeded, BY_CURRENT_AVERAGES, d_from=date(2015, 9, 1),
                     d_to=date(2015, 9, 30))
    # when the officer asks for the month and the administrator reads the monthly report
    found = attainment(gql, officer, schoolIds=[to_global_id("School", seeded.school.id)],
                       **{"from": SEPTEMBER[0]}, to=SEPTEMBER[1])
    body = gql.post(REPORT, {"month": "2015-09"},
                    token=token_for(seeded.school.logins["admin"]))
    assert "errors" not in body, body
    (line,) = [r for r in body["data"]["monthlyReport"]["rows"]
               if r["school"] == seeded.school.name]
    # then both are the current averages' figures by the definitions
    assert found == line["attainment"] == {"basis": "CURRENT_AVERAGES", **expected}
    # and, by hand (threshold 0.6): 0: 4.75 → 5; 1: 3.5 → 3; 2: 2.67 → 3; 3: 2.5 → 2 (fails);
    # 4: 4 but PE незачёт (fails); 5: PE only; 6: 4 (the excluded «2» does not count)
    assert (found["students"], found["passing"], found["quality"]) == (7, 5, 2)


def test_a_range_that_is_not_a_period_is_computed_from_current_averages(
    gql, token_for, schools: TwoSchools, seeded: Seeded
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when the range is the quarter's dates without naming the period
    found = attainment(gql, officer, schoolIds=[to_global_id("School", seeded.school.id)],
                       **{"from": Q1[0]}, to=Q1[1])
    # then the basis is the current averages (all the seeded marks lie in September)
    assert found["basis"] == "CURRENT_AVERAGES"
    assert (found["students"], found["passing"], found["quality"]) == (7, 5, 2)


def test_attainment_of_another_school_or_for_a_teacher_is_empty(
    gql, token_for, schools: TwoSchools, seeded: Seeded
) -> None:
    # given school A's administrator (another school) and the seeded school's teacher
    for login in (schools.a.logins["admin"], seeded.six.teacher_login):
        # when they ask for the seeded school's attainment
        body = gql.post(AGGREGATES, {"filter": {
            "schoolIds": [to_global_id("School", seeded.school.id)],
            "from": Q1[0], "to": Q1[1]}}, token=token_for(login))
        # then there are no rows, as if there were no data
        assert body["data"]["aggregates"]["rows"] == [], login
