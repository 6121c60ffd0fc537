"""Aggregates for officers and dashboards: figures, suppression, reach, and the officer role."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.settings import OFFICER_ROLE
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id
from tests.factories import PASSWORD, SchoolFixture, TwoSchools, seed_school
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

Q1 = ("2015-09-01", "2015-10-31")
TZ = ZoneInfo("Asia/Yakutsk")

AGGREGATES = """
query Aggregates($filter: AggregateFilter!, $groupBy: [AggregateDimension!]) {
  aggregates(filter: $filter, groupBy: $groupBy) {
    from to groupBy
    rows {
      schoolId schoolName municipalityId municipalityName gradeLevel subjectName threshold
      periodId periodName periodStartsOn periodEndsOn
      attainment { basis suppressed students passing quality successRate qualityRate
                   notYetAttested }
      marks { suppressed students marks gradedMarks bands { twos threes fours fives }
              averagePoint averageFivePoint successRate qualityRate }
      attendance { suppressed students studentLessons absentLessons rate absent ill excused
                   late }
      timeliness { lessonsHeld topicOnTime attendanceOnTime lessonsWithHomework
                   homeworkOnTime marks marksOnTime topicShare attendanceShare homeworkShare
                   marksShare overallShare }
      curriculum { lessonTypeCode lessonTypeName plannedHours held fulfilment }
      periodGrades { suppressed students expected graded deferred notAttested exempt missing }
    }
  }
}
"""
WORST = """
query Worst($filter: AggregateFilter!, $limit: Int!) {
  aggregates(filter: $filter) {
    worstGroups(limit: $limit) {
      schoolName groupName subjectName gradeLevel teacherNames
      timeliness { lessonsHeld overallShare topicShare }
    }
  }
}
"""
ISSUE_TOKEN = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { secret errors { field code message } }
}
"""
ROWS_ONLY = """
query Rows($filter: AggregateFilter!) {
  aggregates(filter: $filter) { rows { schoolName marks { students } } }
}
"""
PEOPLE = """
query People($schoolId: ID!) { people(schoolId: $schoolId) { edges { node { fullName } } } }
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Person { fullName } } }"
OFFICER_READS = """
query { me { login officerRegion } schools { edges { node { name } } }
        apiTokens(first: 5) { edges { node { name } } } }
