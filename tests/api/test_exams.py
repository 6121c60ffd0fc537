"""Exam kinds (createExamKind, updateExamKind, deleteExamKind, examKinds) and exam results
(setExamResults, Grade.examKind, Grade.testScore) — through the HTTP endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db import models as m
from db.engine import DatabaseUrls
from schema.ids import to_global_id as gid
from tests.api.test_grades import audit_of, fields, make_system, owner, post, raw, sql
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

KIND_FIELDS = ("id name shortName level maxTestScore gradeLevels countsInFinalGrade "
               "gradingSystem { id name }")
CREATE_KIND = f"""
mutation Create($input: CreateExamKindInput!) {{ createExamKind(input: $input) {{
  examKind {{ {KIND_FIELDS} }} errors {{ field code message }} }} }}
"""
UPDATE_KIND = f"""
mutation Update($input: UpdateExamKindInput!) {{ updateExamKind(input: $input) {{
  examKind {{ {KIND_FIELDS} }} errors {{ field code message }} }} }}
"""
DELETE_KIND = """
mutation Delete($input: DeleteExamKindInput!) { deleteExamKind(input: $input) {
  deletedExamKindId errors { field code message } } }
"""
EXAM_KINDS = f"""
query Kinds($schoolId: ID!) {{ examKinds(schoolId: $schoolId) {{ {KIND_FIELDS} }} }}
"""
RESULT_FIELDS = ("id kind state value testScore version deferredUntil examKind { id name } "
                 "student { id } subject { id } academicYear { id } group { id } setBy { id }")
SET_RESULTS = f"""
mutation Set($input: SetExamResultsInput!) {{ setExamResults(input: $input) {{
  grades {{ {RESULT_FIELDS} }} errors {{ field code message }} }} }}
"""
NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Grade { kind value testScore
  examKind { name } } ... on ExamKind { name } } }
"""


@pytest.fixture(scope="module")
def jg(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=3, lessons=1)


def admin(token_for: Any, schools: TwoSchools, school: str = "a") -> str:
    return token_for(getattr(schools, school).logins["admin"])


def create_kind(gql: Any, token: str, school_id: uuid.UUID, system_id: uuid.UUID,
                **extra: Any) -> dict[str, Any]:
    data = {"schoolId": gid("School", school_id), "name": f"Экзамен {uuid.uuid4().hex[:6]}",
            "shortName": "Экз", "level": "INTERMEDIATE",
            "systemId": gid("GradingSystem", system_id), **extra}
    payload = post(gql, CREATE_KIND, "createExamKind", token, input=data)
    assert payload["errors"] == [], payload
    return payload["examKind"]


