"""Period and year grades, overdue deferrals, convertValue, averageExplanation, and closing
periods and years — through the HTTP endpoint."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import PASSWORD, SchoolFixture, TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

GRADE_FIELDS = ("id kind state value suggestedValue suggestedAverage deferredReason "
                "deferredUntil version setAt setBy { id } student { id } period { id } "
                "subject { id }")
SET_PERIOD_GRADE = f"""
mutation Set($input: SetPeriodGradeInput!) {{ setPeriodGrade(input: $input) {{
  grade {{ {GRADE_FIELDS} }} errors {{ field code message }} }} }}
"""
SET_YEAR_GRADE = f"""
mutation Set($input: SetYearGradeInput!) {{ setYearGrade(input: $input) {{
  grade {{ {GRADE_FIELDS} }} errors {{ field code message }} }} }}
"""
SET_YEAR_GRADES = f"""
mutation Set($input: SetYearGradesInput!) {{ setYearGrades(input: $input) {{
  grades {{ {GRADE_FIELDS} }} gaps {{ student {{ id }} reason }}
  errors {{ field code message }} }} }}
"""
OVERDUE = """
query Overdue($schoolId: ID!, $first: Int) { overdueDeferrals(schoolId: $schoolId, first: $first) {
  edges { node { id deferredUntil deferredReason student { fullName } subject { name }
                 period { name } setBy { id } } } } }
"""
EXPLAIN = """
query Explain($g: ID!, $p: ID!, $s: ID!, $in: ID) {
  averageExplanation(groupId: $g, periodId: $p, studentId: $s, in: $in) {
    marks { markId workDate label gradingSystem workType weight point number counted reason }
    countedMarks totalWeight weightedPointSum axisAverage weightedNumberSum average
    convertedValue { label } rounding { threshold lower upper fraction result }
    suggestedValue { label } gradingSystem { name } summary } }
"""
JOURNAL_SUGGESTION = """
query Journal($g: ID!, $p: ID!) { journal(groupId: $g, periodId: $p) {
  students { average suggestedValue } } }
"""
CONVERT = """
query Convert($v: ID!, $to: ID!, $on: Date) { convertValue(valueId: $v, toSystemId: $to, on: $on) {
  label point } }
"""
NODE = """
query Node($id: ID!, $sys: ID!) { node(id: $id) { id ... on Grade { value valueIn(systemId: $sys) {
  label } } } }
"""
CLOSE_PERIOD = """
mutation Close($input: ClosePeriodInput!) { closePeriod(input: $input) {
  period { id closedAt } errors { field code message } } }
"""
CLOSE_YEAR = """
mutation Close($input: CloseAcademicYearInput!) { closeAcademicYear(input: $input) {
  academicYear { id status } errors { field code message } } }
"""

_counter = itertools.count(1)



def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), {"school": school_id, **params}).all())


@contextmanager
def owner(database: DatabaseUrls, school_id: uuid.UUID) -> Iterator[Any]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        yield s


def grades_of(database: DatabaseUrls, school_id: uuid.UUID, students: list[uuid.UUID]
              ) -> list[Any]:
    return sql(database, school_id, "SELECT id, kind, state, period_id, version FROM grades "
               "WHERE school_id = :school AND student_id = ANY(:s) ORDER BY id", s=students)


def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity_id: Any) -> list[Any]:
    return sql(database, school_id, "SELECT action, entity, actor_person_id, before, after "
               "FROM audit_log WHERE school_id = :school AND entity_id = :e ORDER BY seq",
               e=uuid.UUID(str(entity_id)))


def raw(global_id: str) -> uuid.UUID:
    import base64

    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


def fields(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def post(gql: Any, document: str, name: str, token: str, **variables: Any) -> dict[str, Any]:
    body = gql.post(document, variables, token=token)
    assert "errors" not in body, body
    return body["data"][name]


def add_marks(database: DatabaseUrls, jg: JournalGroup, student: int,
              marks: list[tuple[str, str, date, bool]]) -> list[uuid.UUID]:
    """(label, work type key, work date, excluded) marks of a student, as the owner."""
    ids = []
    with owner(database, jg.school.id) as s:
        for label, work, day, excluded in marks:
            mark = m.Mark(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                          student_id=jg.students[student], work_date=day,
                          work_type_id=jg.setup.work_type_ids[work],
                          value_id=jg.setup.value_ids[label], excluded_from_average=excluded)
            s.add(mark)
            ids.append(mark.id)
    return ids


def add_period_grades(database: DatabaseUrls, jg: JournalGroup, student: int,
                      grades: list[str | m.GradeState | None]) -> None:
    """A student's grades for Q1..Q4 (a label, a state, or None for no grade), as the owner."""
    with owner(database, jg.school.id) as s:
        for period_id, g in zip(jg.setup.period_ids, grades, strict=False):
            if g is None:
                continue
            state = m.GradeState.GRADED if isinstance(g, str) and g not in (
                "not_attested", "exempt", "deferred") else m.GradeState(g)
            s.add(m.Grade(
                school_id=jg.school.id, id=uuid.uuid4(), academic_year_id=jg.school.year_id,
                student_id=jg.students[student], subject_id=jg.setup.subject_id,
                kind=m.GradeKind.PERIOD, period_id=period_id, group_id=jg.group_id, state=state,
                value_id=jg.setup.value_ids[str(g)] if state == m.GradeState.GRADED else None,
                deferred_reason="болезнь" if state == m.GradeState.DEFERRED else None,
                deferred_until=date(2016, 6, 30) if state == m.GradeState.DEFERRED else None))


