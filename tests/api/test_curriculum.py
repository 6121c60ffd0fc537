"""The curriculum (учебный план) through the API: set whole, copied from another year, read
on the year; and the per-group, per-period lines derived from it for the fulfilment figures."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.curriculum import spread
from schema.ids import to_global_id
from tests.factories import SchoolFixture, TwoSchools

LINES = "curriculum { gradeLevel hoursPerYear subject { name } lessonType { name } }"
SET = f"""
mutation S($input: SetCurriculumInput!) {{ setCurriculum(input: $input) {{
  {LINES} errors {{ field code message }} }} }}
"""
COPY = f"""
mutation C($input: CopyCurriculumInput!) {{ copyCurriculum(input: $input) {{
  {LINES} errors {{ field code message }} }} }}
"""
READ = f"query R($id: ID!) {{ node(id: $id) {{ ... on AcademicYear {{ {LINES} }} }} }}"
OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]


@dataclass
class Year:
    id: uuid.UUID
    gid: str
    subject: str  # global ids
    lesson: str
    lab: str
    groups: dict[str, uuid.UUID]  # "5": the 5th grade's maths, "6": the 6th grade's
    periods: list[uuid.UUID]


def make_year(database: DatabaseUrls, school: SchoolFixture, start: int) -> Year:
    """A year of the school with two half-years for grade levels 5 and 6 (a school holiday in
    the first), a maths class of each, and two lesson types of its own."""
    sid, tag = school.id, uuid.uuid4().hex[:6]
    year_id, scheme_id = uuid.uuid4(), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        subject_id = s.execute(text("SELECT id FROM subjects WHERE school_id = :s AND name = "
                                    "'Математика'"), {"s": sid}).scalar_one()
        s.add(m.AcademicYear(school_id=sid, id=year_id, name=f"{start}/{start + 1} {tag}",
                             starts_on=date(start, 9, 1), ends_on=date(start + 1, 5, 31)))
        s.flush()
        s.add(m.PeriodScheme(school_id=sid, id=scheme_id, academic_year_id=year_id,
                             name="Полугодия", kind=m.SchemeKind.HALF_YEARS))
        s.flush()
        periods = [uuid.uuid4(), uuid.uuid4()]
        for n, (pid, a, b) in enumerate([(periods[0], date(start, 9, 1), date(start, 12, 27)),
                                         (periods[1], date(start + 1, 1, 11),
                                          date(start + 1, 5, 31))], start=1):
            s.add(m.Period(school_id=sid, id=pid, scheme_id=scheme_id, ordinal=n,
                           name=f"{n} полугодие", starts_on=a, ends_on=b))
        s.add(m.Holiday(school_id=sid, id=uuid.uuid4(), academic_year_id=year_id,
                        scheme_id=None, name="Осенние каникулы", starts_on=date(start, 11, 2),
                        ends_on=date(start, 11, 8)))
        groups = {}
        for level in (5, 6):
            s.add(m.GradeLevelScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year_id,
                                     grade_level=level, scheme_id=scheme_id))
            class_id, group_id = uuid.uuid4(), uuid.uuid4()
            s.add(m.SchoolClass(school_id=sid, id=class_id, academic_year_id=year_id,
                                grade_level=level, letter="К"))
            s.flush()
            s.add(m.StudyGroup(school_id=sid, id=group_id, academic_year_id=year_id,
                               subject_id=subject_id, kind=m.GroupKind.WHOLE_CLASS,
                               class_id=class_id, name=f"{level}К Математика"))
            groups[str(level)] = group_id
        types = {}
        for code in ("lesson", "lab"):
            types[code] = uuid.uuid4()
            s.add(m.LessonType(school_id=sid, id=types[code], code=f"{code}{tag}",
                               name=code))
    return Year(year_id, to_global_id("AcademicYear", year_id),
                to_global_id("Subject", subject_id), to_global_id("LessonType", types["lesson"]),
                to_global_id("LessonType", types["lab"]), groups, periods)


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def derived(database: DatabaseUrls, school_id: uuid.UUID, group_id: uuid.UUID
            ) -> list[tuple[str, Decimal]]:
    return [(r[0], r[1]) for r in sql(
        database, school_id, "SELECT lt.name, cl.planned_hours FROM curriculum_lines cl "
        "JOIN lesson_types lt ON lt.school_id = cl.school_id AND lt.id = cl.lesson_type_id "
        "JOIN periods p ON p.school_id = cl.school_id AND p.id = cl.period_id "
        "WHERE cl.school_id = :school AND cl.group_id = :g ORDER BY lt.name, p.ordinal",
        g=group_id)]


def post(gql, query: str, token: str, **input_: Any) -> dict[str, Any]:
    body = gql.post(query, {"input": input_}, token=token)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def lines_of(y: Year, maths: float = 136, lab: float = 34.3) -> list[dict[str, Any]]:
    return [{"subjectId": y.subject, "gradeLevel": 5, "lessonTypeId": y.lesson,
             "hoursPerYear": maths},
            {"subjectId": y.subject, "gradeLevel": 5, "lessonTypeId": y.lab, "hoursPerYear": lab}]


@pytest.fixture
def year(database: DatabaseUrls, schools: TwoSchools) -> Year:
    return make_year(database, schools.a, 2030)


def test_set_curriculum_replaces_the_plan_and_derives_the_groups_lines(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, year: Year
) -> None:
    # given an administrator and a first plan
    admin = token_for(schools.a.logins["admin"])
    post(gql, SET, admin, academicYearId=year.gid, lines=lines_of(year, maths=10))
    # when the plan is replaced
    result = post(gql, SET, admin, academicYearId=year.gid, lines=lines_of(year))
    # then the year's curriculum is the new one, for every reader of the school and officers
    assert result["errors"] == []
    expected = [(5, 34.3, "Математика", "lab"), (5, 136.0, "Математика", "lesson")]
    assert rows(result["curriculum"]) == expected
    for login in (schools.a.logins["teacher"], schools.officer_logins["region"]):
        body = gql.post(READ, {"id": year.gid}, token=token_for(login))
        assert rows(body["data"]["node"]["curriculum"]) == expected
    assert gql.post(READ, {"id": year.gid}, token=token_for(schools.b.logins["admin"]))[
        "data"]["node"] is None
    # and the grade-5 group's lines spread the hours over the half-years by school days
    # (80 and 100 weekdays, the autumn holiday left out): whole half hours by the largest
    # remainder (272 half hours: 120.9 and 151.1 → 121 and 151), the rest of 0.3 h last
    assert derived(database, schools.a.id, year.groups["5"]) == [
        ("lab", Decimal("15.0")), ("lab", Decimal("19.3")),
        ("lesson", Decimal("60.5")), ("lesson", Decimal("75.5"))]
    assert derived(database, schools.a.id, year.groups["6"]) == []
    # and one audit row per write, with the plan before and after
    audit = sql(database, schools.a.id, "SELECT before, after FROM audit_log WHERE school_id "
                "= :school AND entity = 'curriculum_plans' AND entity_id = :y ORDER BY seq",
                y=year.id)
    assert len(audit) == 2
    assert audit[0][0] == {"lines": []}
    assert sorted(ln["hours_per_year"] for ln in audit[1][0]["lines"]) == ["10.0", "34.3"]
    assert sorted(ln["hours_per_year"] for ln in audit[1][1]["lines"]) == ["136.0", "34.3"]
    assert audit[1][1]["derived_lines"] == 4


def rows(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((r["gradeLevel"], r["hoursPerYear"], r["subject"]["name"],
                   r["lessonType"]["name"]) for r in found)


def test_derived_lines_add_up_to_the_years_hours() -> None:
    for total, weights in [(Decimal("136"), [80, 100]), (Decimal("34.3"), [45, 38, 50, 42]),
                           (Decimal("0.4"), [3, 1]), (Decimal("1000"), [0, 0]),
                           (Decimal("17.5"), [10, 10, 10])]:
        parts = spread(total, weights)
        assert sum(parts) == total and len(parts) == len(weights)
        assert all(p * 2 == int(p * 2) for p in parts[:-1])
    assert spread(Decimal("17.5"), [10, 10, 10]) == [Decimal(6), Decimal("6"), Decimal("5.5")]


def test_set_curriculum_refuses_bad_lines_naming_each(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, year: Year
) -> None:
    admin = token_for(schools.a.logins["admin"])
    theirs = make_year(database, schools.b, 2031)
    base = {"subjectId": year.subject, "gradeLevel": 5, "lessonTypeId": year.lesson,
            "hoursPerYear": 34}
    result = post(gql, SET, admin, academicYearId=year.gid, lines=[
        base, {**base, "gradeLevel": 12}, {**base, "gradeLevel": 6, "hoursPerYear": 1000.5},
        {**base, "gradeLevel": 7, "hoursPerYear": 1.25}, {**base, "subjectId": theirs.subject},
        {**base, "gradeLevel": 8, "lessonTypeId": theirs.lab},
        {**base, "subjectId": "not-an-id"}, {**base, "hoursPerYear": 10}])
    assert result["curriculum"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.lines.1.gradeLevel", "OUT_OF_RANGE"),
        ("input.lines.2.hoursPerYear", "OUT_OF_RANGE"),
        ("input.lines.3.hoursPerYear", "INVALID"),
        ("input.lines.6.subjectId", "INVALID"),
        ("input.lines.4.subjectId", "NOT_FOUND"),
        ("input.lines.5.lessonTypeId", "NOT_FOUND"),
        ("input.lines.7", "DUPLICATE")]
    assert "line 0" in result["errors"][-1]["message"]
    assert sql(database, schools.a.id, "SELECT id FROM curriculum_plans WHERE "
               "academic_year_id = :y", y=year.id) == []


def test_curriculum_writes_by_other_roles_and_schools_are_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, year: Year
) -> None:
    previous = make_year(database, schools.a, 2029)
    for role in OTHER_ROLES:
        token = token_for(schools.a.logins[role])
        result = post(gql, SET, token, academicYearId=year.gid, lines=lines_of(year))
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.academicYearId", "FORBIDDEN")]
        result = post(gql, COPY, token, fromAcademicYearId=previous.gid,
                      toAcademicYearId=year.gid)
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.fromAcademicYearId", "FORBIDDEN")]
    for login in (schools.b.logins["admin"], schools.officer_logins["region"]):
        token = token_for(login)
        result = post(gql, SET, token, academicYearId=year.gid, lines=[])
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.academicYearId", "NOT_FOUND")]
    # an administrator of B copies nothing from A's year into B's
    theirs = make_year(database, schools.b, 2030)
    post(gql, SET, token_for(schools.a.logins["admin"]), academicYearId=previous.gid,
         lines=lines_of(previous))
    result = post(gql, COPY, token_for(schools.b.logins["admin"]),
                  fromAcademicYearId=previous.gid, toAcademicYearId=theirs.gid)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.fromAcademicYearId", "NOT_FOUND")]
    assert sql(database, schools.b.id, "SELECT id FROM curriculum_plans WHERE school_id = "
               ":school AND academic_year_id = :y", y=theirs.id) == []
    assert sql(database, schools.a.id, "SELECT id FROM curriculum_plans WHERE school_id = "
               ":school AND academic_year_id = :y", y=year.id) == []


def test_copy_curriculum_from_the_previous_year(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, year: Year
) -> None:
    # given last year's plan (2029/2030: 79 and 101 weekdays) and this year's groups
    admin = token_for(schools.a.logins["admin"])
    previous = make_year(database, schools.a, 2029)
    post(gql, SET, admin, academicYearId=previous.gid, lines=lines_of(previous))
    # when it is copied to this year
    result = post(gql, COPY, admin, fromAcademicYearId=previous.gid, toAcademicYearId=year.gid)
    # then this year has the same lines, and its groups their own derived lines
    assert result["errors"] == []
    assert rows(result["curriculum"]) == [(5, 34.3, "Математика", "lab"),
                                          (5, 136.0, "Математика", "lesson")]
    assert derived(database, schools.a.id, year.groups["5"]) == [
        ("lab", Decimal("15.0")), ("lab", Decimal("19.3")),
        ("lesson", Decimal("60.5")), ("lesson", Decimal("75.5"))]
    (after,) = sql(database, schools.a.id, "SELECT after FROM audit_log WHERE school_id = "
                   ":school AND entity = 'curriculum_plans' AND entity_id = :y", y=year.id)
    assert after[0]["copied_from_academic_year_id"] == str(previous.id)
    # and a year without a plan, or the same year, cannot be copied
    empty = make_year(database, schools.a, 2032)
    assert [(e["field"], e["code"]) for e in post(
        gql, COPY, admin, fromAcademicYearId=empty.gid, toAcademicYearId=year.gid)["errors"]
    ] == [("input.fromAcademicYearId", "INVALID")]
    assert [(e["field"], e["code"]) for e in post(
        gql, COPY, admin, fromAcademicYearId=year.gid, toAcademicYearId=year.gid)["errors"]
    ] == [("input.toAcademicYearId", "INVALID")]