def results_input(jg: JournalGroup, kind_id: str, results: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    def one(result: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in result.items() if k != "student"}
        if "student" in result:
            out["studentId"] = gid("Person", jg.students[result["student"]])
        return out

    return {"groupId": gid("StudyGroup", jg.group_id), "examKindId": kind_id,
            "results": [one(r) for r in results]}


def exam_rows(database: DatabaseUrls, school_id: uuid.UUID, kind_id: str) -> list[Any]:
    return sql(database, school_id, "SELECT student_id, state, test_score, version FROM grades "
               "WHERE school_id = :school AND exam_kind_id = :k ORDER BY student_id",
               k=raw(kind_id))


# Exam kinds


def test_exam_kinds_are_created_listed_changed_and_deleted_by_the_administrator(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    token = admin(token_for, schools)
    tag = uuid.uuid4().hex[:6]
    # when
    oge = create_kind(gql, token, schools.a.id, jg.setup.system_id, name=f"ОГЭ {tag}",
                      shortName="ОГЭ", level="STATE", gradeLevels=[9])
    ege = create_kind(gql, token, schools.a.id, jg.setup.system_id, name=f"ЕГЭ {tag}",
                      shortName="ЕГЭ", level="STATE", maxTestScore=100, gradeLevels=[11, 10],
                      countsInFinalGrade=False)
    # then
    assert (oge["level"], oge["maxTestScore"], oge["gradeLevels"], oge["countsInFinalGrade"],
            oge["gradingSystem"]["id"]) == ("STATE", None, [9], True,
                                            gid("GradingSystem", jg.setup.system_id))
    assert (ege["maxTestScore"], ege["gradeLevels"], ege["countsInFinalGrade"]) == (
        100, [10, 11], False)
    listed = post(gql, EXAM_KINDS, "examKinds", token, schoolId=gid("School", schools.a.id))
    names = [k["name"] for k in listed]
    assert names == sorted(names) and {f"ЕГЭ {tag}", f"ОГЭ {tag}"} <= set(names)
    # when: renamed, the maximum cleared, then deleted
    changed = post(gql, UPDATE_KIND, "updateExamKind", token, input={
        "id": ege["id"], "name": f"ЕГЭ (база) {tag}", "maxTestScore": None})
    assert changed["errors"] == [], changed
    assert (changed["examKind"]["name"], changed["examKind"]["maxTestScore"],
            changed["examKind"]["gradeLevels"]) == (f"ЕГЭ (база) {tag}", None, [10, 11])
    deleted = post(gql, DELETE_KIND, "deleteExamKind", token, input={"id": ege["id"]})
    assert deleted == {"deletedExamKindId": ege["id"], "errors": []}
    # then: each write is audited, and the deleted kind is gone
    actions = [a.action for a in audit_of(database, schools.a.id, raw(ege["id"]))]
    assert actions == ["create", "update", "delete"]
    assert post(gql, NODE, "node", token, id=ege["id"]) is None
    assert post(gql, NODE, "node", token, id=oge["id"])["name"] == f"ОГЭ {tag}"


def test_exam_kind_bad_input_names_each_field_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    token = admin(token_for, schools)
    taken = create_kind(gql, token, schools.a.id, jg.setup.system_id)
    other_system, _ = make_system(database, schools.b.id, "five_point")
    before = sql(database, schools.a.id, "SELECT count(*) FROM exam_kinds "
                 "WHERE school_id = :school")
    # when
    payload = post(gql, CREATE_KIND, "createExamKind", token, input={
        "schoolId": gid("School", schools.a.id), "name": taken["name"].upper(),
        "shortName": " ", "level": "STATE", "systemId": gid("GradingSystem", other_system),
        "maxTestScore": 0, "gradeLevels": [9, 12, 9]})
    # then
    assert payload["examKind"] is None
    assert fields(payload) == [
        ("input.name", "DUPLICATE"), ("input.shortName", "REQUIRED"),
        ("input.systemId", "NOT_FOUND"), ("input.maxTestScore", "OUT_OF_RANGE"),
        ("input.gradeLevels.1", "OUT_OF_RANGE"), ("input.gradeLevels.2", "DUPLICATE")]
    assert sql(database, schools.a.id, "SELECT count(*) FROM exam_kinds "
               "WHERE school_id = :school") == before


def test_exam_kinds_are_refused_to_another_school_and_to_other_roles(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: a kind of school A
    kind = create_kind(gql, admin(token_for, schools), schools.a.id, jg.setup.system_id)
    b_admin, a_teacher = admin(token_for, schools, "b"), token_for(jg.teacher_login)
    school_a = gid("School", schools.a.id)
    new = {"schoolId": school_a, "name": "Чужой", "shortName": "Ч", "level": "STATE",
           "systemId": gid("GradingSystem", jg.setup.system_id)}
    # when / then: school B's administrator finds nothing of school A
    assert fields(post(gql, CREATE_KIND, "createExamKind", b_admin, input=new)) == [
        ("input.schoolId", "NOT_FOUND")]
    assert fields(post(gql, UPDATE_KIND, "updateExamKind", b_admin,
                       input={"id": kind["id"], "name": "x"})) == [("input.id", "NOT_FOUND")]
    assert fields(post(gql, DELETE_KIND, "deleteExamKind", b_admin,
                       input={"id": kind["id"]})) == [("input.id", "NOT_FOUND")]
    assert post(gql, EXAM_KINDS, "examKinds", b_admin, schoolId=school_a) == []
    assert post(gql, NODE, "node", b_admin, id=kind["id"]) is None
    # a teacher of school A reads the kinds but may not change them
    assert fields(post(gql, CREATE_KIND, "createExamKind", a_teacher, input=new)) == [
        ("input.schoolId", "FORBIDDEN")]
    assert fields(post(gql, UPDATE_KIND, "updateExamKind", a_teacher,
                       input={"id": kind["id"], "name": "x"})) == [("input.id", "FORBIDDEN")]
    assert fields(post(gql, DELETE_KIND, "deleteExamKind", a_teacher,
                       input={"id": kind["id"]})) == [("input.id", "FORBIDDEN")]
    for reader in (a_teacher, token_for(jg.student_logins[0]),
                   token_for(schools.officer_logins["muni_a"])):
        listed = post(gql, EXAM_KINDS, "examKinds", reader, schoolId=school_a)
        assert kind["id"] in [k["id"] for k in listed]


# Exam results


def test_exam_results_with_and_without_test_scores_are_stored_and_read_back(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: an intermediate exam with a test score, entered by the group's teacher
    kind = create_kind(gql, admin(token_for, schools), schools.a.id, jg.setup.system_id,
                       maxTestScore=40, gradeLevels=[6, 7])
    teacher = token_for(jg.teacher_login)
    # when
    payload = post(gql, SET_RESULTS, "setExamResults", teacher, input=results_input(
        jg, kind["id"], [{"student": 0, "state": "GRADED", "value": "5", "testScore": 37.5},
                         {"student": 1, "state": "GRADED", "value": "4"},
                         {"student": 2, "state": "EXEMPT"}]))
    # then
    assert payload["errors"] == [], payload
    got = [(g["kind"], g["state"], g["value"], g["testScore"], g["examKind"]["id"],
            g["student"]["id"], g["subject"]["id"], g["group"]["id"], g["version"])
           for g in payload["grades"]]
    subject, group = gid("Subject", jg.setup.subject_id), gid("StudyGroup", jg.group_id)
    assert got == [
        ("EXAM", "GRADED", "5", 37.5, kind["id"], gid("Person", jg.students[0]), subject,
         group, 1),
        ("EXAM", "GRADED", "4", None, kind["id"], gid("Person", jg.students[1]), subject,
         group, 1),
        ("EXAM", "EXEMPT", None, None, kind["id"], gid("Person", jg.students[2]), subject,
         group, 1)]
    assert all(g["setBy"]["id"] == gid("Person", jg.teacher_id) for g in payload["grades"])
    assert all(g["academicYear"]["id"] == gid("AcademicYear", schools.a.year_id)
               for g in payload["grades"])
    for g in payload["grades"]:
        assert [a.action for a in audit_of(database, schools.a.id, raw(g["id"]))] == ["create"]
    # the student reads their own result, with its kind and score
    mine = post(gql, NODE, "node", token_for(jg.student_logins[0]),
                id=payload["grades"][0]["id"])
    assert mine == {"id": payload["grades"][0]["id"], "kind": "EXAM", "value": "5",
                    "testScore": 37.5, "examKind": {"name": kind["name"]}}
    # and the guardian of another child, and another school, do not
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    assert post(gql, NODE, "node", token_for(other.guardian_login),
                id=payload["grades"][0]["id"]) is None
    assert post(gql, NODE, "node", admin(token_for, schools, "b"),
                id=payload["grades"][0]["id"]) is None


def test_one_result_per_student_and_kind_is_changed_with_its_version(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: a result, and a second kind for the same subject
    token = admin(token_for, schools)
    first = create_kind(gql, token, schools.a.id, jg.setup.system_id, maxTestScore=100)
    second = create_kind(gql, token, schools.a.id, jg.setup.system_id)
    set_ = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, first["id"], [{"student": 0, "state": "GRADED", "value": "3", "testScore": 41}]))
    assert set_["errors"] == []
    # when: changed with the version read; then a stale version
    changed = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, first["id"], [{"student": 0, "state": "DEFERRED", "deferredReason": "болезнь",
                           "deferredUntil": "2016-09-10", "expectedVersion": 1}]))
    stale = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, first["id"], [{"student": 0, "state": "GRADED", "value": "5",
                           "expectedVersion": 1}]))
    other = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, second["id"], [{"student": 0, "state": "GRADED", "value": "5"}]))
    # then: one row per kind; the change dropped the score; the stale write changed nothing
    assert changed["errors"] == []
    assert (changed["grades"][0]["id"], changed["grades"][0]["version"],
            changed["grades"][0]["testScore"], changed["grades"][0]["deferredUntil"]) == (
        set_["grades"][0]["id"], 2, None, "2016-09-10")
    assert fields(stale) == [("input.results.0.expectedVersion", "CONFLICT")]
    assert "now deferred (version 2)" in stale["errors"][0]["message"]
    assert other["errors"] == [] and other["grades"][0]["id"] != set_["grades"][0]["id"]
    assert [(r.state, r.test_score, r.version)
            for r in exam_rows(database, schools.a.id, first["id"])] == [("deferred", None, 2)]
    assert [a.action for a in audit_of(database, schools.a.id,
                                       raw(set_["grades"][0]["id"]))] == ["create", "update"]