"""


@dataclass
class World:
    subject: str
    small_subject: str
    big: JournalGroup  # school A, 6 students, marks, absences, late entries
    small: JournalGroup  # school A, 3 students
    other: JournalGroup  # school B, 5 students, lessons only


def _at(day: date, *, days_late: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days_late), time(10), tzinfo=TZ)


def _own_subject(s: object, jg: JournalGroup, name: str) -> uuid.UUID:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    subject = m.Subject(school_id=jg.school.id, id=uuid.uuid4(), name=name, short_name=name[:50])
    s.add(subject)
    s.flush()
    s.execute(update(m.StudyGroup).where(m.StudyGroup.school_id == jg.school.id,
                                         m.StudyGroup.id == jg.group_id)
              .values(subject_id=subject.id))
    return subject.id


@pytest.fixture(scope="module")
def world(database: DatabaseUrls, schools: TwoSchools) -> World:
    tag = uuid.uuid4().hex[:8]
    w = World(subject=f"Агрегаты {tag}", small_subject=f"Агрегаты малая {tag}",
              big=make_journal_group(database.owner, schools.a, students=6, lessons=10),
              small=make_journal_group(database.owner, schools.a, students=3, lessons=2),
              other=make_journal_group(database.owner, schools.b, students=5, lessons=10))
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        big_subject = _own_subject(s, w.big, w.subject)
        _own_subject(s, w.other, w.subject)
        _own_subject(s, w.small, w.small_subject)
        setup, sid, day = w.big.setup, schools.a.id, w.big.lesson_dates[0]
        plan = {0: ["5", "5"], 1: ["4", "5"], 2: ["3", "4"], 3: ["2", "3"], 4: ["4"]}
        for i, labels in plan.items():
            for label in labels:
                s.add(m.Mark(school_id=sid, group_id=w.big.group_id, lesson_id=w.big.lesson_ids[0],
                             student_id=w.big.students[i], work_date=day,
                             work_type_id=setup.work_type_ids["classwork"],
                             value_id=setup.value_ids[label],
                             entered_at=_at(day, days_late=19 if i == 3 else 0)))
        for student in w.small.students:
            s.add(m.Mark(school_id=sid, group_id=w.small.group_id, lesson_id=w.small.lesson_ids[0],
                         student_id=student, work_date=w.small.lesson_dates[0],
                         work_type_id=setup.work_type_ids["classwork"],
                         value_id=setup.value_ids["5"], entered_at=_at(w.small.lesson_dates[0])))
        for i, kind in enumerate(["absent", "ill", "excused", "late"]):
            s.add(m.Attendance(school_id=sid, lesson_id=w.big.lesson_ids[i],
                               student_id=w.big.students[i], kind=m.AttendanceKind(kind),
                               late_minutes=5 if kind == "late" else None))
        for n, (lesson_id, lesson_day) in enumerate(zip(w.big.lesson_ids, w.big.lesson_dates,
                                                        strict=True)):
            values: dict[str, object] = {"topic": f"Тема {n}"}
            if n < 8:
                values["topic_entered_at"] = _at(lesson_day, days_late=0 if n < 5 else 2)
            if n < 9:
                values["attendance_entered_at"] = _at(lesson_day)
            if n < 4:
                values["homework"] = f"Упражнение {n}"
                values["homework_entered_at"] = _at(lesson_day, days_late=0 if n < 2 else 1)
            s.execute(update(m.Lesson).where(m.Lesson.school_id == sid, m.Lesson.id == lesson_id)
                      .values(**values))
        q1 = setup.period_ids[0]
        for i, state in enumerate([m.GradeState.GRADED, m.GradeState.DEFERRED,
                                   m.GradeState.NOT_ATTESTED]):
            s.add(m.Grade(school_id=sid, academic_year_id=schools.a.year_id,
                          student_id=w.big.students[i], subject_id=big_subject,
                          kind=m.GradeKind.PERIOD, period_id=q1, group_id=w.big.group_id,
                          state=state,
                          value_id=setup.value_ids["5"] if state == m.GradeState.GRADED else None,
                          deferred_until=date(2015, 11, 30)
                          if state == m.GradeState.DEFERRED else None))
        s.add(m.CurriculumLine(school_id=sid, group_id=w.big.group_id, period_id=q1,
                               lesson_type_id=setup.lesson_type_id, planned_hours=Decimal(20)))
    return w


def ask(gql, token: str, *, group_by: list[str] | None = None, query: str = AGGREGATES,
        **filter_: object) -> dict:
    variables: dict[str, object] = {"filter": {"from": Q1[0], "to": Q1[1], **filter_}}
    if group_by is not None:
        variables["groupBy"] = group_by
    return gql.post(query, variables, token=token)


def rows(gql, token: str, **kwargs: object) -> list[dict]:
    body = ask(gql, token, **kwargs)
    assert "errors" not in body, body
    return body["data"]["aggregates"]["rows"]


def by_school(found: list[dict]) -> dict[str, dict]:
    return {r["schoolName"]: r for r in found}


# --- the figures -----------------------------------------------------------------------------


def test_aggregates_by_school_gives_marks_on_the_axis(gql, token_for, schools: TwoSchools,
                                                      world: World) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they ask for the subject by school over the first quarter
    found = by_school(rows(gql, officer, subjectName=world.subject))
    # then school A's marks: 5 5 | 4 5 | 3 4 | 2 3 | 4, the sixth student without marks
    a = found[schools.a.name]
    assert a["schoolId"] == to_global_id("School", schools.a.id)
    assert a["municipalityId"] == to_global_id("Municipality", schools.a.municipality_id)
    assert a["municipalityName"] == "г. Альфа" and a["threshold"] == 5
    assert a["marks"] == {
        "suppressed": False, "students": 5, "marks": 9, "gradedMarks": 9,
        "bands": {"twos": 1, "threes": 2, "fours": 3, "fives": 3},
        # (3 × 92.5 + 3 × 77.5 + 2 × 60 + 25) / 9 and (15 + 12 + 6 + 2) / 9
        "averagePoint": 72.78, "averageFivePoint": 3.89,
        # the attainment's (below): no longer "no mark of 2" and "every mark 4 or 5"
        "successRate": 1.0, "qualityRate": 0.8,
    }
    # and успеваемость and качество come from each student's current average over the range
    # (not a period): 5 | 4.5 → 5 | 3.5 → 4 | 2.5 → 3 | 4, all passing, four of five 4 or 5
    assert a["attainment"] == {
        "basis": "CURRENT_AVERAGES", "suppressed": False, "students": 5, "passing": 5,
        "quality": 4, "successRate": 1.0, "qualityRate": 0.8, "notYetAttested": 0}
    # and school B, without marks, has none (nothing to suppress)
    assert found[schools.b.name]["marks"]["students"] == 0
    assert found[schools.b.name]["marks"]["suppressed"] is False


def test_aggregates_attendance_timeliness_curriculum_and_period_grades(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the administrator of school A
    admin = token_for(schools.a.logins["admin"])
    # when they ask for their school
    (a,) = rows(gql, admin, subjectName=world.subject)
    # then 6 students × 10 lessons with н, б, у (absences) and оп (present, late)
    assert a["attendance"] == {"suppressed": False, "students": 6, "studentLessons": 60,
                               "absentLessons": 3, "rate": 0.95, "absent": 1, "ill": 1,
                               "excused": 1, "late": 1}
    # topics on the day for 5 of 10 lessons, attendance for 9, homework 2 of 4, marks 7 of 9
    assert a["timeliness"] == {
        "lessonsHeld": 10, "topicOnTime": 5, "attendanceOnTime": 9, "lessonsWithHomework": 4,
        "homeworkOnTime": 2, "marks": 9, "marksOnTime": 7, "topicShare": 0.5,
        "attendanceShare": 0.9, "homeworkShare": 0.5, "marksShare": 0.7778,
        "overallShare": 0.697}  # (5 + 9 + 2 + 7) / (2 × 10 + 4 + 9)
    # 10 lessons held of 20 planned hours for the quarter
    assert a["curriculum"] == [{"lessonTypeCode": "journal_lesson", "lessonTypeName": "Урок",
                                "plannedHours": 20.0, "held": 10, "fulfilment": 0.5}]
    # one grade given, one deferred, one «н/а», three not entered for the first quarter
    assert a["periodGrades"] == {"suppressed": False, "students": 6, "expected": 6,
                                 "graded": 1, "deferred": 1, "notAttested": 1, "exempt": 0,
                                 "missing": 3}


def test_aggregates_attendance_counts_members_on_the_days_they_were_members(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given 6 students of a group with 10 lessons, its own subject: the first leaves after the
    # 4th lesson, the second joins on the 7th, the third leaves after the 2nd and is back on
    # the 6th (two memberships)
    jg = make_journal_group(database.owner, schools.a, students=6, lessons=10)
    subject = f"Агрегаты состав {uuid.uuid4().hex[:8]}"
    days, (left, joined, back) = jg.lesson_dates, jg.students[:3]
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        _own_subject(s, jg, subject)
        for student, values in ((left, {"ends_on": days[3]}), (joined, {"starts_on": days[6]}),
                                (back, {"ends_on": days[1]})):
            s.execute(update(m.GroupMembership)
                      .where(m.GroupMembership.school_id == schools.a.id,
                             m.GroupMembership.group_id == jg.group_id,
                             m.GroupMembership.student_id == student).values(**values))
        s.add(m.GroupMembership(school_id=schools.a.id, group_id=jg.group_id, student_id=back,
                                starts_on=days[5]))
    # when the administrator asks for that subject
    (a,) = rows(gql, token_for(schools.a.logins["admin"]), subjectName=subject)
    # then each student counts the lessons of their days only: 4 + 4 + (2 + 5) + 3 × 10
    assert (a["attendance"]["students"], a["attendance"]["studentLessons"]) == (6, 45)


def test_aggregates_of_fewer_students_than_the_threshold_are_suppressed(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given a group of 3 students with its own subject
    officer = token_for(schools.officer_logins["muni_a"])
    # when the municipal officer asks for that subject
    (a,) = rows(gql, officer, subjectName=world.small_subject)
    # then every figure computed from the students is null and flagged
    assert a["marks"] == {"suppressed": True, "students": None, "marks": None,
                          "gradedMarks": None, "bands": None, "averagePoint": None,
                          "averageFivePoint": None, "successRate": None, "qualityRate": None}
    assert a["attainment"]["suppressed"] is True and a["attainment"]["students"] is None
    assert a["attendance"]["suppressed"] is True and a["attendance"]["rate"] is None
    assert a["periodGrades"]["suppressed"] is True and a["periodGrades"]["missing"] is None
    # but the staff's timeliness is not about students and stays
    assert a["timeliness"]["lessonsHeld"] == 2


def test_aggregates_over_several_schools_combine_the_students(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they ask for one row over the region, and rows by municipality and grade level
    (total,) = rows(gql, officer, subjectName=world.subject, group_by=[])
    munis = rows(gql, officer, subjectName=world.subject, group_by=["MUNICIPALITY",
                                                                     "GRADE_LEVEL"])
    # then the total holds both schools' students at the multi-school threshold
    assert total["schoolId"] is None and total["municipalityId"] is None
    assert total["threshold"] == 5
    assert total["attendance"]["students"] == 11
    assert total["attendance"]["studentLessons"] == 110
    assert total["periodGrades"]["expected"] == 11 and total["periodGrades"]["missing"] == 8
    assert sorted((r["municipalityName"], r["gradeLevel"], r["schoolName"]) for r in munis) == [
        ("г. Альфа", 6, None), ("г. Бета", 6, None)]


def test_aggregates_by_subject_match_subjects_by_name_across_schools(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given a read_aggregates token of the region, issued by the regional officer
    officer = token_for(schools.officer_logins["region"])
    issued = gql.post("""mutation($input: IssueApiTokenInput!) {
      issueApiToken(input: $input) { secret errors { field code } } }""",
                      {"input": {"name": "dashboard", "scopes": ["READ_AGGREGATES"],
                                 "region": True}}, token=officer)["data"]["issueApiToken"]
    assert issued["errors"] == []
    # when the token asks by subject
    found = rows(gql, issued["secret"], subjectName=world.subject, group_by=["SUBJECT"])
    # then one row for the subject across both schools
    assert [(r["subjectName"], r["attendance"]["students"]) for r in found] == [
        (world.subject, 11)]


def test_aggregates_worst_groups_name_groups_and_teachers_but_no_student(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they ask for the least timely groups of the subject
    body = gql.post(WORST, {"filter": {"from": Q1[0], "to": Q1[1],
                                       "subjectName": world.subject}, "limit": 5},
                    token=officer)
    # then school B's group (nothing entered on time) comes first, then school A's
    assert "errors" not in body, body
    worst = body["data"]["aggregates"]["worstGroups"]
    assert [(g["schoolName"], g["timeliness"]["overallShare"]) for g in worst] == [
        (schools.b.name, 0.0), (schools.a.name, 0.697)]
    assert worst[1]["teacherNames"] == ["ФамилияTeacher Имя" + world.big.teacher_login
                                        .split(".j")[1].split(".")[0]]
    assert worst[1]["groupName"].endswith("Русский язык")
    # and no student's name appears anywhere
    assert "ФамилияS" not in json.dumps(body, ensure_ascii=False)


def test_aggregates_worst_groups_limit_out_of_range_is_refused(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given
    officer = token_for(schools.officer_logins["region"])
    # when
    body = gql.post(WORST, {"filter": {"from": Q1[0], "to": Q1[1]}, "limit": 0}, token=officer)
    # then
    assert body["errors"][0]["extensions"]["argument"] == "limit"


def test_aggregates_with_a_period_use_its_days(gql, token_for, schools: TwoSchools,
                                               world: World) -> None:
    # given the administrator of school A and its second quarter
    admin = token_for(schools.a.logins["admin"])
    q2 = to_global_id("Period", world.big.setup.period_ids[1])
    # when they ask for the whole year, limited to the second quarter
    body = gql.post(AGGREGATES, {"filter": {
        "from": "2015-09-01", "to": "2016-05-31", "subjectName": world.subject,
        "schoolIds": [to_global_id("School", schools.a.id)], "periodId": q2}}, token=admin)
    # then the range is the quarter's, which has none of the first quarter's lessons
    assert "errors" not in body, body
    report = body["data"]["aggregates"]
    assert (report["from"], report["to"]) == ("2015-11-09", "2015-12-27")
    (a,) = report["rows"]
    assert a["timeliness"]["lessonsHeld"] == 0 and a["marks"]["students"] == 0


@pytest.mark.parametrize(("filter_", "argument"), [
    ({"from": "2015-10-01", "to": "2015-09-01"}, "filter.to"),
    ({"from": "2015-09-01", "to": "2017-09-01"}, "filter.to"),
    ({"gradeLevels": [12]}, "filter.gradeLevels"),
    ({"schoolIds": ["bm90IGFuIGlk"]}, "filter.schoolIds.0"),
    ({"periodId": "placeholder"}, "filter.periodId"),
])
def test_aggregates_bad_filter_names_the_argument(gql, token_for, schools: TwoSchools,
                                                  world: World, filter_: dict,
                                                  argument: str) -> None:
    # given a period asked for two schools at once, or another bad filter
    if filter_.get("periodId") == "placeholder":
        filter_ = {"periodId": to_global_id("Period", world.big.setup.period_ids[0]),
                   "schoolIds": [to_global_id("School", schools.a.id),
                                 to_global_id("School", schools.b.id)]}
    officer = token_for(schools.officer_logins["region"])
    # when
    body = gql.post(AGGREGATES, {"filter": {"from": Q1[0], "to": Q1[1], **filter_}},
                    token=officer)
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


def test_aggregates_period_of_another_school_is_refused_like_a_missing_one(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given school B's administrator and a period of school A
    admin_b = token_for(schools.b.logins["admin"])
    school_b = [to_global_id("School", schools.b.id)]
    # when they name it, or a period that does not exist
    theirs = gql.post(AGGREGATES, {"filter": {"from": Q1[0], "to": Q1[1], "schoolIds": school_b,
                                              "periodId": to_global_id(
                                                  "Period", world.big.setup.period_ids[0])}},
                      token=admin_b)
    missing = gql.post(AGGREGATES, {"filter": {"from": Q1[0], "to": Q1[1], "schoolIds": school_b,
                                               "periodId": to_global_id("Period", uuid.uuid4())}},
                       token=admin_b)
    # then both are the same refusal
    assert theirs["errors"][0]["message"] == missing["errors"][0]["message"]


# --- per period, when one school is asked -----------------------------------------------------

TRIMESTERS = [("1 триместр (агрегаты)", date(2015, 9, 1), date(2015, 11, 30)),
              ("2 триместр (агрегаты)", date(2015, 12, 1), date(2016, 2, 28)),
              ("3 триместр (агрегаты)", date(2016, 3, 1), date(2016, 5, 31))]
AUTUMN = ("2015-09-01", "2015-12-31")


@dataclass
class Trimesters:
    subject: str
    group: JournalGroup  # grade 11 of school A: 5 students, 6 lessons in T1 and 6 in T2
    period_ids: list[uuid.UUID]


@pytest.fixture(scope="module")
def trimesters(database: DatabaseUrls, schools: TwoSchools, world: World) -> Trimesters:
    """School A's grade 11 studies in trimesters, its grade 6 (the world's) in quarters."""
    group = make_journal_group(database.owner, schools.a, students=5, lessons=12,
                               first_day=date(2015, 11, 23))
    t = Trimesters(f"{world.subject} (триместры)", group, [])
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        sid = schools.a.id
        _own_subject(s, group, t.subject)
        s.execute(update(m.SchoolClass).where(m.SchoolClass.school_id == sid,
                                              m.SchoolClass.id == group.class_id)
                  .values(grade_level=11))
        scheme = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=schools.a.year_id,
                                name="Триместры (агрегаты)", kind=m.SchemeKind.TRIMESTERS)
        s.add(scheme)
        s.flush()
        for n, (name, starts, ends) in enumerate(TRIMESTERS, start=1):
            period = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=scheme.id, ordinal=n,
                              name=name, starts_on=starts, ends_on=ends)
            s.add(period)
            t.period_ids.append(period.id)
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=schools.a.year_id,
                                 grade_level=11, scheme_id=scheme.id))
    return t


def by_period(found: list[dict]) -> list[tuple]:
    return [(r["subjectName"], r["periodName"], r["periodStartsOn"], r["periodEndsOn"],
             r["timeliness"]["lessonsHeld"]) for r in found]


def test_aggregates_by_period_give_a_row_per_period_of_the_school(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the administrator of school A, whose grade 6 has quarters
    admin = token_for(schools.a.logins["admin"])
    # when they ask for the autumn by school and period
    found = rows(gql, admin, subjectName=world.subject, group_by=["SCHOOL", "PERIOD"],
                 schoolIds=[to_global_id("School", schools.a.id)], **{"from": AUTUMN[0],
                                                                      "to": AUTUMN[1]})
    # then a row per quarter overlapping the autumn, with the quarter in its key
    q1, q2 = world.big.setup.period_ids[:2]
    assert [(r["schoolName"], r["periodId"]) for r in found] == [
        (schools.a.name, to_global_id("Period", q1)), (schools.a.name, to_global_id("Period", q2))]
    assert by_period(found) == [
        (None, "1 четверть", "2015-09-01", "2015-10-31", 10),
        (None, "2 четверть", "2015-11-09", "2015-12-27", 0)]
    first, second = found
    # and each period's figures: the first quarter holds the marks, absences, plan and grades
    assert first["marks"]["students"] == 5 and first["attendance"]["studentLessons"] == 60
    assert first["curriculum"] == [{"lessonTypeCode": "journal_lesson", "lessonTypeName": "Урок",
                                    "plannedHours": 20.0, "held": 10, "fulfilment": 0.5}]
    assert (first["periodGrades"]["expected"], first["periodGrades"]["deferred"],
            first["periodGrades"]["missing"]) == (6, 1, 3)
    # the second has no lesson, and its 6 grades are all missing
    assert second["marks"]["students"] == 0 and second["attendance"]["studentLessons"] == 0
    assert (second["periodGrades"]["expected"], second["periodGrades"]["missing"]) == (6, 6)


def test_aggregates_by_period_follow_each_grades_scheme(
    gql, token_for, schools: TwoSchools, world: World, trimesters: Trimesters
) -> None:
    # given school A with quarters in grade 6 and trimesters in grade 11
    officer = token_for(schools.officer_logins["region"])
    school_a = [to_global_id("School", schools.a.id)]
    # when the officer asks for the autumn by subject and period, and by school alone
    found = [r for r in rows(gql, officer, group_by=["SUBJECT", "PERIOD"], schoolIds=school_a,
                             **{"from": AUTUMN[0], "to": AUTUMN[1]})
             if r["subjectName"] in (world.subject, trimesters.subject)]
    (whole,) = rows(gql, officer, subjectName=trimesters.subject, schoolIds=school_a,
                    **{"from": AUTUMN[0], "to": AUTUMN[1]})
    # then the quarters' subject has quarter rows, the trimesters' subject trimester rows, the
    # second trimester cut at the end of the range in the figures but not in the key
    assert sorted(by_period(found)) == sorted([
        (trimesters.subject, "1 триместр (агрегаты)", "2015-09-01", "2015-11-30", 6),
        (trimesters.subject, "2 триместр (агрегаты)", "2015-12-01", "2016-02-28", 6),
        (world.subject, "1 четверть", "2015-09-01", "2015-10-31", 10),
        (world.subject, "2 четверть", "2015-11-09", "2015-12-27", 0)])
    tri = [r for r in found if r["subjectName"] == trimesters.subject]
    assert [r["periodId"] for r in tri] == [to_global_id("Period", p)
                                            for p in trimesters.period_ids[:2]]
    # and the periods add up to the range: 12 lessons of 5 students, 10 grades missing
    assert whole["timeliness"]["lessonsHeld"] == sum(
        r["timeliness"]["lessonsHeld"] for r in tri) == 12
    assert whole["attendance"]["studentLessons"] == sum(
        r["attendance"]["studentLessons"] for r in tri) == 60
    assert whole["periodGrades"]["missing"] == sum(
        r["periodGrades"]["missing"] for r in tri) == 10


@pytest.mark.parametrize("schools_asked", ["none", "both"])
def test_aggregates_by_period_need_exactly_one_school(
    gql, token_for, schools: TwoSchools, world: World, schools_asked: str
) -> None:
    # given the regional officer asking by period for every school, or for two
    officer = token_for(schools.officer_logins["region"])
    filter_ = {} if schools_asked == "none" else {"schoolIds": [
        to_global_id("School", schools.a.id), to_global_id("School", schools.b.id)]}
    # when
    body = ask(gql, officer, group_by=["PERIOD"], **filter_)
    # then refused, naming groupBy
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "groupBy"}
    assert "exactly one school" in body["errors"][0]["message"]


@pytest.mark.parametrize("who", ["b_admin", "muni_a"])
def test_aggregates_by_period_of_another_schools_periods_are_empty(
    gql, token_for, schools: TwoSchools, world: World, who: str
) -> None:
    # given school B's administrator asking for school A, and school A's municipal officer
    # asking for school B
    login, other = ((schools.b.logins["admin"], schools.a.id) if who == "b_admin"
                    else (schools.officer_logins["muni_a"], schools.b.id))
    # when they ask for that school's periods
    found = rows(gql, token_for(login), subjectName=world.subject, group_by=["PERIOD"],
                 schoolIds=[to_global_id("School", other)])
    # then nothing, as for a school that does not exist
    nowhere = rows(gql, token_for(login), subjectName=world.subject, group_by=["PERIOD"],
                   schoolIds=[to_global_id("School", uuid.uuid4())])
    assert found == nowhere == []


def test_aggregates_by_period_keep_one_statement_per_section(
    gql, token_for, schools: TwoSchools, world: World, trimesters: Trimesters
) -> None:
    # given school A's administrator
    admin = token_for(schools.a.logins["admin"])
    counts = []
    for group_by in (["SCHOOL"], ["SCHOOL", "PERIOD"]):
        # when they ask every section by school, then by school and period
        with count_statements() as counter:
            found = rows(gql, admin, group_by=group_by,
                         schoolIds=[to_global_id("School", schools.a.id)],
                         **{"from": AUTUMN[0], "to": AUTUMN[1]})
        counts.append(counter.count)
    # then several rows, and the same statements: the rows, then one per section
    assert len(found) >= 4
    assert counts[0] == counts[1], counts


# --- who may ask ------------------------------------------------------------------------------


def test_aggregates_municipal_officer_sees_only_their_municipality(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the officer of school A's municipality
    officer = token_for(schools.officer_logins["muni_a"])
    # when they ask for everything, for school B by id, and for school B's municipality
    everything = rows(gql, officer, subjectName=world.subject)
    school_b = rows(gql, officer, subjectName=world.subject,
                    schoolIds=[to_global_id("School", schools.b.id)])
    muni_b = rows(gql, officer, subjectName=world.subject,
                  municipalityId=to_global_id("Municipality", schools.b.municipality_id))
    # then only school A, and nothing of school B
    assert [r["schoolName"] for r in everything] == [schools.a.name]
    assert school_b == [] and muni_b == []


@pytest.fixture()
def sibling_of_a(database: DatabaseUrls, schools: TwoSchools) -> SchoolFixture:
    """A third school in school A's municipality, with its own people and a held journal.

    Made per test with its own names (and its own subject), so the tests that expect school
    A alone in its municipality for `world.subject` are unaffected."""
    tag = f"sib{uuid.uuid4().hex[:6]}"
    sibling = SchoolFixture(uuid.uuid4(), f"Школа-соседка {tag}", schools.a.municipality_id)
    with owner_session(database.owner) as s:
        s.add(m.School(id=sibling.id, municipality_id=sibling.municipality_id,
                       name=sibling.name, short_name=sibling.name))
        s.flush()
        set_tenant(s, [sibling.id])
        seed_school(s, sibling, tag, hash_password(PASSWORD))
    group = make_journal_group(database.owner, sibling, students=5, lessons=10)
    with owner_session(database.owner) as s:
        set_tenant(s, [sibling.id])
        _own_subject(s, group, f"Соседский предмет {tag}")
    return sibling


def _aggregates_token(gql, issuer: str, **reach: object) -> str:
    issued = gql.post(ISSUE_TOKEN, {"input": {"name": "dashboard", "scopes": ["READ_AGGREGATES"],
                                              **reach}}, token=issuer)["data"]["issueApiToken"]
    assert issued["errors"] == []
    return issued["secret"]


def test_aggregates_school_token_does_not_see_a_sibling_school_of_its_municipality(
    gql, token_for, schools: TwoSchools, world: World, sibling_of_a: SchoolFixture
) -> None:
    """Guards against a school-reach token widened to its school's whole municipality."""
    # given school A's administrator's read_aggregates token for school A, and the municipal
    # officer's token for the municipality that holds school A and its sibling
    school_token = _aggregates_token(gql, token_for(schools.a.logins["admin"]),
                                     schoolId=to_global_id("School", schools.a.id))
    muni_token = _aggregates_token(
        gql, token_for(schools.officer_logins["muni_a"]),
        municipalityId=to_global_id("Municipality", schools.a.municipality_id))
    # when each asks for the figures by school, and for the sibling by id
    by_school_token = {r["schoolName"] for r in rows(gql, school_token)}
    sibling_by_id = rows(gql, school_token,
                         schoolIds=[to_global_id("School", sibling_of_a.id)])
    by_muni_token = {r["schoolName"] for r in rows(gql, muni_token)}
    # then the school token sees school A only; the municipal one sees the sibling too
    assert by_school_token == {schools.a.name}
    assert sibling_by_id == []
    assert {schools.a.name, sibling_of_a.name} <= by_muni_token
    assert schools.b.name not in by_muni_token


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian", "b_admin"])
def test_aggregates_of_school_a_for_others_is_empty(gql, token_for, schools: TwoSchools,
                                                    world: World, who: str) -> None:
    # given a member of school A who is no administrator, or school B's administrator
    login = schools.b.logins["admin"] if who == "b_admin" else schools.a.logins[who]
    # when they ask for school A's figures
    found = rows(gql, token_for(login), subjectName=world.subject,
                 schoolIds=[to_global_id("School", schools.a.id)])
    # then they get nothing
    assert found == []