def make_system(database: DatabaseUrls, school_id: uuid.UUID, code: str
                ) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """A copy of a template (migration 0002) as a new system of the school."""
    with owner(database, school_id) as s:
        template = s.scalar(select(m.GradingTemplate).where(m.GradingTemplate.code == code))
        assert template is not None
        system = m.GradingSystem(school_id=school_id, id=uuid.uuid4(),
                                 name=f"{template.name} {uuid.uuid4().hex[:8]}",
                                 kind=template.kind, template_code=code)
        s.add(system)
        s.flush()
        values = {}
        for t in s.scalars(select(m.GradingTemplateValue).where(
                m.GradingTemplateValue.template_id == template.id)):
            v = m.MarkValue(school_id=school_id, id=uuid.uuid4(), system_id=system.id,
                            label=t.label, ordinal=t.ordinal, range_low=t.range_low,
                            range_high=t.range_high, point=t.point,
                            counts_as_pass=t.counts_as_pass, numeric_value=t.numeric_value)
            s.add(v)
            values[t.label] = v.id
        return system.id, values


@dataclass
class Term:
    """An academic year of its own (so closing and archiving touch no other test)."""

    school: SchoolFixture
    year_id: uuid.UUID
    period_ids: list[uuid.UUID]
    group_id: uuid.UUID
    teacher_login: str
    students: list[uuid.UUID]
    logins: dict[str, str] = field(default_factory=dict)


def make_term(database: DatabaseUrls, school: SchoolFixture,
              periods: list[tuple[date, date]]) -> Term:
    from resolvers.auth.passwords import hash_password

    n = next(_counter)
    tag = f"{school.logins['admin'].split('.')[0]}.g{n}.{uuid.uuid4().hex[:6]}"
    digest = hash_password(PASSWORD)
    with owner(database, school.id) as s:
        sid = school.id
        year = m.AcademicYear(school_id=sid, id=uuid.uuid4(), name=f"Г{n} {tag[-6:]}",
                              starts_on=periods[0][0], ends_on=periods[-1][1])
        s.add(year)
        s.flush()
        scheme = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                name="Полугодия", kind=m.SchemeKind.HALF_YEARS)
        s.add(scheme)
        s.flush()
        period_ids = []
        for i, (start, end) in enumerate(periods, start=1):
            p = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=scheme.id, ordinal=i,
                         name=f"{i} полугодие", starts_on=start, ends_on=end)
            s.add(p)
            period_ids.append(p.id)
        system_id = s.scalar(select(m.GradingSystem.id).where(
            m.GradingSystem.school_id == sid, m.GradingSystem.name == "Пятибалльная"))
        subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"Предмет {tag}",
                            short_name="Пр")
        s.add(subject)
        s.flush()
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year.id, grade_level=7,
                                 scheme_id=scheme.id))
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year.id, subject_id=None,
                                 grade_level=None, system_id=system_id))
        logins: dict[str, str] = {}

        def person(key: str, role: m.SchoolRole) -> uuid.UUID:
            account = m.Account(id=uuid.uuid4(), login=f"{tag}.{key}", password_hash=digest)
            s.add(account)
            s.flush()
            p = m.Person(school_id=sid, id=uuid.uuid4(), account_id=account.id,
                         last_name=key.title(), first_name=f"Г{n}", external_id=account.login)
            s.add(p)
            s.flush()
            s.add(m.PersonRole(school_id=sid, person_id=p.id, role=role))
            logins[key] = account.login
            return p.id

        teacher = person("teacher", m.SchoolRole.TEACHER)
        student = person("student", m.SchoolRole.STUDENT)
        klass = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                              grade_level=7, letter="Г")
        s.add(klass)
        s.flush()
        group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                             subject_id=subject.id, kind=m.GroupKind.WHOLE_CLASS,
                             class_id=klass.id, name=f"7Г {tag}")
        s.add(group)
        s.flush()
        s.add(m.Enrollment(school_id=sid, class_id=klass.id, student_id=student,
                           starts_on=periods[0][0]))
        s.add(m.GroupMembership(school_id=sid, group_id=group.id, student_id=student,
                                starts_on=periods[0][0]))
        s.add(m.TeacherAssignment(school_id=sid, group_id=group.id, teacher_id=teacher,
                                  starts_on=periods[0][0]))
        term = Term(school, year.id, period_ids, group.id, logins["teacher"], [student], logins)
    return term