def test_exam_results_out_of_range_or_malformed_are_refused_whole(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    token = admin(token_for, schools)
    scored = create_kind(gql, token, schools.a.id, jg.setup.system_id, maxTestScore=100)
    plain = create_kind(gql, token, schools.a.id, jg.setup.system_id)
    outsider = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    # when: one good result among bad ones
    payload = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, scored["id"], [
            {"student": 0, "state": "GRADED", "value": "5", "testScore": 100},
            {"student": 1, "state": "GRADED", "value": "5", "testScore": 100.5},
            {"student": 2, "state": "GRADED", "value": "7", "testScore": -1},
            {"studentId": gid("Person", outsider.students[0]), "state": "EXEMPT",
             "testScore": 10},
            {"student": 0, "state": "GRADED", "value": "4", "testScore": 12.345},
            {"student": 1, "state": "DEFERRED", "deferredReason": "болезнь",
             "deferredUntil": "2016-05-01"}]))
    no_score = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, plain["id"], [{"student": 0, "state": "GRADED", "value": "5", "testScore": 50}]))
    empty = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, plain["id"], []))
    # then: every problem on its field; nothing written
    assert fields(payload) == [
        ("input.results.1.testScore", "OUT_OF_RANGE"),
        ("input.results.2.value", "INVALID"),
        ("input.results.2.testScore", "OUT_OF_RANGE"),
        ("input.results.3.studentId", "NOT_FOUND"),
        ("input.results.3.testScore", "INVALID"),
        ("input.results.4.studentId", "DUPLICATE"),
        ("input.results.4.testScore", "INVALID"),
        ("input.results.5.studentId", "DUPLICATE"),
        ("input.results.5.deferredUntil", "OUT_OF_RANGE")]
    messages = {e["field"]: e["message"] for e in payload["errors"]}
    assert "from 0 to 100" in messages["input.results.1.testScore"]
    assert "last period" in messages["input.results.5.deferredUntil"]
    assert fields(no_score) == [("input.results.0.testScore", "INVALID")]
    assert "has no test score" in no_score["errors"][0]["message"]
    assert fields(empty) == [("input.results", "REQUIRED")]
    assert exam_rows(database, schools.a.id, scored["id"]) == []
    assert exam_rows(database, schools.a.id, plain["id"]) == []


