"""The bad input catalogue: malformed bodies, impossible values and hostile text each get a
clear error or are stored harmlessly as given, and a refused write leaves nothing behind."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

CREATE_SUBJECT = """
mutation CreateSubject($input: CreateSubjectInput!) {
  createSubject(input: $input) { subject { id name shortName } errors { field code message } }
}
"""
CREATE_PERSON = """
mutation CreatePerson($input: CreatePersonInput!) {
  createPerson(input: $input) { person { id lastName firstName } errors { field code message } }
}
"""
CREATE_HOLIDAY = """
mutation CreateHoliday($input: CreateHolidayInput!) {
  createHoliday(input: $input) { holiday { id } errors { field code message } }
}
"""
UPDATE_LESSON = """
mutation UpdateLesson($input: UpdateLessonInput!) {
  updateLesson(input: $input) {
    lesson { id topic homework homeworkLinks } errors { field code message }
  }
}
"""
SET_MARKS = """
mutation SetMarks($input: SetMarksInput!) {
  setMarks(input: $input) { marks { id } errors { field code message } }
}
"""
LESSONS = """
query Lessons($groupId: ID!) {
  lessons(groupId: $groupId, from: "2015-09-01", to: "2015-09-30") { id topic homework }
}
"""
SCHOOLS_PAGE = "query Page($first: Int) { schools(first: $first) { edges { node { id } } } }"

# Every table a refused write in school A could have touched.
COUNTED = ("subjects", "persons", "person_roles", "holidays", "lessons", "marks", "audit_log")


@pytest.fixture()
def admin_a(token_for: Any, schools: TwoSchools) -> str:
    return str(token_for(schools.a.logins["admin"]))


@pytest.fixture()
def journal(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=1, lessons=2)


def row_counts(database: DatabaseUrls, school_id: uuid.UUID) -> dict[str, int]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return {t: int(s.scalar(text(f"SELECT count(*) FROM {t} WHERE school_id = :s"),
                                {"s": school_id}) or 0) for t in COUNTED}


@contextmanager
def nothing_written(database: DatabaseUrls, school_id: uuid.UUID) -> Iterator[None]:
    before = row_counts(database, school_id)
    yield
    assert row_counts(database, school_id) == before


def school_gid(schools: TwoSchools) -> str:
    return to_global_id("School", schools.a.id)


def graphql_error(body: dict[str, Any]) -> str:
    """The message of a request-level error (the document or variables were refused)."""
    assert body.get("data") is None, body
    assert body["errors"], body
    return str(body["errors"][0]["message"])


# --- the HTTP body ------------------------------------------------------------------------

def test_post_malformed_json_is_a_clear_client_error(gql: Any, admin_a: str) -> None:
    # given / when
    response = gql.http.post("/graphql", content=b'{"query": "{ me { login } }"',
                             headers={"Authorization": f"Bearer {admin_a}",
                                      "Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert "json" in response.text.lower()


def test_post_invalid_utf8_is_a_clear_client_error(gql: Any, admin_a: str) -> None:
    # given a body whose bytes are not UTF-8
    body = b'{"query": "{ me { login \xff\xfe\xc3\x28 } }"}'
    # when
    response = gql.http.post("/graphql", content=body,
                             headers={"Authorization": f"Bearer {admin_a}",
                                      "Content-Type": "application/json"})
    # then
    assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


def test_post_huge_body_is_refused_before_it_is_read(gql: Any, admin_a: str) -> None:
    # given 20 MB of JSON
    payload = json.dumps({"query": "{ me { login } }", "variables": {"x": "я" * 10_000_000}})
    # when
    response = gql.http.post("/graphql", content=payload.encode(),
                             headers={"Authorization": f"Bearer {admin_a}",
                                      "Content-Type": "application/json"})
    # then: the request body limit (ZHURNAL_MAX_BODY_BYTES, 1 MB by default) refuses it
    assert response.status_code == 413, response.text[:300]


def test_post_deeply_nested_variables_are_refused_without_a_server_error(
    gql: Any, admin_a: str
) -> None:
    # given variables nested 100 000 levels deep (a recursion bomb for a naive decoder)
    depth = 100_000
    body = '{"query": "{ me { login } }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"
    # when
    response = gql.http.post("/graphql", content=body.encode(),
                             headers={"Authorization": f"Bearer {admin_a}",
                                      "Content-Type": "application/json"})
    # then
    assert response.status_code < 500, response.text[:300]
    assert "Traceback" not in response.text and "RecursionError" not in response.text


# --- values the schema refuses --------------------------------------------------------------

def test_create_holiday_impossible_date_is_refused_and_writes_nothing(
    gql: Any, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    data = {"academicYearId": to_global_id("AcademicYear", schools.a.year_id),
            "name": f"Праздник {uuid.uuid4().hex[:6]}", "startsOn": "2015-02-30",
            "endsOn": "2015-03-01"}
    # when
    with nothing_written(database, schools.a.id):
        body = gql.post(CREATE_HOLIDAY, {"input": data}, token=admin_a)
    # then: the Date scalar names the value and the field
    message = graphql_error(body)
    assert "startsOn" in message and "2015-02-30" in message


def test_set_marks_value_outside_the_scale_is_refused_and_writes_nothing(
    gql: Any, token_for: Any, journal: JournalGroup, database: DatabaseUrls
) -> None:
    # given a five-point scale and values that are not on it
    teacher = token_for(journal.teacher_login)
    for value in ("6", "0", "-1", "5+", "", "пять", "1e9"):
        data = {"lessonId": to_global_id("Lesson", journal.lesson_ids[0]), "marks": [{
            "studentId": to_global_id("Person", journal.students[0]), "value": value,
            "workTypeId": to_global_id("WorkType", journal.setup.work_type_ids["classwork"])}]}
        # when
        with nothing_written(database, journal.school.id):
            result = gql.post(SET_MARKS, {"input": data}, token=teacher)["data"]["setMarks"]
        # then
        assert result["marks"] == [], value
        assert [e["field"] for e in result["errors"]] == ["input.marks.0.value"], (value, result)


@pytest.mark.parametrize("first", [-1, 101, 1_000_000])
def test_schools_first_outside_the_page_size_is_refused(
    gql: Any, admin_a: str, first: int
) -> None:
    # given / when
    body = gql.post(SCHOOLS_PAGE, {"first": first}, token=admin_a)
    # then
    assert "first" in graphql_error(body)


def test_schools_first_beyond_a_32_bit_int_is_refused(gql: Any, admin_a: str) -> None:
    # given / when
    body = gql.post(SCHOOLS_PAGE, {"first": 2**40}, token=admin_a)
    # then
    assert "Int" in graphql_error(body)


def test_set_marks_null_where_a_list_is_required_is_refused(
    gql: Any, token_for: Any, journal: JournalGroup, database: DatabaseUrls
) -> None:
    # given
    data = {"lessonId": to_global_id("Lesson", journal.lesson_ids[0]), "marks": None}
    # when
    with nothing_written(database, journal.school.id):
        body = gql.post(SET_MARKS, {"input": data}, token=token_for(journal.teacher_login))
    # then
    assert "marks" in graphql_error(body)


def test_create_person_unknown_enum_value_is_refused(
    gql: Any, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    data = {"schoolId": school_gid(schools), "lastName": "Царёв", "firstName": "Пётр",
            "roles": ["KING"]}
    # when
    with nothing_written(database, schools.a.id):
        body = gql.post(CREATE_PERSON, {"input": data}, token=admin_a)
    # then
    message = graphql_error(body)
    assert "KING" in message and "SchoolRole" in message


def test_update_lesson_id_of_the_wrong_type_is_invalid(
    gql: Any, admin_a: str, journal: JournalGroup, database: DatabaseUrls
) -> None:
    # given a Subject id where a Lesson id belongs, and a string that is no id at all
    for wrong in (to_global_id("Subject", journal.setup.subject_id), "not-an-id",
                  str(journal.lesson_ids[0])):
        # when
        with nothing_written(database, journal.school.id):
            result = gql.post(UPDATE_LESSON, {"input": {"id": wrong, "topic": "x"}},
                              token=admin_a)["data"]["updateLesson"]
        # then
        assert result["lesson"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.id", "INVALID")]


def test_update_lesson_deeply_nested_input_list_is_refused(
    gql: Any, admin_a: str, journal: JournalGroup, database: DatabaseUrls
) -> None:
    # given homeworkLinks ([String!]) given as a list nested 50 deep
    nested: Any = "https://example.org"
    for _ in range(50):
        nested = [nested]
    data = {"id": to_global_id("Lesson", journal.lesson_ids[0]), "homeworkLinks": nested}
    # when
    with nothing_written(database, journal.school.id):
        body = gql.post(UPDATE_LESSON, {"input": data}, token=admin_a)
    # then
    assert "homeworkLinks" in graphql_error(body)


# --- text stored as given -----------------------------------------------------------------

def test_update_lesson_html_and_script_in_homework_are_stored_as_text(
    gql: Any, admin_a: str, journal: JournalGroup
) -> None:
    # given
    homework = '<script>alert("x")</script><b onmouseover="steal()">Упр. 5</b> &amp; <!-- -->'
    lesson = to_global_id("Lesson", journal.lesson_ids[0])
    # when
    response = gql.http.post("/graphql", json={"query": UPDATE_LESSON, "variables": {
        "input": {"id": lesson, "homework": homework}}},
        headers={"Authorization": f"Bearer {admin_a}"})
    lessons = gql.post(LESSONS, {"groupId": to_global_id("StudyGroup", journal.group_id)},
                       token=admin_a)["data"]["lessons"]
    # then: returned unchanged, as JSON (never as a page a browser would interpret)
    assert response.headers["content-type"].startswith("application/json")
    result = response.json()["data"]["updateLesson"]
    assert result["errors"] == []
    assert result["lesson"]["homework"] == homework
    assert next(x for x in lessons if x["id"] == lesson)["homework"] == homework


@pytest.mark.parametrize("formula", ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)",
                                     "=HYPERLINK(\"http://evil\")"])
def test_create_subject_csv_formula_prefixes_are_stored_as_given(
    gql: Any, admin_a: str, schools: TwoSchools, formula: str
) -> None:
    # given (exports neutralise formulas when they write CSV: issue 6)
    name = f"{formula} {uuid.uuid4().hex[:6]}"
    # when
    result = gql.post(CREATE_SUBJECT, {"input": {"schoolId": school_gid(schools), "name": name,
                                                 "shortName": formula[:10]}},
                      token=admin_a)["data"]["createSubject"]
    # then
    assert result["errors"] == []
    assert result["subject"]["name"] == name
    assert result["subject"]["shortName"] == formula[:10].strip()  # names are trimmed


def test_update_lesson_csv_formula_in_topic_is_stored_as_given(
    gql: Any, admin_a: str, journal: JournalGroup
) -> None:
    # given
    topic = "=IMPORTXML(\"http://evil\",\"//a\")"
    # when
    result = gql.post(UPDATE_LESSON, {"input": {
        "id": to_global_id("Lesson", journal.lesson_ids[1]), "topic": topic}},
        token=admin_a)["data"]["updateLesson"]
    # then
    assert result["errors"] == []
    assert result["lesson"]["topic"] == topic


def test_create_person_emoji_and_combining_marks_in_a_name_are_stored_as_given(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # given astral-plane emoji, a ZWJ sequence and a combining accent
    last_name = f"Ёжиков👨‍👩‍👧{uuid.uuid4().hex[:4]}"
    first_name = "Фёдор🦔е\u0301"
    # when
    result = gql.post(CREATE_PERSON, {"input": {
        "schoolId": school_gid(schools), "lastName": last_name, "firstName": first_name,
        "roles": ["STUDENT"]}}, token=admin_a)["data"]["createPerson"]
    # then
    assert result["errors"] == []
    assert (result["person"]["lastName"], result["person"]["firstName"]) == (last_name,
                                                                             first_name)


@pytest.mark.parametrize("field", ["lastName", "firstName"])
def test_create_person_very_long_name_is_refused_naming_the_field(
    gql: Any, admin_a: str, schools: TwoSchools, database: DatabaseUrls, field: str
) -> None:
    # given 10 000 characters (emoji: 4 bytes each in UTF-8)
    data = {"schoolId": school_gid(schools), "lastName": "Длинный", "firstName": "Имя",
            "roles": ["STUDENT"], field: "🦔" * 10_000}
    # when
    with nothing_written(database, schools.a.id):
        result = gql.post(CREATE_PERSON, {"input": data},
                          token=admin_a)["data"]["createPerson"]
    # then
    assert result["person"] is None
    assert [e["field"] for e in result["errors"]] == [f"input.{field}"]


def test_create_subject_very_long_name_is_refused_naming_the_field(
    gql: Any, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    data = {"schoolId": school_gid(schools), "name": "Я" * 5_000, "shortName": "Я"}
    # when
    with nothing_written(database, schools.a.id):
        result = gql.post(CREATE_SUBJECT, {"input": data},
                          token=admin_a)["data"]["createSubject"]
    # then
    assert result["subject"] is None
    assert [e["field"] for e in result["errors"]] == ["input.name"]


def test_create_subject_nul_character_is_refused_naming_the_field(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # given a NUL, which PostgreSQL text cannot hold
    data = {"schoolId": school_gid(schools), "name": f"Нуль\x00{uuid.uuid4().hex[:6]}",
            "shortName": "Н"}
    # when
    response = gql.http.post("/graphql", json={"query": CREATE_SUBJECT,
                                               "variables": {"input": data}},
                             headers={"Authorization": f"Bearer {admin_a}"})
    # then: a clear refusal naming the field, not a database error
    assert response.status_code == 200, response.text
    result = response.json()["data"]["createSubject"]
    assert result["subject"] is None
    assert [e["field"] for e in result["errors"]] == ["input.name"]