def period_input(jg: JournalGroup, student: int = 0, quarter: int = 0, **extra: Any
                 ) -> dict[str, Any]:
    return {"groupId": gid("StudyGroup", jg.group_id),
            "periodId": gid("Period", jg.setup.period_ids[quarter]),
            "studentId": gid("Person", jg.students[student]), **extra}


@pytest.fixture()
def jg(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=2, lessons=1)


# setPeriodGrade


def test_set_period_grade_by_group_teacher_keeps_the_suggestion_beside_it_and_audits(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a 4 in class (weight 1) and a 5 in a test (weight 2): (4 + 10) / 3 = 4.67 → 5
    add_marks(database, jg, 0, [("4", "classwork", date(2015, 9, 10), False),
                                ("5", "test", date(2015, 9, 20), False)])
    # when
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(jg.teacher_login),
                  input=period_input(jg, state="GRADED", value="4"))
    # then
    assert result["errors"] == []
    grade = result["grade"]
    assert (grade["kind"], grade["state"], grade["value"]) == ("PERIOD", "GRADED", "4")
    assert (grade["suggestedValue"], grade["suggestedAverage"]) == ("5", 4.67)
    assert grade["version"] == 1 and grade["setAt"]
    assert grade["setBy"]["id"] == gid("Person", jg.teacher_id)
    assert grade["period"]["id"] == gid("Period", jg.setup.period_ids[0])
    audit = audit_of(database, jg.school.id, raw(grade["id"]))
    assert [(a.action, a.entity, a.actor_person_id) for a in audit] == [
        ("create", "grades", jg.teacher_id)]
    assert audit[0].after["suggested_average"] == "4.67"


def test_set_period_grade_by_administrator_succeeds(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(schools.a.logins["admin"]),
                  input=period_input(jg, state="EXEMPT"))
    assert result["errors"] == []
    assert (result["grade"]["state"], result["grade"]["value"]) == ("EXEMPT", None)
    assert result["grade"]["suggestedValue"] is None


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian", "officer"])
def test_set_period_grade_by_other_roles_is_refused_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup, who: str
) -> None:
    # given: people who do not teach the group (its own student and guardian too)
    login = {"student": jg.student_logins[0], "guardian": jg.guardian_login,
             "officer": schools.officer_logins["region"]}.get(who) or schools.a.logins[who]
    # when
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(login),
                  input=period_input(jg, state="GRADED", value="5"))
    # then
    expected = "NOT_FOUND" if who == "officer" else "FORBIDDEN"
    assert fields(result) == [("input.groupId", expected)]
    assert result["grade"] is None
    assert grades_of(database, jg.school.id, jg.students) == []


def test_set_period_grade_on_other_school_is_exactly_not_found(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    missing = period_input(jg, state="GRADED", value="5", groupId=gid("StudyGroup",
                                                                       uuid.uuid4()))
    admin_b = token_for(schools.b.logins["admin"])
    # when
    other = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", admin_b,
                 input=period_input(jg, state="GRADED", value="5"))
    nothing = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", admin_b, input=missing)
    # then
    assert other["errors"] == nothing["errors"]
    assert fields(other) == [("input.groupId", "NOT_FOUND")]
    assert grades_of(database, jg.school.id, jg.students) == []


@pytest.mark.parametrize(("extra", "expected"), [
    ({"state": "GRADED"}, [("input.value", "REQUIRED")]),
    ({"state": "GRADED", "value": "6"}, [("input.value", "INVALID")]),
    ({"state": "DEFERRED"}, [("input.deferredReason", "REQUIRED"),
                             ("input.deferredUntil", "REQUIRED")]),
    ({"state": "DEFERRED", "deferredReason": "болезнь", "deferredUntil": "2015-10-15"},
     [("input.deferredUntil", "OUT_OF_RANGE")]),
    ({"state": "NOT_ATTESTED", "value": "5"}, [("input.value", "INVALID")]),
    ({"state": "EXEMPT", "deferredReason": "болезнь", "deferredUntil": "2015-11-15"},
     [("input.deferredReason", "INVALID"), ("input.deferredUntil", "INVALID")]),
    ({"state": "GRADED", "value": "5", "periodId": gid("Period", uuid.uuid4()),
      "studentId": "junk"}, [("input.periodId", "NOT_FOUND"), ("input.studentId", "INVALID")]),
])
def test_set_period_grade_states_require_their_fields_and_write_nothing(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup, extra: dict[str, Any],
    expected: list[tuple[str, str]]
) -> None:
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(jg.teacher_login),
                  input={**period_input(jg), **extra})
    assert fields(result) == expected
    assert grades_of(database, jg.school.id, jg.students) == []
    if extra.get("value") == "6":
        assert "allowed: 2, 3, 4, 5" in result["errors"][0]["message"]


