"""The year-grade rule: no year grade while a period it sums is open and the student has no
final grade for it, unless an administrator overrides with a reason (audited) — through the
HTTP endpoint."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from db import models as m
from db.engine import DatabaseUrls
from schema.ids import to_global_id as gid
from tests.api.test_grades import (
    CLOSE_PERIOD,
    SET_PERIOD_GRADE,
    SET_YEAR_GRADE,
    SET_YEAR_GRADES,
    Term,
    audit_of,
    fields,
    make_term,
    owner,
    post,
    raw,
    sql,
)
from tests.factories import TwoSchools

HALVES = [(date(2012, 9, 1), date(2012, 12, 28)), (date(2013, 1, 10), date(2013, 5, 31))]
REASON = "переведён в другую школу 20.05.2013, приказ № 41"


def term_with_first_half_graded(database: DatabaseUrls, schools: TwoSchools, gql: Any,
                                token_for: Any) -> Term:
    """Two half-years, both open; the student's first half-year graded «4» by the teacher."""
    term = make_term(database, schools.a, HALVES)
    result = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token_for(term.teacher_login),
                  input=period(term, 0, state="GRADED", value="4"))
    assert result["errors"] == []
    return term


def period(term: Term, n: int, student: int = 0, **extra: Any) -> dict[str, Any]:
    return {"groupId": gid("StudyGroup", term.group_id),
            "periodId": gid("Period", term.period_ids[n]),
            "studentId": gid("Person", term.students[student]), **extra}


def year(term: Term, student: int = 0, **extra: Any) -> dict[str, Any]:
    return {"groupId": gid("StudyGroup", term.group_id),
            "studentId": gid("Person", term.students[student]), "state": "GRADED",
            "value": "4", **extra}


def year_grades(database: DatabaseUrls, term: Term) -> list[Any]:
    return sql(database, term.school.id, "SELECT student_id, state FROM grades WHERE "
               "school_id = :school AND academic_year_id = :y AND kind = 'year'", y=term.year_id)


