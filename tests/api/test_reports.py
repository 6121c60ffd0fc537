"""`monthlyReport`: the region's month through GraphQL, for those who may see figures only; its
figures are the aggregates' (the same statements), and its subtotals add counts up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.settings import OFFICER_ROLE
from db.tenancy import set_tenant
from resolvers.reports.sql import Counts, MonthlyReport, MonthlyRow
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

SECTIONS = """
  attainment { basis suppressed students passing quality successRate qualityRate
               notYetAttested }
  marks { suppressed students marks gradedMarks bands { twos threes fours fives }
          averagePoint averageFivePoint successRate qualityRate }
  attendance { suppressed students studentLessons absentLessons rate absent ill excused late }
  timeliness { lessonsHeld topicOnTime attendanceOnTime lessonsWithHomework homeworkOnTime
               marks marksOnTime topicShare attendanceShare homeworkShare marksShare
               overallShare }
  curriculum { lessonTypeCode lessonTypeName plannedHours held fulfilment }
  periodGrades { suppressed students expected graded deferred notAttested exempt missing }
"""
REPORT = f"""
query Report($month: String!, $municipality: String) {{
  monthlyReport(month: $month, municipality: $municipality) {{
    title minStudents
    rows {{ municipality school threshold {SECTIONS} }}
  }}
}}
"""
AGGREGATES = f"""
query Aggregates($filter: AggregateFilter!, $groupBy: [AggregateDimension!]) {{
  aggregates(filter: $filter, groupBy: $groupBy) {{
    rows {{ schoolName municipalityName threshold {SECTIONS} }}
  }}
}}
"""
SEPTEMBER = ("2015-09-01", "2015-09-30")
NAMES = ("attainment", "marks", "attendance", "timeliness", "curriculum", "periodGrades")
TZ = ZoneInfo("Asia/Yakutsk")


@dataclass
class Month:
    a: JournalGroup  # 6 students, marks, absences, entries on time and late
    b: JournalGroup  # 3 students: suppressed on its own


@pytest.fixture(scope="module")
def month(database: DatabaseUrls, schools: TwoSchools) -> Month:
    a = make_journal_group(database.owner, schools.a, students=6, lessons=8,
                           first_day=date(2015, 9, 14))
    b = make_journal_group(database.owner, schools.b, students=3, lessons=4,
                           first_day=date(2015, 9, 14))
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        sid, setup = schools.a.id, a.setup
        for i, label in enumerate(["5", "4", "3", "2", "5", "4"]):
            day = a.lesson_dates[i]
            s.add(m.Mark(school_id=sid, group_id=a.group_id, lesson_id=a.lesson_ids[i],
                         student_id=a.students[i], work_date=day,
                         work_type_id=setup.work_type_ids["classwork"],
                         value_id=setup.value_ids[label],
                         entered_at=datetime.combine(day + timedelta(days=10 * (i % 2)),
                                                     time(10), tzinfo=TZ)))
        for i, kind in enumerate(["absent", "ill", "late"]):
            s.add(m.Attendance(school_id=sid, lesson_id=a.lesson_ids[i],
                               student_id=a.students[i], kind=m.AttendanceKind(kind),
                               late_minutes=5 if kind == "late" else None))
        for n, (lesson_id, day) in enumerate(zip(a.lesson_ids, a.lesson_dates, strict=True)):
            on_day = datetime.combine(day + timedelta(days=n % 3), time(12), tzinfo=TZ)
            s.execute(update(m.Lesson).where(m.Lesson.school_id == sid, m.Lesson.id == lesson_id)
                      .values(topic=f"Тема {n}", topic_entered_at=on_day,
                              attendance_entered_at=on_day, homework=f"Упр. {n}",
                              homework_entered_at=on_day))
        q1 = setup.period_ids[0]
        s.add(m.Grade(school_id=sid, academic_year_id=schools.a.year_id,
                      student_id=a.students[0], subject_id=setup.subject_id,
                      kind=m.GradeKind.PERIOD, period_id=q1, group_id=a.group_id,
                      state=m.GradeState.DEFERRED, deferred_until=date(2015, 11, 30)))
        s.add(m.CurriculumLine(school_id=sid, group_id=a.group_id, period_id=q1,
                               lesson_type_id=setup.lesson_type_id, planned_hours=Decimal(16)))
    return Month(a, b)


def report(gql, token: str, **variables: object) -> dict:
    body = gql.post(REPORT, {"month": "2015-09", **variables}, token=token)
    assert "errors" not in body, body
    return body["data"]["monthlyReport"]


def aggregate_rows(gql, token: str, group_by: list[str], **filter_: object) -> list[dict]:
    body = gql.post(AGGREGATES, {"filter": {"from": SEPTEMBER[0], "to": SEPTEMBER[1],
                                            **filter_}, "groupBy": group_by}, token=token)
    assert "errors" not in body, body
    return body["data"]["aggregates"]["rows"]


def sections(row: dict) -> dict:
    return {name: row[name] for name in NAMES}


# --- the figures are the aggregates' ----------------------------------------------------------


def test_monthly_report_figures_of_a_school_equal_its_aggregates(
    gql, token_for, schools: TwoSchools, month: Month
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they read the September report and the aggregates of school A for September
    lines = report(gql, officer)["rows"]
    (aggregate,) = aggregate_rows(gql, officer, ["SCHOOL"],
                                  schoolIds=[to_global_id("School", schools.a.id)])
    # then school A's line has exactly the aggregates' figures
    (line,) = [r for r in lines if r["school"] == schools.a.name]
    assert sections(line) == sections(aggregate)
    assert line["threshold"] == aggregate["threshold"] == 5
    # and they are not empty: marks, absences, late entries, the plan, a deferred grade
    assert line["marks"]["students"] >= 6 and line["marks"]["successRate"] is not None
    assert line["attainment"]["basis"] == "CURRENT_AVERAGES"
    assert line["attainment"]["students"] >= 6
    assert line["attendance"]["absent"] >= 1 and line["attendance"]["ill"] >= 1
    assert line["timeliness"]["lessonsHeld"] >= 8
    assert 0 < line["timeliness"]["homeworkShare"] < 1
    assert 0 < line["timeliness"]["marksShare"] < 1
    assert any(c["lessonTypeCode"] == "journal_lesson" and c["plannedHours"] > 0
               for c in line["curriculum"])
    assert line["periodGrades"]["deferred"] >= 1 and line["periodGrades"]["missing"] >= 5


def test_monthly_report_subtotals_and_total_equal_the_aggregates_over_their_schools(
    gql, token_for, schools: TwoSchools, month: Month
) -> None:
    # given the regional officer
    officer = token_for(schools.officer_logins["region"])
    # when they read the report, and the aggregates by municipality and for everything
    lines = report(gql, officer)["rows"]
    by_muni = {r["municipalityName"]: r for r in aggregate_rows(gql, officer, ["MUNICIPALITY"])}
    (everything,) = aggregate_rows(gql, officer, [])
    # then each municipality's subtotal (school null) adds its schools' counts up, as the
    # aggregates over those schools do (not an average of percentages)
    subtotals = {r["municipality"]: r for r in lines[:-1] if r["school"] is None}
    assert {"г. Альфа", "г. Бета"} <= set(subtotals)
    for name in ("г. Альфа", "г. Бета"):
        assert sections(subtotals[name]) == sections(by_muni[name]), name
    # and the total is the aggregates over every school
    assert lines[-1]["school"] is None and lines[-1]["municipality"] == "все школы"
    assert sections(lines[-1]) == sections(everything)
    # and not empty: both schools' students are in the total
    assert lines[-1]["attendance"]["students"] >= 9


def test_monthly_report_runs_as_the_officer_role_in_a_fixed_number_of_statements(
    gql, token_for, schools: TwoSchools, month: Month
) -> None:
    # given a municipal officer (one municipality) and the regional officer (all)
    counts = []
    for who in ("muni_a", "region"):
        token = token_for(schools.officer_logins[who])
        # when each reads the report
        with count_statements() as counter:
            report(gql, token)
        counts.append(counter.count)
        # then under the officer role
        assert f"SET LOCAL ROLE {OFFICER_ROLE}" in counter.statements
    # and the statements do not grow with the schools
    assert counts[0] == counts[1], counts


# --- who may read it --------------------------------------------------------------------------


def test_monthly_report_lists_the_regional_officers_schools_with_subtotals(
    gql, token_for, schools: TwoSchools
) -> None:
    # when
    result = report(gql, token_for(schools.officer_logins["region"]))
    # then: each school, a subtotal per municipality (school null), and the total last
    assert "2015" in result["title"]
    named = [r["school"] for r in result["rows"] if r["school"]]
    assert schools.a.name in named and schools.b.name in named
    assert result["rows"][-1]["school"] is None
    assert result["minStudents"] == 5


def test_monthly_report_of_a_municipal_officer_holds_their_schools_only(
    gql, token_for, schools: TwoSchools
) -> None:
    result = report(gql, token_for(schools.officer_logins["muni_a"]))
    named = {r["school"] for r in result["rows"] if r["school"]}
    # other tests add schools to г. Альфа; what matters is that г. Бета's school is absent
    assert schools.a.name in named and schools.b.name not in named


def test_monthly_report_of_an_administrator_is_their_school(gql, token_for,
                                                             schools: TwoSchools) -> None:
    result = report(gql, token_for(schools.b.logins["admin"]))
    assert {r["school"] for r in result["rows"] if r["school"]} == {schools.b.name}


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian"])
def test_monthly_report_is_null_for_other_roles(gql, token_for, schools: TwoSchools,
                                                who: str) -> None:
    assert report(gql, token_for(schools.a.logins[who])) is None


def test_monthly_report_outside_the_reach_is_null(gql, token_for, schools: TwoSchools) -> None:
    assert report(gql, token_for(schools.officer_logins["muni_a"]),
                  municipality="г. Бета") is None


def test_monthly_report_with_a_bad_month_names_the_argument(gql, token_for,
                                                            schools: TwoSchools) -> None:
    body = gql.post(REPORT, {"month": "сентябрь"}, token=token_for(
        schools.officer_logins["region"]))
    assert body["errors"][0]["extensions"]["argument"] == "month"


def test_monthly_report_leaves_the_rest_of_the_request_as_it_was(
    gql, token_for, schools: TwoSchools
) -> None:
    # the report's officer role stays in the report's own transaction
    body = gql.post("""query($m: String!) { monthlyReport(month: $m) { title }
                      me { schools { person { fullName } } } }""", {"m": "2015-09"},
                    token=token_for(schools.a.logins["admin"]))
    assert "errors" not in body, body
    assert body["data"]["me"]["schools"][0]["person"]["fullName"]


# --- the lines from counts --------------------------------------------------------------------


def counts(students: int, *, lessons: int, absent: int, passing: int, planned: int,
           deferred: int = 0) -> Counts:
    """A school's counts: every student marked once with a «4» or (failing) a «2», present
    at every lesson but `absent` times, one grade expected each."""
    quality = passing
    return Counts(
        {"marks": {"students": students, "marks": students, "graded": students,
                   "band2": students - passing, "band3": 0, "band4": passing, "band5": 0,
                   "sum_point": Decimal("77.5") * passing + 25 * (students - passing),
                   "sum_five": Decimal(4 * passing + 2 * (students - passing))},
         "attainment": {"by_grades": False, "students": students, "passing": passing,
                        "quality": quality, "pending": 0},
         "attendance": {"students": students, "student_lessons": students * lessons,
                        "absent_lessons": absent, "absent": absent, "ill": 0, "excused": 0,
                        "late": 0},
         "timeliness": {"lessons": lessons, "topic_on_time": lessons, "attendance_on_time": 0,
                        "with_homework": lessons, "homework_on_time": lessons // 2,
                        "marks": students, "marks_on_time": students},
         "period_grades": {"students": students, "expected": students, "graded": 0,
                           "deferred": deferred, "not_attested": 0, "exempt": 0,
                           "missing": students - deferred}},
        {"lesson": {"code": "lesson", "name": "Урок", "planned": Decimal(planned),
                    "held": lessons}})


COLUMNS = ["students", "lessons", "topics", "attendance_entered", "homework", "marks_on_time",
           "planned", "fulfilment", "marks", "average", "basis", "attested", "passing",
           "success", "quality_students", "quality", "rate",
           "absent", "ill", "excused", "late", "expected", "deferred", "missing"]


def cells(line: list[Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, line[2:], strict=True))


def test_monthly_lines_add_counts_up_and_suppress_small_schools_and_subtotals() -> None:
    # given a school of 6 students and one of 3 in one municipality, and a school of 3 alone
    # in another whose own threshold is 10
    report = MonthlyReport(month=date(2015, 11, 1), scope="область", rows=[
        MonthlyRow("г. Альфа", "Школа 1", counts(6, lessons=10, absent=6, passing=3,
                                                 planned=20, deferred=1)),
        MonthlyRow("г. Альфа", "Школа 2", counts(3, lessons=4, absent=0, passing=3,
                                                 planned=4)),
        MonthlyRow("г. Бета", "Школа 3", counts(3, lessons=2, absent=0, passing=3,
                                                planned=2), min_size=10),
    ])
    # when
    school1, school2, alpha, school3, beta, total = map(cells, report.table_rows())
    # then a school's figures are shares of its own counts
    assert school1 == {
        "students": 6, "lessons": 10, "topics": 100.0, "attendance_entered": 0.0,
        "homework": 50.0, "marks_on_time": 100.0, "planned": 20.0, "fulfilment": 50.0,
        "marks": 6, "average": 51.25, "basis": "текущие средние", "attested": 6,
        "passing": 3, "success": 50.0, "quality_students": 3, "quality": 50.0, "rate": 90.0,
        "absent": 6, "ill": 0, "excused": 0, "late": 0, "expected": 6, "deferred": 1,
        "missing": 5}
    # and the small school's student figures read "<5", its staff figures stay
    assert school2["students"] == school2["success"] == school2["missing"] == "<5"
    assert (school2["lessons"], school2["planned"], school2["fulfilment"]) == (4, 4.0, 100.0)
    # and the subtotal adds numerators and denominators up: 9 students, 6 of 9 passing
    # (66.67, not the mean 75 of 50 and 100), 6 absences in 72 student-lessons (91.67, not 95)
    assert alpha["students"] == 9 and alpha["success"] == 66.67 and alpha["rate"] == 91.67
    assert alpha["fulfilment"] == 58.33  # 14 lessons of 24 hours
    assert alpha["lessons"] == 14 and alpha["missing"] == 8
    # and a subtotal of one school keeps that school's threshold: suppressed as well
    assert school3["students"] == beta["students"] == "<10"
    assert beta["lessons"] == 2
    # and the total over several schools uses 5: 12 students
    assert total["students"] == 12 and total["lessons"] == 16
    lines = report.lines()
    assert [(r.municipality, r.school, r.threshold) for r in lines] == [
        ("г. Альфа", "Школа 1", 5), ("г. Альфа", "Школа 2", 5), ("г. Альфа", None, 5),
        ("г. Бета", "Школа 3", 10), ("г. Бета", None, 10), ("область", None, 5)]
    assert lines[2].marks.success_rate == 0.6667 and lines[1].marks.suppressed is True
    assert lines[2].attainment.students == 9 and lines[2].attainment.passing == 6


def test_monthly_report_title_names_the_month_in_russian() -> None:
    assert "ноябрь 2015" in MonthlyReport(month=date(2015, 11, 1), scope="все школы").title