def test_set_period_grade_deferred_then_graded_with_expected_version(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    deferred = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period_input(
        jg, state="DEFERRED", deferredReason="болезнь", deferredUntil="2015-11-20",
        expectedVersion=0))["grade"]
    # when
    graded = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period_input(
        jg, state="GRADED", value="3", expectedVersion=1))
    stale = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period_input(
        jg, state="GRADED", value="5", expectedVersion=1))
    # then
    assert (deferred["state"], deferred["deferredReason"], deferred["deferredUntil"]) == (
        "DEFERRED", "болезнь", "2015-11-20")
    assert graded["errors"] == []
    assert (graded["grade"]["id"], graded["grade"]["version"]) == (deferred["id"], 2)
    assert graded["grade"]["deferredUntil"] is None
    assert fields(stale) == [("input.expectedVersion", "CONFLICT")]
    assert "it is now 3 (version 2)" in stale["errors"][0]["message"]
    assert [a.action for a in audit_of(database, jg.school.id, raw(deferred["id"]))] == [
        "create", "update"]


def test_set_period_grade_of_a_student_outside_the_group_is_not_found(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    for student in (schools.a.people["student"], schools.b.people["student"]):
        result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(jg.teacher_login),
                      input=period_input(jg, state="GRADED", value="5",
                                         studentId=gid("Person", student)))
        assert fields(result) == [("input.studentId", "NOT_FOUND")]
    assert grades_of(database, jg.school.id,
                     [schools.a.people["student"], schools.b.people["student"]]) == []


def test_set_period_grade_pass_fail_subject_uses_its_own_system(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a pass/fail subject (its own grading-system use) studied by the same class
    system_id, _ = make_system(database, jg.school.id, "pass_fail")
    with owner(database, jg.school.id) as s:
        subject = m.Subject(school_id=jg.school.id, id=uuid.uuid4(),
                            name=f"ОБЖ {uuid.uuid4().hex[:8]}", short_name="ОБЖ")
        s.add(subject)
        s.flush()
        s.add(m.GradingSystemUse(school_id=jg.school.id, academic_year_id=jg.school.year_id,
                                 subject_id=subject.id, grade_level=None, system_id=system_id))
        group = m.StudyGroup(school_id=jg.school.id, id=uuid.uuid4(),
                             academic_year_id=jg.school.year_id, subject_id=subject.id,
                             kind=m.GroupKind.WHOLE_CLASS, class_id=jg.class_id, name="ОБЖ")
        s.add(group)
        s.flush()
        s.add(m.GroupMembership(school_id=jg.school.id, group_id=group.id,
                                student_id=jg.students[0], starts_on=date(2015, 9, 1)))
        s.add(m.TeacherAssignment(school_id=jg.school.id, group_id=group.id,
                                  teacher_id=jg.teacher_id, starts_on=date(2015, 9, 1)))
        group_id = group.id
    token = token_for(jg.teacher_login)
    input = period_input(jg, groupId=gid("StudyGroup", group_id), state="GRADED")
    # when
    five = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input={**input, "value": "5"})
    passed = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token,
                  input={**input, "value": "зачёт"})
    # then
    assert fields(five) == [("input.value", "INVALID")]
    assert "allowed: незачёт, зачёт" in five["errors"][0]["message"]
    assert passed["errors"] == [] and passed["grade"]["value"] == "зачёт"


def test_grade_node_reads_its_value_in_another_system_for_its_readers_only(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: a period grade «4» (point 77.5) and the ten-point scale
    ten_id, _ = make_system(database, jg.school.id, "ten_point")
    grade = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(jg.teacher_login),
                 input=period_input(jg, state="GRADED", value="4"))["grade"]
    variables = {"id": grade["id"], "sys": gid("GradingSystem", ten_id)}
    # when
    seen = {who: gql.post(NODE, variables, token=token_for(login))["data"]["node"]
            for who, login in [("guardian", jg.guardian_login),
                               ("student", jg.student_logins[0]),
                               ("admin", schools.a.logins["admin"]),
                               ("other teacher", schools.a.logins["teacher"]),
                               ("admin B", schools.b.logins["admin"])]}
    # then
    assert seen["guardian"] == {"id": grade["id"], "value": "4", "valueIn": {"label": "8"}}
    assert seen["student"] == seen["admin"] == seen["guardian"]
    assert seen["other teacher"] is None and seen["admin B"] is None


# setYearGrades / setYearGrade