def test_state_exams_are_the_administrators_and_held_in_their_grade_levels(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: a state exam of grade 6 and an exam of grade 9 only
    token = admin(token_for, schools)
    state = create_kind(gql, token, schools.a.id, jg.setup.system_id, level="STATE")
    ninth = create_kind(gql, token, schools.a.id, jg.setup.system_id, gradeLevels=[9])
    result = [{"student": 0, "state": "GRADED", "value": "4"}]
    # when
    by_teacher = post(gql, SET_RESULTS, "setExamResults", token_for(jg.teacher_login),
                      input=results_input(jg, state["id"], result))
    wrong_level = post(gql, SET_RESULTS, "setExamResults", token,
                       input=results_input(jg, ninth["id"], result))
    by_admin = post(gql, SET_RESULTS, "setExamResults", token,
                    input=results_input(jg, state["id"], result))
    # then
    assert fields(by_teacher) == [("input.examKindId", "FORBIDDEN")]
    assert fields(wrong_level) == [("input.examKindId", "INVALID")]
    assert "grade levels 9, not in 6" in wrong_level["errors"][0]["message"]
    assert by_admin["errors"] == [] and by_admin["grades"][0]["value"] == "4"


def test_exam_results_are_refused_to_another_school_and_to_other_roles(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    kind = create_kind(gql, admin(token_for, schools), schools.a.id, jg.setup.system_id)
    b_system, _ = make_system(database, schools.b.id, "five_point")
    b_kind = create_kind(gql, admin(token_for, schools, "b"), schools.b.id, b_system)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    result = {"student": 0, "state": "GRADED", "value": "5"}
    # when / then
    attempts = [
        (admin(token_for, schools, "b"), kind["id"], [("input.groupId", "NOT_FOUND")]),
        (token_for(other.teacher_login), kind["id"], [("input.groupId", "FORBIDDEN")]),
        (token_for(jg.student_logins[0]), kind["id"], [("input.groupId", "FORBIDDEN")]),
        (token_for(jg.guardian_login), kind["id"], [("input.groupId", "FORBIDDEN")]),
        (admin(token_for, schools), b_kind["id"], [("input.examKindId", "NOT_FOUND")]),
    ]
    for token, kind_id, expected in attempts:
        payload = post(gql, SET_RESULTS, "setExamResults", token,
                       input=results_input(jg, kind_id, [dict(result)]))
        assert (fields(payload), payload["grades"]) == (expected, [])
    assert exam_rows(database, schools.a.id, kind["id"]) == []


def test_a_used_exam_kind_keeps_its_system_and_scores_and_is_not_deleted(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given: a result with the score 80
    token = admin(token_for, schools)
    kind = create_kind(gql, token, schools.a.id, jg.setup.system_id, maxTestScore=100)
    hundred, _ = make_system(database, schools.a.id, "hundred_point")
    set_ = post(gql, SET_RESULTS, "setExamResults", token, input=results_input(
        jg, kind["id"], [{"student": 1, "state": "GRADED", "value": "5", "testScore": 80}]))
    assert set_["errors"] == []
    # when
    system = post(gql, UPDATE_KIND, "updateExamKind", token, input={
        "id": kind["id"], "systemId": gid("GradingSystem", hundred)})
    lower = post(gql, UPDATE_KIND, "updateExamKind", token, input={
        "id": kind["id"], "maxTestScore": 79})
    deleted = post(gql, DELETE_KIND, "deleteExamKind", token, input={"id": kind["id"]})
    raised = post(gql, UPDATE_KIND, "updateExamKind", token, input={
        "id": kind["id"], "maxTestScore": 80})
    # then
    assert fields(system) == [("input.systemId", "INVALID")]
    assert fields(lower) == [("input.maxTestScore", "INVALID")]
    assert fields(deleted) == [("input.id", "INVALID")]
    assert "1 exam results" in deleted["errors"][0]["message"]
    assert raised["errors"] == [] and raised["examKind"]["maxTestScore"] == 80
    with owner(database, schools.a.id) as s:
        row = s.get_one(m.ExamKind, (schools.a.id, raw(kind["id"])))
        assert (row.system_id, row.max_test_score) == (jg.setup.system_id, 80)


def test_set_exam_results_runs_as_many_statements_for_six_students_as_for_two(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    def statements(students: int) -> int:
        group = make_journal_group(database.owner, schools.a, students=students, lessons=1)
        kind = create_kind(gql, admin(token_for, schools), schools.a.id,
                           group.setup.system_id, maxTestScore=100)
        results = [{"student": n, "state": "GRADED", "value": "4", "testScore": 60 + n}
                   for n in range(students)]
        with count_statements() as counter:
            payload = post(gql, SET_RESULTS, "setExamResults", token_for(group.teacher_login),
                           input=results_input(group, kind["id"], results))
        assert payload["errors"] == [] and len(payload["grades"]) == students
        return counter.count

    assert statements(2) == statements(6)
