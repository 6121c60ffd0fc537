"""reportCard (табель успеваемости): a whole year of a class closed through the API (marks,
period and year grades, an exam and the final grades, closing), the card as each reader sees
it, the negatives, and its statement count — through the HTTP endpoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.api.report_card_world import World, add_marks_and_grades, make_world
from tests.api.test_exams import create_kind
from tests.api.test_final_grades import expected_final
from tests.api.test_journal import issue_read_token
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

REPORT_CARD = """
query Card($s: ID!, $y: ID!) { reportCard(studentId: $s, academicYearId: $y) {
  student { id } academicYear { id status }
  subjects {
    subject { id name } groups { id }
    periods { period { id name } closed
              grade { id kind state value deferredUntil }
              currentAverage { average axisAverage countedMarks } }
    yearGrade { id kind state value suggestedValue }
    examGrades { id kind value testScore examKind { id name } }
    finalGrade { id kind value suggestedValue } } } }
"""
SET_MARKS = """
mutation Set($input: SetMarksInput!) { setMarks(input: $input) {
  marks { id } errors { field code message } } }
"""
SET_PERIOD_GRADE = """
mutation Set($input: SetPeriodGradeInput!) { setPeriodGrade(input: $input) {
  grade { id } errors { field code message } } }
"""
SET_YEAR_GRADES = """
mutation Set($input: SetYearGradesInput!) { setYearGrades(input: $input) {
  grades { id student { id } value } gaps { student { id } reason }
  errors { field code message } } }
"""
SET_EXAM_RESULTS = """
mutation Set($input: SetExamResultsInput!) { setExamResults(input: $input) {
  grades { id } errors { field code message } } }
"""
SET_FINAL_GRADES = """
mutation Set($input: SetFinalGradesInput!) { setFinalGrades(input: $input) {
  grades { id student { id } value } gaps { student { id } subject { id } reason }
  errors { field code message } } }
"""
CLOSE_PERIOD = """
mutation Close($input: ClosePeriodInput!) { closePeriod(input: $input) {
  period { id } errors { field code message } } }
"""
CLOSE_YEAR = """
mutation Close($input: CloseAcademicYearInput!) { closeAcademicYear(input: $input) {
  academicYear { status } errors { field code message } } }
"""
EXPLAIN = """
query Explain($g: ID!, $p: ID!, $s: ID!) {
  averageExplanation(groupId: $g, periodId: $p, studentId: $s) { average axisAverage } }
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Grade { kind state value } } }"


def ok(gql: Any, document: str, name: str, token: str, **variables: Any) -> dict[str, Any]:
    body = gql.post(document, variables, token=token)
    assert "errors" not in body, body
    payload = body["data"][name]
    assert payload.get("errors", []) == [], payload
    return payload


def card(gql: Any, token: str, world: World, student: str = "s7",
         year_id: uuid.UUID | None = None) -> dict[str, Any] | None:
    body = gql.post(REPORT_CARD, {"s": gid("Person", world.people[student]),
                                  "y": gid("AcademicYear", year_id or world.year_id)},
                    token=token)
    assert "errors" not in body, body
    return body["data"]["reportCard"]


def subject_names(found: dict[str, Any]) -> list[str]:
    return [s["subject"]["name"] for s in found["subjects"]]


def row(found: dict[str, Any], world: World, key: str) -> dict[str, Any]:
    return next(s for s in found["subjects"] if s["subject"]["name"] == world.subject_names[key])


def period_values(subject: dict[str, Any]) -> list[str | None]:
    return [p["grade"]["value"] if p["grade"] else None for p in subject["periods"]]


@dataclass
class ClosedYear:
    world: World
    while_open: dict[str, Any]  # the card as the administrator saw it before any period grade
    while_deferred: dict[str, Any]  # after the period grades, history Q4 deferred
    history_gap: list[dict[str, Any]]
    explained_q1: dict[str, Any]  # averageExplanation of algebra Q1
    exam_kind: dict[str, Any]  # the переводной экзамен of grade 7, as createExamKind gave it
    algebra_finals: dict[str, Any]  # setFinalGrades of the algebra group