def test_aggregates_teacher_of_the_group_gets_nothing(gql, token_for, schools: TwoSchools,
                                                      world: World) -> None:
    # given the teacher of the group itself
    teacher = token_for(world.big.teacher_login)
    # when they ask without naming a school
    # then nothing: teachers read their journal, not aggregates
    assert rows(gql, teacher, subjectName=world.subject) == []


def test_aggregates_anonymous_is_unauthenticated(gql, world: World) -> None:
    # when
    body = gql.post(AGGREGATES, {"filter": {"from": Q1[0], "to": Q1[1]}})
    # then
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- the officer role and the statement count -------------------------------------------------


def test_aggregates_of_an_officer_run_under_the_officer_role(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given an officer and an administrator
    officer = token_for(schools.officer_logins["region"])
    admin = token_for(schools.a.logins["admin"])
    # when each asks for aggregates
    with count_statements() as as_officer:
        rows(gql, officer, subjectName=world.subject)
    with count_statements() as as_admin:
        rows(gql, admin, subjectName=world.subject)
    # then the officer's transaction switched role, the administrator's did not
    switch = f"SET LOCAL ROLE {OFFICER_ROLE}"
    assert switch in as_officer.statements
    assert switch not in as_admin.statements


def test_aggregates_statement_count_does_not_grow_with_schools(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they ask for one school, then for both
    counts = []
    for ids in ([schools.a.id], [schools.a.id, schools.b.id]):
        with count_statements() as counter:
            found = rows(gql, officer, subjectName=world.subject,
                         schoolIds=[to_global_id("School", i) for i in ids])
        assert len(found) == len(ids)
        counts.append(counter.count)
    # then the same number of statements: the rows, then one per section
    assert counts[0] == counts[1]
    assert counts[0] <= 14, counts


def test_officer_reads_work_under_the_officer_role(gql, token_for,
                                                   schools: TwoSchools) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they read who they are, the schools and their tokens
    with count_statements() as counter:
        body = gql.post(OFFICER_READS, token=officer)
    # then every field answers, under the officer role
    assert "errors" not in body, body
    assert body["data"]["me"]["officerRegion"] is True
    assert {schools.a.name, schools.b.name} <= {
        e["node"]["name"] for e in body["data"]["schools"]["edges"]}
    assert f"SET LOCAL ROLE {OFFICER_ROLE}" in counter.statements


def test_officer_people_and_person_node_return_nothing(gql, token_for,
                                                       schools: TwoSchools) -> None:
    # given the regional officer under the officer role
    officer = token_for(schools.officer_logins["region"])
    # when they list school A's people and fetch a student by id
    people = gql.post(PEOPLE, {"schoolId": to_global_id("School", schools.a.id)},
                      token=officer)
    node = gql.post(NODE, {"id": to_global_id("Person", schools.a.people["student"])},
                    token=officer)
    # then nothing, and no error
    assert people == {"data": {"people": {"edges": []}}}
    assert node == {"data": {"node": None}}


def test_the_officer_role_reads_staff_names_only_through_the_function(
    app_conn: psycopg.Connection, schools: TwoSchools
) -> None:
    # given a transaction as the officer role with school A set
    app_conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.a.id),))
    app_conn.execute(f"SET LOCAL ROLE {OFFICER_ROLE}")
    # when it asks the function for a teacher and a student
    found = app_conn.execute(
        "SELECT id, full_name FROM zhurnal_staff_names(%s)",
        ([schools.a.people["teacher"], schools.a.people["student"]],)).fetchall()
    # then it gets the teacher's name only
    assert found == [(schools.a.people["teacher"], "Teacherов A")]
    # and a deliberate select of names is refused
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("SELECT last_name FROM persons")


