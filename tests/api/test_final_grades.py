"""Final grades (итоговые отметки): setFinalGrades computes them by the rule, setFinalGrade
overrides one with the computed kept beside it, finalGradeExplanation explains it — through
the HTTP endpoint. The expected grades are computed here, independently of the rule's code."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from db import models as m
from db.engine import DatabaseUrls
from schema.ids import to_global_id as gid
from tests.api.test_exams import SET_RESULTS, create_kind, results_input
from tests.api.test_grades import audit_of, fields, make_system, owner, post, raw, sql
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

GRADE = "id kind state value suggestedValue suggestedAverage version student { id }"
SET_FINALS = f"""
mutation Set($input: SetFinalGradesInput!) {{ setFinalGrades(input: $input) {{
  grades {{ {GRADE} }} gaps {{ student {{ id }} subject {{ id }} reason }}
  errors {{ field code message }} }} }}
"""
SET_FINAL = f"""
mutation Set($input: SetFinalGradeInput!) {{ setFinalGrade(input: $input) {{
  grade {{ {GRADE} }} errors {{ field code message }} }} }}
"""
EXPLAIN = """
query Explain($s: ID!, $subject: ID!, $y: ID!) {
  finalGradeExplanation(studentId: $s, subjectId: $subject, academicYearId: $y) {
    rule yearGrade { id value } exams { grade { id value } examKind counted reason number }
    yearNumber mean rounding { threshold lower upper fraction result } state
    result { label } gap gradingSystem { name } finalGrade { value suggestedValue } summary } }