@pytest.fixture(scope="module")
def closed_year(gql: Any, token_for: Any, database: DatabaseUrls,
                schools: TwoSchools) -> ClosedYear:
    """A year of class 7 (quarters) and class 10 (half-years) closed through the API: marks →
    period grades → year grades → an exam result and the final grades → periods and year
    closed."""
    w = make_world(database, schools.a)
    teacher = {k: token_for(w.logins[k]) for k in ("t1", "t2", "t3")}
    admin = token_for(schools.a.logins["admin"])

    def mark(t: str, group: str, student: str, day: date, value: str,
             work: str = "classwork") -> None:
        ok(gql, SET_MARKS, "setMarks", teacher[t], input={
            "groupId": gid("StudyGroup", w.groups[group]), "workDate": day.isoformat(),
            "marks": [{"studentId": gid("Person", w.people[student]), "value": value,
                       "workTypeId": gid("WorkType", w.work_types[work])}]})

    # marks: algebra Q1 4 (weight 1) and 5 (weight 2) → (4 + 10) / 3 = 4.67
    mark("t1", "algebra7", "s7", date(2011, 9, 5), "4")
    mark("t1", "algebra7", "s7", date(2011, 9, 20), "5", "test")
    mark("t1", "algebra7", "s7", date(2011, 11, 10), "3")
    mark("t3", "english7.1", "s7", date(2011, 9, 6), "5")
    mark("t1", "english7.2", "s7", date(2012, 1, 17), "4")
    mark("t2", "history7", "s7", date(2011, 9, 7), "4")
    mark("t2", "physics10", "s10", date(2011, 9, 8), "3")
    mark("t2", "physics10", "s10", date(2011, 10, 10), "4")
    while_open = card(gql, admin, w)
    assert while_open is not None
    explained = gql.post(EXPLAIN, {"g": gid("StudyGroup", w.groups["algebra7"]),
                                   "p": gid("Period", w.quarters[0]),
                                   "s": gid("Person", w.people["s7"])}, token=admin)
    assert "errors" not in explained, explained

    def grade(t: str, group: str, student: str, period: uuid.UUID, value: str | None,
              state: str = "GRADED", **extra: Any) -> None:
        ok(gql, SET_PERIOD_GRADE, "setPeriodGrade", teacher[t], input={
            "groupId": gid("StudyGroup", w.groups[group]), "periodId": gid("Period", period),
            "studentId": gid("Person", w.people[student]), "state": state,
            **({"value": value} if value else {}), **extra})

    q = w.quarters
    for period, value in zip(q, ["5", "3", "5", "4"], strict=True):
        grade("t1", "algebra7", "s7", period, value)
    grade("t3", "english7.1", "s7", q[0], "5")
    grade("t3", "english7.1", "s7", q[1], "5")
    grade("t1", "english7.2", "s7", q[2], "5")
    grade("t1", "english7.2", "s7", q[3], "4")
    for period in q[:3]:
        grade("t2", "history7", "s7", period, "4")
    grade("t2", "history7", "s7", q[3], None, "DEFERRED", deferredReason="болезнь",
          deferredUntil="2012-06-20")
    for period in q:
        grade("t2", "astronomy", "s7", period, "5")
        grade("t2", "astronomy", "s10", period, "4")
    grade("t2", "physics10", "s10", w.half_years[0], None, "EXEMPT")
    grade("t2", "physics10", "s10", w.half_years[1], "5")
    while_deferred = card(gql, admin, w)
    assert while_deferred is not None

    def year_grades(t: str, group: str) -> dict[str, Any]:
        return ok(gql, SET_YEAR_GRADES, "setYearGrades", teacher[t], input={
            "groupId": gid("StudyGroup", w.groups[group]),
            "academicYearId": gid("AcademicYear", w.year_id)})

    history_gap = year_grades("t2", "history7")["gaps"]
    grade("t2", "history7", "s7", q[3], "5")
    for t, group in (("t1", "algebra7"), ("t1", "english7.2"), ("t2", "history7"),
                     ("t2", "astronomy"), ("t2", "physics10")):
        year_grades(t, group)
    # the exam and the final grades, as a school gives them: the administrator lists a
    # переводной экзамен of grade 7, algebra's teacher enters s7's result (an intermediate
    # exam is the subject teacher's), the administrator computes the algebra group's final
    # grades by the rule (s7b has no year grade in algebra: a gap)
    assert w.five_point_id is not None
    exam_kind = create_kind(gql, admin, w.school.id, w.five_point_id,
                            name=f"Переводной экзамен {w.tag}", shortName="ПЭ",
                            level="INTERMEDIATE", gradeLevels=[7])
    ok(gql, SET_EXAM_RESULTS, "setExamResults", teacher["t1"], input={
        "groupId": gid("StudyGroup", w.groups["algebra7"]), "examKindId": exam_kind["id"],
        "results": [{"studentId": gid("Person", w.people["s7"]), "state": "GRADED",
                     "value": "5"}]})
    algebra_finals = ok(gql, SET_FINAL_GRADES, "setFinalGrades", admin,
                        input={"groupId": gid("StudyGroup", w.groups["algebra7"])})
    for period in [*q, *w.half_years]:
        ok(gql, CLOSE_PERIOD, "closePeriod", admin, input={"periodId": gid("Period", period)})
    closed = ok(gql, CLOSE_YEAR, "closeAcademicYear", admin,
                input={"academicYearId": gid("AcademicYear", w.year_id)})
    assert closed["academicYear"]["status"] == "ARCHIVED"
    return ClosedYear(w, while_open, while_deferred, history_gap,
                      explained["data"]["averageExplanation"], exam_kind, algebra_finals)