def test_the_officer_role_gets_no_staff_name_of_another_school(
    app_conn: psycopg.Connection, schools: TwoSchools
) -> None:
    # given a transaction as the officer role with school A set
    app_conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.a.id),))
    app_conn.execute(f"SET LOCAL ROLE {OFFICER_ROLE}")
    # when it asks for school B's teacher
    found = app_conn.execute("SELECT id FROM zhurnal_staff_names(%s)",
                             ([schools.b.people["teacher"]],)).fetchall()
    # then nothing
    assert found == []


def test_officer_journal_is_null_as_for_a_missing_group(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given the regional officer, under the officer role
    officer = token_for(schools.officer_logins["region"])
    # when they ask for a journal page of school A
    journal = gql.post("""query($g: ID!, $p: ID!) { journal(groupId: $g, periodId: $p) {
                            group { name } } }""",
                       {"g": to_global_id("StudyGroup", world.big.group_id),
                        "p": to_global_id("Period", world.big.setup.period_ids[0])},
                       token=officer)
    # then null, and no statement the role would refuse was run
    assert journal == {"data": {"journal": None}}


def test_a_refusal_by_the_officer_role_is_reported_without_the_statement() -> None:
    # given an error raised by PostgreSQL under the officer role, as a resolver would get it
    from graphql import GraphQLError
    from sqlalchemy.exc import ProgrammingError

    from server.graphql import _officer_refusal

    refused = ProgrammingError("SELECT last_name FROM persons WHERE id = 'x'", {},
                               errors.InsufficientPrivilege("permission denied"))
    error = GraphQLError(str(refused), original_error=refused, path=["people"])
    # when it is reported
    reported = _officer_refusal(error)
    # then as FORBIDDEN, without the statement
    assert reported.extensions == {"code": "FORBIDDEN"} and reported.path == ["people"]
    assert "SELECT" not in reported.message
    # and any other error is left alone
    other = GraphQLError("boom")
    assert _officer_refusal(other) is other