def test_set_year_grades_computes_the_rounded_mean_and_reports_gaps(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: 4,4,4,5 → 4.25 → 4; 5,5,5,4 → 4.75 → 5; н/а in one quarter; a missing quarter;
    # a deferred quarter
    jg = make_journal_group(database.owner, schools.a, students=5, lessons=1)
    add_period_grades(database, jg, 0, ["4", "4", "4", "5"])
    add_period_grades(database, jg, 1, ["5", "5", "5", "4"])
    add_period_grades(database, jg, 2, ["5", "not_attested", "4", "4"])
    add_period_grades(database, jg, 3, ["5", "5", "5"])
    add_period_grades(database, jg, 4, ["5", "5", "5", "deferred"])
    # when
    result = post(gql, SET_YEAR_GRADES, "setYearGrades", token_for(jg.teacher_login), input={
        "groupId": gid("StudyGroup", jg.group_id),
        "academicYearId": gid("AcademicYear", jg.school.year_id)})
    # then
    assert result["errors"] == []
    by_student = {g["student"]["id"]: g for g in result["grades"]}
    first, second, third = (by_student[gid("Person", s)] for s in jg.students[:3])
    assert (first["kind"], first["state"], first["value"], first["suggestedValue"],
            first["suggestedAverage"], first["period"]) == ("YEAR", "GRADED", "4", "4", 4.25,
                                                            None)
    assert (second["value"], second["suggestedAverage"]) == ("5", 4.75)
    assert (third["state"], third["value"]) == ("NOT_ATTESTED", None)
    gaps = {g["student"]["id"]: g["reason"] for g in result["gaps"]}
    assert gaps == {gid("Person", jg.students[3]): "no grade for «4 четверть»",
                    gid("Person", jg.students[4]): "deferred in «4 четверть»"}
    for grade in result["grades"]:
        assert [a.action for a in audit_of(database, jg.school.id, raw(grade["id"]))] == [
            "create"]


def test_set_year_grade_override_is_kept_unless_recomputed_with_overwrite(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: a computed year grade «4» overridden by the teacher to «5»
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    add_period_grades(database, jg, 0, ["4", "4", "4", "5"])
    token = token_for(jg.teacher_login)
    compute = {"groupId": gid("StudyGroup", jg.group_id),
               "academicYearId": gid("AcademicYear", jg.school.year_id)}
    post(gql, SET_YEAR_GRADES, "setYearGrades", token, input=compute)
    override = post(gql, SET_YEAR_GRADE, "setYearGrade", token, input={
        "groupId": gid("StudyGroup", jg.group_id), "studentId": gid("Person", jg.students[0]),
        "state": "GRADED", "value": "5", "expectedVersion": 1})
    # when
    again = post(gql, SET_YEAR_GRADES, "setYearGrades", token, input=compute)
    overwritten = post(gql, SET_YEAR_GRADES, "setYearGrades", token,
                       input={**compute, "overwrite": True})
    # then
    assert override["errors"] == []
    assert (override["grade"]["value"], override["grade"]["suggestedValue"]) == ("5", "4")
    assert (again["grades"][0]["value"], again["grades"][0]["version"]) == ("5", 2)
    assert (overwritten["grades"][0]["value"], overwritten["grades"][0]["version"]) == ("4", 3)


def test_set_year_grades_by_other_roles_and_schools_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    add_period_grades(database, jg, 0, ["4", "4", "4", "5"])
    input = {"groupId": gid("StudyGroup", jg.group_id),
             "academicYearId": gid("AcademicYear", jg.school.year_id)}
    student = post(gql, SET_YEAR_GRADES, "setYearGrades", token_for(jg.student_logins[0]),
                   input=input)
    other = post(gql, SET_YEAR_GRADES, "setYearGrades", token_for(schools.b.logins["admin"]),
                 input=input)
    wrong_year = post(gql, SET_YEAR_GRADES, "setYearGrades", token_for(jg.teacher_login),
                      input={**input, "academicYearId": gid("AcademicYear", schools.b.year_id)})
    assert fields(student) == [("input.groupId", "FORBIDDEN")]
    assert fields(other) == [("input.groupId", "NOT_FOUND")]
    assert fields(wrong_year) == [("input.academicYearId", "NOT_FOUND")]
    assert [g.kind for g in grades_of(database, jg.school.id, jg.students)] == ["period"] * 4


# overdueDeferrals


def defer(gql: Any, token: str, jg: JournalGroup, student: int, until: str) -> dict[str, Any]:
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period_input(
        jg, student, state="DEFERRED", deferredReason="болезнь", deferredUntil=until))
    assert result["errors"] == []
    return result["grade"]


def test_overdue_deferrals_lists_past_due_deferrals_for_admin_and_group_teacher(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: one deferral past its date, one still ahead
    token = token_for(jg.teacher_login)
    late = defer(gql, token, jg, 0, "2015-11-20")
    ahead = defer(gql, token, jg, 1, (date.today() + timedelta(days=30)).isoformat())
    school = gid("School", jg.school.id)
    # when
    listed = {who: [e["node"]["id"] for e in post(
        gql, OVERDUE, "overdueDeferrals", token_for(login), schoolId=school, first=100)["edges"]]
        for who, login in [("teacher", jg.teacher_login), ("admin", schools.a.logins["admin"])]}
    # then
    assert listed["teacher"] == [late["id"]]
    assert late["id"] in listed["admin"] and ahead["id"] not in listed["admin"]


@pytest.mark.parametrize("who", ["teacher", "student", "guardian", "officer", "admin B"])
def test_overdue_deferrals_is_empty_for_other_roles_and_schools(
    gql, token_for, schools: TwoSchools, jg: JournalGroup, who: str
) -> None:
    defer(gql, token_for(jg.teacher_login), jg, 0, "2015-11-20")
    login = {"student": jg.student_logins[0], "guardian": jg.guardian_login,
             "officer": schools.officer_logins["region"],
             "admin B": schools.b.logins["admin"]}.get(who) or schools.a.logins[who]
    result = post(gql, OVERDUE, "overdueDeferrals", token_for(login),
                  schoolId=gid("School", jg.school.id))
    assert result["edges"] == []


def test_overdue_deferrals_statement_count_does_not_grow_with_rows(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    def statements(students: int) -> tuple[int, int]:
        group = make_journal_group(database.owner, schools.a, students=students, lessons=1)
        token = token_for(group.teacher_login)
        for n in range(students):
            defer(gql, token, group, n, "2015-11-20")
        with count_statements() as counter:
            result = post(gql, OVERDUE, "overdueDeferrals", token,
                          schoolId=gid("School", group.school.id))
        assert all(e["node"]["student"]["fullName"] for e in result["edges"])
        return len(result["edges"]), counter.count

    two, six = statements(2), statements(6)
    assert (two[0], six[0]) == (2, 6)
    assert two[1] == six[1], (two, six)


# averageExplanation


def test_average_explanation_shows_each_mark_and_the_rounding(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: Q1: 4 (w1), 5 (w2), an excluded 2; Q2: a 2
    add_marks(database, jg, 0, [("4", "classwork", date(2015, 9, 10), False),
                                ("5", "test", date(2015, 9, 20), False),
                                ("2", "classwork", date(2015, 9, 25), True),
                                ("2", "classwork", date(2015, 11, 20), False)])
    # when
    result = post(gql, EXPLAIN, "averageExplanation", token_for(jg.guardian_login),
                  g=gid("StudyGroup", jg.group_id), p=gid("Period", jg.setup.period_ids[0]),
                  s=gid("Person", jg.students[0]))
    # then
    marks = [(x["label"], x["weight"], x["point"], x["number"], x["counted"], x["reason"])
             for x in result["marks"]]
    assert marks == [("4", 1.0, 77.5, 4.0, True, None), ("5", 2.0, 92.5, 5.0, True, None),
                     ("2", 1.0, 25.0, 2.0, False, "EXCLUDED"),
                     ("2", 1.0, 25.0, 2.0, False, "OTHER_PERIOD")]
    assert (result["countedMarks"], result["totalWeight"], result["weightedPointSum"],
            result["axisAverage"], result["weightedNumberSum"], result["average"]) == (
        2, 3.0, 262.5, 87.5, 14.0, 4.67)
    assert result["rounding"]["lower"] == "4" and result["rounding"]["upper"] == "5"
    assert result["rounding"]["fraction"] == 0.67
    assert result["suggestedValue"]["label"] == "5"
    assert result["convertedValue"]["label"] == "5"  # 87.5 lies in [85, 100]
    assert "14.00 / 3 = 4.67" in result["summary"]


def test_average_explanation_in_another_system(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a single 4 (point 77.5), told in ten points: 8 + 2.5 / 10 = 8.25 → 8
    ten_id, _ = make_system(database, jg.school.id, "ten_point")
    add_marks(database, jg, 0, [("4", "classwork", date(2015, 9, 10), False)])
    # when
    result = post(gql, EXPLAIN, "averageExplanation", token_for(jg.teacher_login),
                  g=gid("StudyGroup", jg.group_id), p=gid("Period", jg.setup.period_ids[0]),
                  s=gid("Person", jg.students[0]), **{"in": gid("GradingSystem", ten_id)})
    # then
    assert (result["average"], result["suggestedValue"]["label"]) == (8.25, "8")
    assert result["marks"][0]["number"] == 8.25


def test_average_explanation_is_null_for_viewers_without_journal_or_diary(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    variables = {"g": gid("StudyGroup", jg.group_id),
                 "p": gid("Period", jg.setup.period_ids[0]), "s": gid("Person", jg.students[0])}
    for login in (schools.a.logins["teacher"], schools.a.logins["student"],
                  schools.b.logins["admin"], schools.officer_logins["region"]):
        assert gql.post(EXPLAIN, variables, token=token_for(login))["data"] == {
            "averageExplanation": None}, login
    for login in (jg.student_logins[0], schools.a.logins["admin"]):
        assert gql.post(EXPLAIN, variables, token=token_for(login))["data"][
            "averageExplanation"] is not None


@contextmanager
def rounding_threshold(database: DatabaseUrls, school_id: uuid.UUID, value: str
                       ) -> Iterator[None]:
    """Set the school's rounding threshold for the block, then put back what was there."""
    old = sql(database, school_id, "SELECT rounding_threshold FROM school_settings "
                                   "WHERE school_id = :school")
    with owner(database, school_id) as s:
        s.execute(text("INSERT INTO school_settings (school_id, id, rounding_threshold) "
                       "VALUES (:s, gen_random_uuid(), :v) ON CONFLICT (school_id) DO UPDATE "
                       "SET rounding_threshold = :v"), {"s": school_id, "v": Decimal(value)})
    try:
        yield
    finally:
        with owner(database, school_id) as s:
            if old:
                s.execute(text("UPDATE school_settings SET rounding_threshold = :v "
                               "WHERE school_id = :s"), {"s": school_id, "v": old[0][0]})
            else:
                s.execute(text("DELETE FROM school_settings WHERE school_id = :s"),
                          {"s": school_id})


def test_average_explanation_and_suggestion_follow_the_school_rounding_threshold(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: 4 and 5 → 4.50, in school B whose threshold is 0.6
    jg = make_journal_group(database.owner, schools.b, students=1, lessons=1)
    add_marks(database, jg, 0, [("4", "classwork", date(2015, 9, 10), False),
                                ("5", "classwork", date(2015, 9, 11), False)])
    token = token_for(jg.teacher_login)
    with rounding_threshold(database, schools.b.id, "0.6"):
        # when
        result = post(gql, EXPLAIN, "averageExplanation", token,
                      g=gid("StudyGroup", jg.group_id), p=gid("Period", jg.setup.period_ids[0]),
                      s=gid("Person", jg.students[0]))
        grade = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token,
                     input=period_input(jg, state="GRADED", value="5"))["grade"]
        page = post(gql, JOURNAL_SUGGESTION, "journal", token,
                    g=gid("StudyGroup", jg.group_id), p=gid("Period", jg.setup.period_ids[0]))
    # then
    assert (result["average"], result["rounding"]["threshold"]) == (4.5, 0.6)
    assert result["suggestedValue"]["label"] == "4"
    # and the journal's grid rounds with the same threshold
    assert page["students"] == [{"average": 4.5, "suggestedValue": "4"}]
    assert (grade["value"], grade["suggestedValue"], grade["suggestedAverage"]) == ("5", "4",
                                                                                     4.5)


# convertValue


def test_convert_value_through_the_axis_and_by_a_pinned_table(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: the ten-point scale, and a table 5-point → 10-point for 2015/2016 only
    ten_id, ten = make_system(database, jg.school.id, "ten_point")
    five = jg.setup.value_ids
    with owner(database, jg.school.id) as s:
        table = m.ConversionTable(school_id=jg.school.id, id=uuid.uuid4(),
                                  from_system_id=jg.setup.system_id, to_system_id=ten_id,
                                  provenance="Положение о системе оценок (тест)",
                                  valid_from=date(2015, 9, 1), valid_to=date(2016, 5, 31))
        s.add(table)
        s.flush()
        for f, t in (("2", "3"), ("3", "5"), ("4", "7"), ("5", "10")):
            s.add(m.ConversionRow(school_id=jg.school.id, id=uuid.uuid4(), table_id=table.id,
                                  from_value_id=five[f], to_value_id=ten[t]))
    variables = {"v": gid("MarkValue", five["4"]), "to": gid("GradingSystem", ten_id)}
    token = token_for(schools.a.logins["student"])
    # when
    pinned = post(gql, CONVERT, "convertValue", token, **variables, on="2015-12-01")
    axis = post(gql, CONVERT, "convertValue", token, **variables, on="2016-09-01")
    today = post(gql, CONVERT, "convertValue", token, **variables)
    # then
    assert pinned == {"label": "7", "point": 65.0}
    assert axis == today == {"label": "8", "point": 75.0}


def test_convert_value_of_another_school_is_null(
    gql, token_for, schools: TwoSchools, jg: JournalGroup, database: DatabaseUrls
) -> None:
    ten_b, _ = make_system(database, schools.b.id, "ten_point")
    value = gid("MarkValue", jg.setup.value_ids["4"])
    assert post(gql, CONVERT, "convertValue", token_for(schools.b.logins["admin"]), v=value,
                to=gid("GradingSystem", ten_b)) is None
    assert post(gql, CONVERT, "convertValue", token_for(schools.a.logins["admin"]), v=value,
                to=gid("GradingSystem", ten_b)) is None


# closePeriod / closeAcademicYear


def test_close_period_before_its_end_or_posting_window_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: a period that ends in a month, and one that ended three days ago
    today = date.today()
    term = make_term(database, schools.a, [(today - timedelta(days=60), today - timedelta(3)),
                                           (today - timedelta(days=2), today + timedelta(30))])
    admin = token_for(schools.a.logins["admin"])
    # when
    future = post(gql, CLOSE_PERIOD, "closePeriod", admin,
                  input={"periodId": gid("Period", term.period_ids[1])})
    with owner(database, schools.a.id) as s:
        old = s.scalar(select(m.SchoolSettings.posting_window_days))
        s.execute(text("INSERT INTO school_settings (school_id, id, posting_window_days) VALUES "
                       "(:s, gen_random_uuid(), 30) ON CONFLICT (school_id) DO UPDATE SET "
                       "posting_window_days = 30"), {"s": schools.a.id})
    try:
        window = post(gql, CLOSE_PERIOD, "closePeriod", admin,
                      input={"periodId": gid("Period", term.period_ids[0])})
    finally:
        with owner(database, schools.a.id) as s:
            s.execute(text("UPDATE school_settings SET posting_window_days = :d "
                           "WHERE school_id = :s"), {"s": schools.a.id, "d": old})
    closed = post(gql, CLOSE_PERIOD, "closePeriod", admin,
                  input={"periodId": gid("Period", term.period_ids[0])})
    # then
    assert fields(future) == [("input.periodId", "INVALID")]
    assert "cannot be closed yet" in future["errors"][0]["message"]
    assert fields(window) == [("input.periodId", "INVALID")]
    assert "posting window" in window["errors"][0]["message"]
    assert closed["errors"] == [] and closed["period"]["closedAt"]


def test_close_period_by_non_administrators_and_other_schools_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    term = make_term(database, schools.a, [(date(2012, 9, 1), date(2012, 12, 28))])
    input = {"periodId": gid("Period", term.period_ids[0])}
    for login, code in ((term.teacher_login, "FORBIDDEN"),
                        (schools.a.logins["class_teacher"], "FORBIDDEN"),
                        (schools.a.logins["guardian"], "FORBIDDEN"),
                        (schools.officer_logins["region"], "NOT_FOUND"),
                        (schools.b.logins["admin"], "NOT_FOUND")):
        result = post(gql, CLOSE_PERIOD, "closePeriod", token_for(login), input=input)
        assert fields(result) == [("input.periodId", code)], login
    assert sql(database, schools.a.id, "SELECT closed_at FROM periods WHERE id = :p",
               p=term.period_ids[0])[0].closed_at is None


def test_closed_period_locks_grades_for_teachers_but_not_administrators(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: a past year of two half-years; the first is closed
    term = make_term(database, schools.a, [(date(2013, 9, 1), date(2013, 12, 28)),
                                           (date(2014, 1, 9), date(2014, 5, 31))])
    admin, teacher = token_for(schools.a.logins["admin"]), token_for(term.teacher_login)
    close = post(gql, CLOSE_PERIOD, "closePeriod", admin,
                 input={"periodId": gid("Period", term.period_ids[0])})

    def grade(token: str, period: int) -> dict[str, Any]:
        return post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input={
            "groupId": gid("StudyGroup", term.group_id),
            "periodId": gid("Period", term.period_ids[period]),
            "studentId": gid("Person", term.students[0]), "state": "GRADED", "value": "4"})

    # when
    by_teacher = grade(teacher, 0)
    by_admin = grade(admin, 0)
    open_period = grade(teacher, 1)
    # then
    assert close["errors"] == []
    assert [a.action for a in audit_of(database, schools.a.id, term.period_ids[0])] == ["close"]
    assert fields(by_teacher) == [("input.periodId", "FORBIDDEN")]
    assert "is closed" in by_teacher["errors"][0]["message"]
    assert by_admin["errors"] == [] and open_period["errors"] == []
    audit = audit_of(database, schools.a.id, raw(by_admin["grade"]["id"]))
    assert [(a.action, a.actor_person_id) for a in audit] == [
        ("create", schools.a.people["admin"])]


def test_close_academic_year_needs_every_period_closed_then_refuses_every_write(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    term = make_term(database, schools.a, [(date(2010, 9, 1), date(2010, 12, 28)),
                                           (date(2011, 1, 9), date(2011, 5, 31))])
    admin = token_for(schools.a.logins["admin"])
    year = {"academicYearId": gid("AcademicYear", term.year_id)}
    post(gql, CLOSE_PERIOD, "closePeriod", admin,
         input={"periodId": gid("Period", term.period_ids[0])})
    # when
    too_early = post(gql, CLOSE_YEAR, "closeAcademicYear", admin, input=year)
    by_teacher = post(gql, CLOSE_YEAR, "closeAcademicYear", token_for(term.teacher_login),
                      input=year)
    by_b = post(gql, CLOSE_YEAR, "closeAcademicYear", token_for(schools.b.logins["admin"]),
                input=year)
    post(gql, CLOSE_PERIOD, "closePeriod", admin,
         input={"periodId": gid("Period", term.period_ids[1])})
    archived = post(gql, CLOSE_YEAR, "closeAcademicYear", admin, input=year)
    write = {"groupId": gid("StudyGroup", term.group_id),
             "periodId": gid("Period", term.period_ids[1]),
             "studentId": gid("Person", term.students[0]), "state": "GRADED", "value": "5"}
    admin_write = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", admin, input=write)
    teacher_write = post(gql, SET_PERIOD_GRADE, "setPeriodGrade",
                         token_for(term.teacher_login), input=write)
    year_grades = post(gql, SET_YEAR_GRADES, "setYearGrades", admin,
                       input={"groupId": write["groupId"], **year})
    # then
    assert fields(too_early) == [("input.academicYearId", "INVALID")]
    assert "«2 полугодие»" in too_early["errors"][0]["message"]
    assert fields(by_teacher) == [("input.academicYearId", "FORBIDDEN")]
    assert fields(by_b) == [("input.academicYearId", "NOT_FOUND")]
    assert archived["errors"] == [] and archived["academicYear"]["status"] == "ARCHIVED"
    assert [a.action for a in audit_of(database, schools.a.id, term.year_id)] == ["archive"]
    for refused in (admin_write, teacher_write):
        assert fields(refused) == [("input.groupId", "FORBIDDEN")]
        assert "archived" in refused["errors"][0]["message"]
    assert year_grades["errors"][0]["code"] == "FORBIDDEN"
    assert grades_of(database, schools.a.id, term.students) == []