# The card while periods are open


def test_report_card_of_open_periods_gives_the_current_average_as_the_explanation_does(
    closed_year: ClosedYear,
) -> None:
    # given: marks only, every period open
    w, found = closed_year.world, closed_year.while_open
    algebra = row(found, w, "algebra")
    # then: the running average, not a grade, equal to averageExplanation's
    q1 = algebra["periods"][0]
    assert (q1["grade"], q1["closed"]) == (None, False)
    assert q1["currentAverage"] == {"average": 4.67, "axisAverage": 87.5, "countedMarks": 2}
    assert (q1["currentAverage"]["average"], q1["currentAverage"]["axisAverage"]) == (
        closed_year.explained_q1["average"], closed_year.explained_q1["axisAverage"])
    assert [p["currentAverage"]["average"] for p in algebra["periods"]] == [4.67, 3.0, None,
                                                                           None]
    assert algebra["yearGrade"] is None and algebra["examGrades"] == []
    # a subject in two subgroups is one row, with the marks of both
    english = row(found, w, "english")
    assert [g["id"] for g in english["groups"]] == [
        gid("StudyGroup", w.groups["english7.1"]), gid("StudyGroup", w.groups["english7.2"])]
    assert [p["currentAverage"]["countedMarks"] for p in english["periods"]] == [1, 0, 1, 0]


def test_report_card_shows_a_deferred_period_grade_with_its_date(
    closed_year: ClosedYear,
) -> None:
    w = closed_year.world
    history = row(closed_year.while_deferred, w, "history")
    q4 = history["periods"][3]
    assert (q4["grade"]["state"], q4["grade"]["value"], q4["grade"]["deferredUntil"]) == (
        "DEFERRED", None, "2012-06-20")
    assert q4["currentAverage"] == {"average": None, "axisAverage": None, "countedMarks": 0}
    gaps = {g["student"]["id"]: g["reason"] for g in closed_year.history_gap}
    assert gaps == {gid("Person", w.people["s7"]): "deferred in «4 четверть»",
                    gid("Person", w.people["s7b"]): "no grade for «1 четверть», «2 четверть», "
                                                    "«3 четверть», «4 четверть»"}


# The closed year as each reader sees it