def test_year_grade_is_refused_while_a_period_is_open_and_ungraded(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: the second half-year open and without a grade
    term = term_with_first_half_graded(database, schools, gql, token_for)
    # when: the teacher, and the administrator without an override
    by_teacher = post(gql, SET_YEAR_GRADE, "setYearGrade", token_for(term.teacher_login),
                      input=year(term))
    by_admin = post(gql, SET_YEAR_GRADE, "setYearGrade", token_for(schools.a.logins["admin"]),
                    input=year(term))
    # then: refused on the student, naming the period and how to proceed; nothing written
    for result in (by_teacher, by_admin):
        assert result["grade"] is None
        assert fields(result) == [("input.studentId", "INVALID")]
        message = result["errors"][0]["message"]
        assert "«2 полугодие» (no grade)" in message and "«1 полугодие»" not in message
        assert "input.override" in message
    assert year_grades(database, term) == []


def test_year_grade_is_refused_while_an_open_period_is_deferred_but_may_be_deferred_itself(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: the second half-year deferred (not a final grade)
    term = term_with_first_half_graded(database, schools, gql, token_for)
    token = token_for(term.teacher_login)
    deferred = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period(
        term, 1, state="DEFERRED", deferredReason="болезнь", deferredUntil="2013-06-20"))
    assert deferred["errors"] == []
    # when
    graded = post(gql, SET_YEAR_GRADE, "setYearGrade", token, input=year(term))
    year_deferred = post(gql, SET_YEAR_GRADE, "setYearGrade", token, input=year(
        term, state="DEFERRED", value=None, deferredReason="болезнь",
        deferredUntil="2013-06-25"))
    # then
    assert fields(graded) == [("input.studentId", "INVALID")]
    assert "«2 полугодие» (deferred until 2013-06-20)" in graded["errors"][0]["message"]
    assert year_deferred["errors"] == []
    assert year_deferred["grade"]["state"] == "DEFERRED"


def test_year_grade_is_accepted_once_every_open_period_has_a_final_grade(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: the second half-year still open, but graded (or not attested)
    term = term_with_first_half_graded(database, schools, gql, token_for)
    token = token_for(term.teacher_login)
    post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input=period(term, 1, state="GRADED",
                                                                      value="5"))
    # when
    result = post(gql, SET_YEAR_GRADE, "setYearGrade", token, input=year(term, value="5"))
    # then: 4 and 5 → 4.50 → 5
    assert result["errors"] == []
    assert (result["grade"]["value"], result["grade"]["suggestedValue"]) == ("5", "5")


def test_administrator_overrides_the_rule_with_a_reason_and_the_audit_log_keeps_it(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: the second half-year open and without a grade
    term = term_with_first_half_graded(database, schools, gql, token_for)
    admin = token_for(schools.a.logins["admin"])
    # when: without a reason, then with one
    blank = post(gql, SET_YEAR_GRADE, "setYearGrade", admin,
                 input=year(term, override={"reason": "   "}))
    result = post(gql, SET_YEAR_GRADE, "setYearGrade", admin,
                  input=year(term, override={"reason": REASON}))
    # then
    assert fields(blank) == [("input.override.reason", "REQUIRED")]
    assert result["errors"] == []
    grade = result["grade"]
    assert (grade["kind"], grade["state"], grade["value"]) == ("YEAR", "GRADED", "4")
    assert grade["suggestedValue"] is None  # the school's rule has no year grade to suggest
    audit = audit_of(database, term.school.id, raw(grade["id"]))
    admin_id = schools.a.people["admin"]
    assert [(a.action, a.entity, a.actor_person_id) for a in audit] == [
        ("create", "grades", admin_id), ("override", "grades", admin_id)]
    assert audit[1].after == {"rule": "year grade with an open, ungraded period",
                              "reason": REASON, "open_periods": ["«2 полугодие» (no grade)"]}


def test_teacher_cannot_override_the_rule(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given
    term = term_with_first_half_graded(database, schools, gql, token_for)
    # when
    result = post(gql, SET_YEAR_GRADE, "setYearGrade", token_for(term.teacher_login),
                  input=year(term, override={"reason": REASON}))
    # then: refused, nothing written, no audit row
    assert result["grade"] is None
    assert fields(result) == [("input.override", "FORBIDDEN")]
    assert year_grades(database, term) == []
    mine = sql(database, term.school.id, "SELECT a.after FROM audit_log a JOIN grades g "
               "ON g.school_id = a.school_id AND g.id = a.entity_id WHERE a.school_id = :school "
               "AND g.academic_year_id = :y", y=term.year_id)
    assert [a.after.get("state") for a in mine] == ["graded"]  # the period grade only


def test_override_in_another_school_is_not_found(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    term = term_with_first_half_graded(database, schools, gql, token_for)
    result = post(gql, SET_YEAR_GRADE, "setYearGrade", token_for(schools.b.logins["admin"]),
                  input=year(term, override={"reason": REASON}))
    assert fields(result) == [("input.groupId", "NOT_FOUND")]
    assert year_grades(database, term) == []


def test_a_closed_period_without_a_grade_does_not_stand_in_the_way(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: both half-years closed, the second without a grade (the rule is about open ones)
    term = term_with_first_half_graded(database, schools, gql, token_for)
    admin = token_for(schools.a.logins["admin"])
    for period_id in term.period_ids:
        closed = post(gql, CLOSE_PERIOD, "closePeriod", admin,
                      input={"periodId": gid("Period", period_id)})
        assert closed["errors"] == []
    # when
    result = post(gql, SET_YEAR_GRADE, "setYearGrade", admin, input=year(term))
    # then
    assert result["errors"] == []
    assert result["grade"]["value"] == "4"


def test_set_year_grades_writes_no_year_grade_over_an_open_ungraded_period(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: a second student whose both half-years are graded; the first's second is not
    term = term_with_first_half_graded(database, schools, gql, token_for)
    other_id = uuid.uuid4()
    with owner(database, term.school.id) as s:
        other = m.Person(school_id=term.school.id, id=other_id, last_name="Второй",
                         first_name="Ученик", external_id=f"rule.{uuid.uuid4().hex[:8]}")
        s.add(other)
        s.flush()
        s.add(m.PersonRole(school_id=term.school.id, person_id=other.id,
                           role=m.SchoolRole.STUDENT))
        s.add(m.GroupMembership(school_id=term.school.id, group_id=term.group_id,
                                student_id=other.id, starts_on=HALVES[0][0]))
    term.students.append(other_id)
    token = token_for(term.teacher_login)
    for n, value in ((0, "5"), (1, "5")):
        graded = post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token,
                      input=period(term, n, student=1, state="GRADED", value=value))
        assert graded["errors"] == []
    # when
    result = post(gql, SET_YEAR_GRADES, "setYearGrades", token, input={
        "groupId": gid("StudyGroup", term.group_id),
        "academicYearId": gid("AcademicYear", term.year_id)})
    # then: the complete student gets a year grade, the other is a gap and gets none
    assert result["errors"] == []
    assert [(g["student"]["id"], g["value"]) for g in result["grades"]] == [
        (gid("Person", other_id), "5")]
    assert [(g["student"]["id"], g["reason"]) for g in result["gaps"]] == [
        (gid("Person", term.students[0]), "no grade for «2 полугодие»")]
    assert [r.student_id for r in year_grades(database, term)] == [other_id]