"""

# The five-point system's points (migration 0002): a grade of another system is read on the
# line through them.
FIVE_POINTS = [(Decimal(25), 2), (Decimal(60), 3), (Decimal("77.5"), 4), (Decimal("92.5"), 5)]
CENT = Decimal("0.01")


def five_point_number(point: Decimal) -> Decimal:
    for (p0, n0), (p1, n1) in pairwise(FIVE_POINTS):
        if p0 <= point <= p1:
            return (n0 + (n1 - n0) * (point - p0) / (p1 - p0)).quantize(CENT, ROUND_HALF_UP)
    return Decimal(2 if point < FIVE_POINTS[0][0] else 5)


def expected_final(year: str | None, exams: list[tuple[str, str, bool]]
                   ) -> tuple[str | None, str | None]:
    """(state, value) by the documented rule; exams are (system, value or state, counts)."""
    states = {"not_attested", "exempt", "deferred"}
    if year is None or year == "deferred":
        return None, None
    if year in states:
        return year, None
    counting = [(system, v) for system, v, counts in exams if counts]
    if any(v == "deferred" for _, v in counting):
        return None, None
    if any(v == "not_attested" for _, v in counting):
        return "not_attested", None
    numbers = [Decimal(year)] + [
        Decimal(v) if system == "five" else five_point_number(Decimal(v))
        for system, v in counting if v not in states]
    mean = (sum(numbers) / len(numbers)).quantize(CENT, ROUND_HALF_UP)
    return "graded", str(int(mean.quantize(Decimal(1), ROUND_HALF_UP)))


@dataclass
class Case:
    year: str | None  # a five-point label or a state; None: no year grade
    exams: dict[str, str]  # kind key -> label or state


# kinds: "oge" counts (five-point), "ege" does not (five-point), "hundred" counts (100-point)
CASES = [
    Case("4", {"oge": "5"}),  # 4.50 → 5, in the student's favour
    Case("4", {"oge": "3"}),  # 3.50 → 4
    Case("3", {}),  # no exam: the year grade
    Case("5", {"oge": "exempt"}),
    Case("4", {"oge": "5", "ege": "2"}),  # ЕГЭ does not count
    Case(None, {"oge": "5"}),  # gap: no year grade
    Case("4", {"oge": "deferred"}),  # gap
    Case("4", {"oge": "not_attested"}),
    Case("not_attested", {"oge": "5"}),
    Case("deferred", {}),  # gap
    Case("4", {"hundred": "85"}),  # 85 → 4.50 in five-point; (4 + 4.5) / 2 = 4.25 → 4
    Case("3", {"hundred": "92"}),  # 92 → 4.97; (3 + 4.97) / 2 = 3.985 → 3.99 → 4
]
SYSTEM_OF = {"oge": "five", "ege": "five", "hundred": "hundred"}
COUNTS = {"oge": True, "ege": False, "hundred": True}


@dataclass
class Year:
    jg: JournalGroup
    kinds: dict[str, str]  # key -> ExamKind global id


def add_year_grade(database: DatabaseUrls, jg: JournalGroup, student: int, grade: str
                   ) -> None:
    """A year grade written as the owner (how it was set is the year grade's business)."""
    graded = grade not in ("not_attested", "exempt", "deferred")
    state = m.GradeState.GRADED if graded else m.GradeState(grade)
    with owner(database, jg.school.id) as s:
        s.add(m.Grade(
            school_id=jg.school.id, id=uuid.uuid4(), academic_year_id=jg.school.year_id,
            student_id=jg.students[student], subject_id=jg.setup.subject_id,
            kind=m.GradeKind.YEAR, group_id=jg.group_id, state=state,
            value_id=jg.setup.value_ids[grade] if graded else None,
            deferred_reason="болезнь" if grade == "deferred" else None,
            deferred_until=date(2016, 6, 30) if grade == "deferred" else None))


def result_of(student: int, label: str) -> dict[str, Any]:
    if label == "deferred":
        return {"student": student, "state": "DEFERRED", "deferredReason": "болезнь",
                "deferredUntil": "2016-09-10"}
    if label in ("not_attested", "exempt"):
        return {"student": student, "state": label.upper()}
    return {"student": student, "state": "GRADED", "value": label}


def set_up_year(gql: Any, token_for: Any, database: DatabaseUrls, schools: TwoSchools,
                cases: list[Case]) -> Year:
    jg = make_journal_group(database.owner, schools.a, students=len(cases), lessons=1)
    token = token_for(schools.a.logins["admin"])
    hundred, _ = make_system(database, schools.a.id, "hundred_point")
    systems = {"five": jg.setup.system_id, "hundred": hundred}
    kinds = {key: create_kind(gql, token, schools.a.id, systems[SYSTEM_OF[key]],
                              countsInFinalGrade=COUNTS[key])["id"] for key in SYSTEM_OF}
    for n, case in enumerate(cases):
        if case.year is not None:
            add_year_grade(database, jg, n, case.year)
    for key, kind_id in kinds.items():
        results = [result_of(n, c.exams[key]) for n, c in enumerate(cases) if key in c.exams]
        if results:
            payload = post(gql, SET_RESULTS, "setExamResults", token,
                           input=results_input(jg, kind_id, results))
            assert payload["errors"] == [], payload
    return Year(jg, kinds)


@pytest.fixture(scope="module")
def year(gql, token_for, database: DatabaseUrls, schools: TwoSchools) -> Year:
    return set_up_year(gql, token_for, database, schools, CASES)


def explain(gql: Any, token: str, jg: JournalGroup, student: int) -> dict[str, Any] | None:
    return post(gql, EXPLAIN, "finalGradeExplanation", token,
                s=gid("Person", jg.students[student]), subject=gid("Subject", jg.setup.subject_id),
                y=gid("AcademicYear", jg.school.year_id))


def test_final_grades_are_computed_by_the_rule_and_gaps_say_why(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, year: Year
) -> None:
    # given
    jg, token = year.jg, token_for(schools.a.logins["admin"])
    # when
    payload = post(gql, SET_FINALS, "setFinalGrades", token,
                   input={"groupId": gid("StudyGroup", jg.group_id)})
    # then: every student's grade as computed here, and the same value kept as the suggestion
    assert payload["errors"] == [], payload
    got = {g["student"]["id"]: (g["state"].lower(), g["value"]) for g in payload["grades"]}
    expected = {}
    for n, case in enumerate(CASES):
        state, value = expected_final(case.year, [
            (SYSTEM_OF[k], v, COUNTS[k]) for k, v in case.exams.items()])
        if state is not None:
            expected[gid("Person", jg.students[n])] = (state, value)
    assert got == expected
    assert [g["value"] for g in payload["grades"][:2]] == ["5", "4"]  # the two halves
    assert all((g["kind"], g["suggestedValue"], g["version"]) == ("FINAL", g["value"], 1)
               for g in payload["grades"])
    gaps = {g["student"]["id"]: g["reason"] for g in payload["gaps"]}
    assert gaps == {gid("Person", jg.students[5]): "no year grade yet",
                    gid("Person", jg.students[6]): f"the exam «{name(gql, token, year, 'oge')}» "
                                                   "is deferred",
                    gid("Person", jg.students[9]): "the year grade is deferred"}
    for g in payload["grades"]:
        assert [a.action for a in audit_of(database, schools.a.id, raw(g["id"]))] == ["create"]


def name(gql: Any, token: str, year: Year, key: str) -> str:
    query = "query N($id: ID!) { node(id: $id) { ... on ExamKind { name } } }"
    return post(gql, query, "node", token, id=year.kinds[key])["name"]


def test_the_explanation_gives_the_inputs_the_rule_the_arithmetic_and_the_result(
    gql, token_for, schools: TwoSchools, year: Year
) -> None:
    # given
    jg, token = year.jg, token_for(schools.a.logins["admin"])
    oge, ege = name(gql, token, year, "oge"), name(gql, token, year, "ege")
    # when
    halves = explain(gql, token, jg, 4)
    hundred = explain(gql, token, jg, 10)
    missing = explain(gql, token, jg, 5)
    # then: (4 + 5) / 2 = 4.50, rounded up in the student's favour; ЕГЭ listed, not counted
    assert halves is not None
    assert (halves["yearGrade"]["value"], halves["yearNumber"], halves["mean"],
            halves["state"], halves["result"], halves["gap"]) == (
        "4", 4.0, 4.5, "GRADED", {"label": "5"}, None)
    assert halves["rounding"] == {"threshold": 0.5, "lower": "4", "upper": "5",
                                  "fraction": 0.5, "result": "5"}
    assert [(x["examKind"], x["grade"]["value"], x["counted"], x["reason"], x["number"])
            for x in halves["exams"]] == sorted([
                (oge, "5", True, None, 5.0),
                (ege, "2", False, f"«{ege}» does not count in the final grade", None)])
    assert halves["summary"].startswith("(4 + 5) / 2 = 4.50 → rounded up")
    assert "in the student's favour" in halves["rule"]
    assert halves["gradingSystem"]["name"] == "Пятибалльная"
    # a 100-point exam grade read on the five-point scale: 85 → 4.50
    assert hundred is not None
    assert ([x["number"] for x in hundred["exams"]], hundred["mean"],
            hundred["result"]["label"]) == ([4.5], 4.25, "4")
    assert hundred["summary"].startswith("(4 + 4.50) / 2 = 4.25 → rounded down")
    # no year grade: no result, and why
    assert missing is not None
    assert (missing["yearGrade"], missing["state"], missing["result"], missing["gap"]) == (
        None, None, None, "no year grade yet")


def test_an_override_keeps_the_computed_grade_beside_it(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: year 4 and exam 5 compute 5
    year = set_up_year(gql, token_for, database, schools, [Case("4", {"oge": "5"})])
    jg, token = year.jg, token_for(schools.a.logins["admin"])
    group, student = gid("StudyGroup", jg.group_id), gid("Person", jg.students[0])
    # when: the administrator sets 4
    set_ = post(gql, SET_FINAL, "setFinalGrade", token, input={
        "groupId": group, "studentId": student, "state": "GRADED", "value": "4",
        "expectedVersion": 0})
    kept = post(gql, SET_FINALS, "setFinalGrades", token, input={"groupId": group})
    stale = post(gql, SET_FINAL, "setFinalGrade", token, input={
        "groupId": group, "studentId": student, "state": "GRADED", "value": "3",
        "expectedVersion": 0})
    # then: the override stays (setFinalGrades only refreshes the computed one)
    assert set_["errors"] == [], set_
    assert (set_["grade"]["value"], set_["grade"]["suggestedValue"],
            set_["grade"]["suggestedAverage"]) == ("4", "5", 4.5)
    assert [(g["value"], g["suggestedValue"]) for g in kept["grades"]] == [("4", "5")]
    assert fields(stale) == [("input.expectedVersion", "CONFLICT")]
    explained = explain(gql, token, jg, 0)
    assert explained is not None
    assert (explained["finalGrade"], explained["result"]) == (
        {"value": "4", "suggestedValue": "5"}, {"label": "5"})
    # when: recomputed with overwrite, the rule's grade replaces it
    overwritten = post(gql, SET_FINALS, "setFinalGrades", token,
                       input={"groupId": group, "overwrite": True})
    assert [(g["value"], g["version"]) for g in overwritten["grades"]] == [("5", 2)]
    actions = [a.action for a in audit_of(database, schools.a.id, raw(set_["grade"]["id"]))]
    assert actions == ["create", "update"]


def test_a_final_grade_is_refused_while_the_year_grade_is_missing_or_deferred(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, year: Year
) -> None:
    # given
    jg, token = year.jg, token_for(schools.a.logins["admin"])
    group = gid("StudyGroup", jg.group_id)
    # when
    refused = [post(gql, SET_FINAL, "setFinalGrade", token, input={
        "groupId": group, "studentId": gid("Person", jg.students[n]), "state": "GRADED",
        "value": "5"}) for n in (5, 9)]
    bad = post(gql, SET_FINAL, "setFinalGrade", token, input={
        "groupId": group, "studentId": gid("Person", jg.students[0]), "state": "GRADED",
        "value": "6", "deferredUntil": "2016-09-01"})
    # then
    for payload, reason in zip(refused, ("no year grade yet", "the year grade is deferred"),
                               strict=True):
        assert (fields(payload), payload["grade"]) == ([("input.studentId", "INVALID")], None)
        assert payload["errors"][0]["message"].startswith(f"{reason}: a final grade needs")
    assert fields(bad) == [("input.value", "INVALID"), ("input.deferredUntil", "INVALID")]


def test_final_grades_are_refused_to_another_school_and_to_other_roles(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, year: Year
) -> None:
    # given
    jg = year.jg
    group, student = gid("StudyGroup", jg.group_id), gid("Person", jg.students[0])
    one = {"groupId": group, "studentId": student, "state": "GRADED", "value": "5"}
    b_admin, teacher = token_for(schools.b.logins["admin"]), token_for(jg.teacher_login)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    # when / then: the writes
    for token, code in ((b_admin, "NOT_FOUND"), (teacher, "FORBIDDEN"),
                        (token_for(other.teacher_login), "FORBIDDEN"),
                        (token_for(jg.guardian_login), "FORBIDDEN")):
        many = post(gql, SET_FINALS, "setFinalGrades", token, input={"groupId": group})
        single = post(gql, SET_FINAL, "setFinalGrade", token, input=one)
        assert (fields(many), many["grades"], many["gaps"]) == ([("input.groupId", code)], [],
                                                               [])
        assert (fields(single), single["grade"]) == ([("input.groupId", code)], None)
    # the explanation: the student, their guardian, the group's teacher; nobody else
    for reader in (jg.student_logins[0], jg.guardian_login, jg.teacher_login):
        assert explain(gql, token_for(reader), jg, 0) is not None, reader
    for reader in (other.guardian_login, other.teacher_login, schools.b.logins["admin"],
                   schools.officer_logins["muni_a"]):
        assert explain(gql, token_for(reader), jg, 0) is None, reader


def test_set_final_grades_runs_as_many_statements_for_six_students_as_for_two(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    def statements(students: int) -> int:
        year = set_up_year(gql, token_for, database, schools,
                           [Case("4", {"oge": "5", "ege": "3"})] * students)
        with count_statements() as counter:
            payload = post(gql, SET_FINALS, "setFinalGrades",
                           token_for(schools.a.logins["admin"]),
                           input={"groupId": gid("StudyGroup", year.jg.group_id)})
        assert [g["value"] for g in payload["grades"]] == ["5"] * students
        return counter.count

    assert statements(2) == statements(6)


def add_subject_group(database: DatabaseUrls, jg: JournalGroup, *, without_marks: bool = False
                      ) -> uuid.UUID:
    """Another subject studied by the whole of the group's class; its subject id."""
    sid, tag = jg.school.id, uuid.uuid4().hex[:6]
    with owner(database, sid) as s:
        subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"Предмет {tag}",
                            short_name=tag)
        s.add(subject)
        s.flush()
        group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=jg.school.year_id,
                             subject_id=subject.id, kind=m.GroupKind.WHOLE_CLASS,
                             class_id=jg.class_id, name=f"А {tag}")
        s.add(group)
        s.flush()
        for student in jg.students:
            s.add(m.GroupMembership(school_id=sid, group_id=group.id, student_id=student,
                                    starts_on=date(2015, 9, 1)))
        if without_marks:
            s.add(m.TeachingWithoutMarks(school_id=sid, id=uuid.uuid4(), grade_level=6,
                                         subject_id=subject.id))
        return subject.id


def add_year_grade_in(database: DatabaseUrls, jg: JournalGroup, student: int,
                      subject_id: uuid.UUID, label: str) -> None:
    with owner(database, jg.school.id) as s:
        group_id = s.scalar(select(m.StudyGroup.id).where(
            m.StudyGroup.class_id == jg.class_id, m.StudyGroup.subject_id == subject_id))
        s.add(m.Grade(
            school_id=jg.school.id, id=uuid.uuid4(), academic_year_id=jg.school.year_id,
            student_id=jg.students[student], subject_id=subject_id, kind=m.GradeKind.YEAR,
            group_id=group_id, state=m.GradeState.GRADED, value_id=jg.setup.value_ids[label]))


def test_a_class_gets_its_final_grades_in_every_subject_taught_with_marks(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: a class of 2 studying the journal's subject, another subject, and one taught
    # without marks; student 1 has no year grade in the other subject
    def make_class(students: int) -> tuple[JournalGroup, uuid.UUID]:
        jg = make_journal_group(database.owner, schools.a, students=students, lessons=1)
        other = add_subject_group(database, jg)
        add_subject_group(database, jg, without_marks=True)
        for n in range(students):
            add_year_grade(database, jg, n, "4")
            if n != 1:
                add_year_grade_in(database, jg, n, other, "5")
        return jg, other

    jg, other = make_class(2)
    token = token_for(schools.a.logins["admin"])
    klass = gid("SchoolClass", jg.class_id)
    # when
    with count_statements() as small:
        payload = post(gql, SET_FINALS, "setFinalGrades", token, input={"classId": klass})
    # then
    assert payload["errors"] == [], payload
    journal_subject = jg.setup.subject_id
    got = sorted((g["student"]["id"], g["value"]) for g in payload["grades"])
    assert got == sorted([(gid("Person", jg.students[0]), "4"),
                          (gid("Person", jg.students[1]), "4"),
                          (gid("Person", jg.students[0]), "5")])
    assert [(g["student"]["id"], g["subject"]["id"], g["reason"]) for g in payload["gaps"]] == [
        (gid("Person", jg.students[1]), gid("Subject", other), "no year grade yet")]
    subjects = {r.subject_id for r in sql(
        database, schools.a.id, "SELECT subject_id FROM grades WHERE kind = 'final' "
        "AND student_id = ANY(:s)", s=jg.students)}
    assert subjects == {journal_subject, other}
    # and a class of 5 costs the same number of statements
    big, _ = make_class(5)
    with count_statements() as large:
        post(gql, SET_FINALS, "setFinalGrades", token,
             input={"classId": gid("SchoolClass", big.class_id)})
    assert small.count == large.count


def test_set_final_grades_takes_a_group_or_a_class_and_only_from_an_administrator(
    gql, token_for, schools: TwoSchools, year: Year
) -> None:
    jg = year.jg
    group, klass = gid("StudyGroup", jg.group_id), gid("SchoolClass", jg.class_id)
    admin = token_for(schools.a.logins["admin"])
    attempts = [
        (admin, {"groupId": group, "classId": klass}, [("input.groupId", "INVALID")]),
        (admin, {}, [("input.groupId", "INVALID")]),
        (token_for(jg.teacher_login), {"classId": klass}, [("input.classId", "FORBIDDEN")]),
        (token_for(schools.b.logins["admin"]), {"classId": klass},
         [("input.classId", "NOT_FOUND")]),
    ]
    for token, input, expected in attempts:
        payload = post(gql, SET_FINALS, "setFinalGrades", token, input=input)
        assert (fields(payload), payload["grades"]) == (expected, [])