def test_report_card_of_the_closed_year_for_the_student(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    # given
    w = closed_year.world
    # when
    found = card(gql, token_for(w.logins["s7"]), w)
    # then: subjects by name, each with its periods, year, exam and final grades
    assert found is not None
    assert found["student"]["id"] == gid("Person", w.people["s7"])
    assert found["academicYear"] == {"id": gid("AcademicYear", w.year_id), "status": "ARCHIVED"}
    assert subject_names(found) == [w.subject_names[k] for k in
                                    ("algebra", "english", "astronomy", "history")]
    expected = {"algebra": (["5", "3", "5", "4"], "4"), "english": (["5", "5", "5", "4"], "5"),
                "astronomy": (["5", "5", "5", "5"], "5"),
                "history": (["4", "4", "4", "5"], "4")}
    for key, (periods, year) in expected.items():
        subject = row(found, w, key)
        assert period_values(subject) == periods, key
        assert [p["period"]["name"] for p in subject["periods"]] == [
            "1 четверть", "2 четверть", "3 четверть", "4 четверть"]
        assert all(p["closed"] and p["currentAverage"] is None for p in subject["periods"])
        assert (subject["yearGrade"]["kind"], subject["yearGrade"]["value"]) == ("YEAR", year)
    algebra = row(found, w, "algebra")
    assert [(g["kind"], g["value"], g["testScore"], g["examKind"]) for g in
            algebra["examGrades"]] == [("EXAM", "5", None, {
                "id": closed_year.exam_kind["id"], "name": closed_year.exam_kind["name"]})]
    # the final grade by the documented rule, computed here: (4 + 5) / 2 = 4.50 → 5
    state, final = expected_final("4", [("five", "5", True)])
    assert (state, final) == ("graded", "5")
    assert (algebra["finalGrade"]["kind"], algebra["finalGrade"]["value"],
            algebra["finalGrade"]["suggestedValue"]) == ("FINAL", final, final)
    assert row(found, w, "history")["finalGrade"] is None
    assert all(row(found, w, k)["examGrades"] == [] and row(found, w, k)["finalGrade"] is None
               for k in ("english", "astronomy", "history"))


def test_final_grades_of_the_closed_year_came_from_set_final_grades_with_the_gap_named(
    closed_year: ClosedYear,
) -> None:
    # given: setFinalGrades of the algebra group, s7 with year and exam grades, s7b with none
    w, finals = closed_year.world, closed_year.algebra_finals
    # then: s7's grade by the rule, s7b a gap that says why
    assert [(g["student"]["id"], g["value"]) for g in finals["grades"]] == [
        (gid("Person", w.people["s7"]), expected_final("4", [("five", "5", True)])[1])]
    assert [(g["student"]["id"], g["subject"]["id"], g["reason"]) for g in finals["gaps"]] == [
        (gid("Person", w.people["s7b"]), gid("Subject", w.subjects["algebra"]),
         "no year grade yet")]


def test_report_card_of_a_grade_10_student_follows_half_years_and_the_cross_class_group(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    w = closed_year.world
    found = card(gql, token_for(w.logins["s10"]), w, "s10")
    assert found is not None
    assert subject_names(found) == [w.subject_names["astronomy"], w.subject_names["physics"]]
    physics = row(found, w, "physics")
    assert [p["period"]["name"] for p in physics["periods"]] == ["1 полугодие", "2 полугодие"]
    assert [(p["grade"]["state"], p["grade"]["value"]) for p in physics["periods"]] == [
        ("EXEMPT", None), ("GRADED", "5")]
    assert physics["yearGrade"]["value"] == "5"
    # the cross-class group takes its youngest class's scheme: quarters
    astronomy = row(found, w, "astronomy")
    assert period_values(astronomy) == ["4", "4", "4", "4"]
    assert astronomy["yearGrade"]["value"] == "4"


def test_report_card_is_the_same_for_the_guardian_class_teacher_administrator_and_read_token(
    gql, token_for, schools: TwoSchools, closed_year: ClosedYear,
) -> None:
    # given
    w = closed_year.world
    student = card(gql, token_for(w.logins["s7"]), w)
    # when
    seen = {who: card(gql, token_for(login), w) for who, login in [
        ("guardian", w.logins["g7"]), ("class teacher", w.logins["ct7"]),
        ("administrator", schools.a.logins["admin"])]}
    seen["read token"] = card(gql, issue_read_token(gql, token_for, schools), w)
    # then
    assert student is not None and len(student["subjects"]) == 4
    assert seen == {who: student for who in seen}


def test_report_card_for_a_subject_teacher_holds_only_the_subjects_they_teach_the_student(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    # given: t1 teaches algebra and English subgroup 2, t2 history and astronomy, t3 English
    # subgroup 1 (the student left it in January)
    w = closed_year.world
    full = card(gql, token_for(w.logins["s7"]), w)
    assert full is not None
    # when
    seen = {t: card(gql, token_for(w.logins[t]), w) for t in ("t1", "t2", "t3")}
    # then: the rows they may see, exactly as the student sees them; the others absent
    for t, keys in (("t1", ["algebra", "english"]), ("t2", ["astronomy", "history"]),
                    ("t3", ["english"])):
        found = seen[t]
        assert found is not None, t
        assert subject_names(found) == [w.subject_names[k] for k in keys], t
        assert found["subjects"] == [row(full, w, k) for k in keys], t


def test_report_card_is_null_for_anyone_else(
    gql, token_for, schools: TwoSchools, closed_year: ClosedYear,
) -> None:
    # given: another student and their guardian, a teacher of the school who does not teach
    # the student, school B's administrator, officers over school A
    w = closed_year.world
    others = {"other student": w.logins["s7b"], "other guardian": w.logins["g7b"],
              "teacher of other groups": schools.a.logins["teacher"],
              "B administrator": schools.b.logins["admin"],
              "B guardian": schools.b.logins["guardian"],
              "municipal officer": schools.officer_logins["muni_a"],
              "regional officer": schools.officer_logins["region"]}
    # when
    seen = {who: card(gql, token_for(login), w) for who, login in others.items()}
    # then: null, as for a student that does not exist
    assert seen == {who: None for who in others}
    admin = token_for(schools.a.logins["admin"])
    missing = gql.post(REPORT_CARD, {"s": gid("Person", uuid.uuid4()),
                                     "y": gid("AcademicYear", w.year_id)}, token=admin)
    assert missing == {"data": {"reportCard": None}}
    # a year of another school is null too, for the student's own administrator
    assert card(gql, admin, w, year_id=schools.b.year_id) is None
    assert card(gql, token_for(schools.b.logins["admin"]), w, year_id=schools.b.year_id) is None


def test_report_card_is_null_for_teachers_of_the_year_who_do_not_teach_the_student(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    # given: s10 (class 10: physics and astronomy, both t2's); t1 and t3 teach class 7 only,
    # ct7 is class 7's class teacher; s7 is in class 7 and sees t1, t3 and ct7 (the test can
    # fail)
    w = closed_year.world
    assert all(card(gql, token_for(w.logins[t]), w) is not None for t in ("t1", "t3", "ct7"))
    # when
    seen = {t: card(gql, token_for(w.logins[t]), w, "s10") for t in ("t1", "t3", "ct7", "t2")}
    # then: the teachers of other subjects and the other class's class teacher get null, as
    # for a missing student; t2, who teaches s10, gets the card
    assert {t: seen[t] for t in ("t1", "t3", "ct7")} == {"t1": None, "t3": None, "ct7": None}
    assert seen["t2"] is not None and subject_names(seen["t2"]) == [
        w.subject_names["astronomy"], w.subject_names["physics"]]


def test_report_card_grades_are_the_grade_nodes_with_the_same_values(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    # given: the card's year grade of algebra
    w = closed_year.world
    token = token_for(w.logins["g7"])
    found = card(gql, token, w)
    assert found is not None
    year_grade = row(found, w, "algebra")["yearGrade"]
    # when
    node = gql.post(NODE, {"id": year_grade["id"]}, token=token)["data"]["node"]
    # then: one id, one set of values (client caches stay consistent)
    assert node == {key: year_grade[key] for key in ("id", "kind", "state", "value")}


def test_report_card_ids_name_one_object_with_one_set_of_values_across_responses(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    from tests.api.test_cache_identity import Seen, collect, with_typenames

    # given: the cards of two students (sharing the cross-class group and its periods) as
    # their readers see them, through one cache as in one browser tab
    w = closed_year.world
    calls = [("s7", "g7"), ("s7", "t1"), ("s7", "t2"), ("s10", "s10"), ("s10", "t2")]
    seen: Seen = {}
    problems: list[str] = []
    # when
    for n, (student, reader) in enumerate(calls):
        body = gql.post(with_typenames(REPORT_CARD),
                        {"s": gid("Person", w.people[student]),
                         "y": gid("AcademicYear", w.year_id)}, token=token_for(w.logins[reader]))
        assert "errors" not in body, body
        collect(body["data"], seen, f"call {n}", problems)
    # then
    assert problems == []
    assert {t for t, _, _ in seen.values()} >= {"Grade", "Period", "Subject", "StudyGroup",
                                                "Person", "AcademicYear"}


def test_the_example_report_card_runs_for_a_parent(
    gql, token_for, closed_year: ClosedYear,
) -> None:
    from tests.api.test_examples import EXAMPLES

    w = closed_year.world
    body = gql.post((EXAMPLES / "report_card.graphql").read_text(),
                    {"studentId": gid("Person", w.people["s7"]),
                     "academicYearId": gid("AcademicYear", w.year_id)},
                    token=token_for(w.logins["g7"]))
    assert "errors" not in body, body
    found = body["data"]["reportCard"]
    assert len(found["subjects"]) == 4
    assert row(found, w, "algebra")["yearGrade"]["value"] == "4"


def test_report_card_of_a_malformed_id_is_a_bad_argument(
    gql, token_for, schools: TwoSchools,
) -> None:
    body = gql.post(REPORT_CARD, {"s": "nonsense", "y": gid("AcademicYear", schools.a.year_id)},
                    token=token_for(schools.a.logins["admin"]))
    assert body["data"] is None or body["data"]["reportCard"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "studentId" in body["errors"][0]["message"]


# Statements


def test_report_card_statement_count_does_not_grow_with_subjects_or_periods(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given: a student with 3 subjects and one with 7, each subject with marks in every open
    # quarter and a period grade
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        values = dict(s.execute(select(m.MarkValue.label, m.MarkValue.id).join(
            m.GradingSystem, (m.GradingSystem.school_id == m.MarkValue.school_id)
            & (m.GradingSystem.id == m.MarkValue.system_id)).where(
            m.GradingSystem.school_id == schools.a.id,
            m.GradingSystem.name == "Пятибалльная")).all())
    small = make_world(database, schools.a)
    big = make_world(database, schools.a, extra_subjects=4)
    add_marks_and_grades(database, small, "s7", ["algebra7", "history7"], values)
    add_marks_and_grades(database, big, "s7", ["algebra7", "history7",
                                               *(f"extra{i}" for i in range(4))], values)
    counts = []
    for w, subjects in ((small, 4), (big, 8)):
        token = token_for(w.logins["g7"])
        card(gql, token, w)  # warm up
        # when
        with count_statements() as counter:
            found = card(gql, token, w)
        # then
        assert found is not None and len(found["subjects"]) == subjects
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


# Either layer alone


async def _card_with(database: DatabaseUrls, rls_schools: list[uuid.UUID],
                     access: Any, world: World) -> Any:
    from sqlalchemy.ext.asyncio import AsyncSession

    from db.engine import app_engine
    from db.tenancy import set_tenant_async
    from resolvers.grades.report_card import report_card
    from schema.loaders import Loaders

    engine = app_engine(database.app, pool_size=1)
    try:
        async with engine.connect() as conn, AsyncSession(conn) as session:
            await set_tenant_async(session, rls_schools)
            return await report_card(session, access, Loaders(session, access),
                                     student_id=world.people["s7"],
                                     academic_year_id=world.year_id)
    finally:
        await engine.dispose()


def test_report_card_is_stopped_by_rls_alone_and_by_the_access_context_alone(
    database: DatabaseUrls, schools: TwoSchools, closed_year: ClosedYear,
) -> None:
    import asyncio

    from tenants.access import AccessContext, SchoolMembership

    # given: a forged access context claiming the administrator of school A, and school B's
    # administrator as the access context resolves them
    w, a, b = closed_year.world, schools.a.id, schools.b.id

    def admin_of(school: uuid.UUID, person: uuid.UUID) -> AccessContext:
        return AccessContext(account_id=uuid.uuid4(), memberships={school: SchoolMembership(
            school_id=school, person_id=person, roles=frozenset({m.SchoolRole.ADMINISTRATOR}))})

    forged = admin_of(a, schools.a.people["admin"])
    b_admin = admin_of(b, schools.b.people["admin"])
    # when / then: with both layers open the card is there (the test can fail) ...
    shown = asyncio.run(_card_with(database, [a], forged, w))
    assert shown is not None and len(shown.subjects) == 4
    # ... RLS scoped to school B hides it from the forged context ...
    assert asyncio.run(_card_with(database, [b], forged, w)) is None
    # ... and B's administrator does not get it even with RLS open to both schools
    assert asyncio.run(_card_with(database, [a, b], b_admin, w)) is None
