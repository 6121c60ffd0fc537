"""Subjects, work types with weights and lesson types of a school."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

SUBJECT_FIELDS = "subject { id name shortName } errors { field code message }"
CREATE_SUBJECT = f"""
mutation Create($input: CreateSubjectInput!) {{ createSubject(input: $input) {{
  {SUBJECT_FIELDS} }} }}
"""
UPDATE_SUBJECT = f"""
mutation Update($input: UpdateSubjectInput!) {{ updateSubject(input: $input) {{
  {SUBJECT_FIELDS} }} }}
"""
WORK_FIELDS = "workType { id name weight } errors { field code message }"
CREATE_WORK_TYPE = f"""
mutation Create($input: CreateWorkTypeInput!) {{ createWorkType(input: $input) {{
  {WORK_FIELDS} }} }}
"""
UPDATE_WORK_TYPE = f"""
mutation Update($input: UpdateWorkTypeInput!) {{ updateWorkType(input: $input) {{
  {WORK_FIELDS} }} }}
"""
LESSON_FIELDS = "lessonType { id code name } errors { field code message }"
CREATE_LESSON_TYPE = f"""
mutation Create($input: CreateLessonTypeInput!) {{ createLessonType(input: $input) {{
  {LESSON_FIELDS} }} }}
"""
UPDATE_LESSON_TYPE = f"""
mutation Update($input: UpdateLessonTypeInput!) {{ updateLessonType(input: $input) {{
  {LESSON_FIELDS} }} }}
"""
SUBJECTS = "query Q($schoolId: ID!) { subjects(schoolId: $schoolId) { id name shortName } }"
WORK_TYPES = "query Q($schoolId: ID!) { workTypes(schoolId: $schoolId) { id name weight } }"
LESSON_TYPES = "query Q($schoolId: ID!) { lessonTypes(schoolId: $schoolId) { id code name } }"
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Subject { name } } }"

OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]

# Per kind: create mutation, its payload field, valid input, update mutation, table, a name key.
KINDS: dict[str, dict[str, Any]] = {
    "subject": {"create": CREATE_SUBJECT, "update": UPDATE_SUBJECT, "field": "subject",
                "create_field": "createSubject", "update_field": "updateSubject",
                "table": "subjects", "type": "Subject", "list": SUBJECTS,
                "list_field": "subjects",
                "input": lambda n: {"name": n, "shortName": n[:10]}},
    "work_type": {"create": CREATE_WORK_TYPE, "update": UPDATE_WORK_TYPE, "field": "workType",
                  "create_field": "createWorkType", "update_field": "updateWorkType",
                  "table": "work_types", "type": "WorkType", "list": WORK_TYPES,
                  "list_field": "workTypes", "input": lambda n: {"name": n, "weight": 2}},
    "lesson_type": {"create": CREATE_LESSON_TYPE, "update": UPDATE_LESSON_TYPE,
                    "field": "lessonType", "create_field": "createLessonType",
                    "update_field": "updateLessonType", "table": "lesson_types",
                    "type": "LessonType", "list": LESSON_TYPES, "list_field": "lessonTypes",
                    "input": lambda n: {"code": n[-8:], "name": n}},
}


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def rows_named(database: DatabaseUrls, school_id: uuid.UUID, table: str, name: str) -> int:
    return len(sql(database, school_id, f"SELECT id FROM {table} WHERE name = :n "
                                        "AND school_id = :school", n=name))


def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity: str, entity_id: uuid.UUID
             ) -> list[tuple[str, Any, Any]]:
    return [tuple(r) for r in sql(
        database, school_id, "SELECT action, before, after FROM audit_log WHERE entity = :e "
        "AND entity_id = :id AND school_id = :school ORDER BY seq", e=entity, id=entity_id)]


def raw_id(global_id: str) -> uuid.UUID:
    from strawberry import relay

    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def create(gql, kind: str, token: str, school_id: uuid.UUID, name: str,
           **extra: Any) -> dict[str, Any]:
    k = KINDS[kind]
    body = gql.post(k["create"], {"input": {"schoolId": to_global_id("School", school_id),
                                            **k["input"](name), **extra}}, token=token)
    assert "errors" not in body, body
    return body["data"][k["create_field"]]


# --- every kind: roles, schools, audit -------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_create_by_an_administrator_is_listed_and_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, kind: str
) -> None:
    # given
    k = KINDS[kind]
    name = unique(kind)
    # when
    result = create(gql, kind, token_for(schools.a.logins["admin"]), schools.a.id, name)
    # then
    assert result["errors"] == []
    node = result[k["field"]]
    assert node["name"] == name
    assert [a for a, _, _ in audit_of(database, schools.a.id, k["table"],
                                      raw_id(node["id"]))] == ["create"]
    for login in [schools.a.logins[r] for r in OTHER_ROLES] + [schools.officer_logins["region"]]:
        listed = gql.post(k["list"], {"schoolId": to_global_id("School", schools.a.id)},
                          token=token_for(login))["data"][k["list_field"]]
        assert node["id"] in [n["id"] for n in listed]
    theirs = gql.post(k["list"], {"schoolId": to_global_id("School", schools.a.id)},
                      token=token_for(schools.b.logins["admin"]))["data"][k["list_field"]]
    assert theirs == []


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_create_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, kind: str, role: str
) -> None:
    name = unique(kind)
    result = create(gql, kind, token_for(schools.a.logins[role]), schools.a.id, name)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.schoolId",
                                                                    "FORBIDDEN")]
    assert rows_named(database, schools.a.id, KINDS[kind]["table"], name) == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_create_in_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, kind: str
) -> None:
    name = unique(kind)
    for login in (schools.b.logins["admin"], schools.officer_logins["region"]):
        result = create(gql, kind, token_for(login), schools.a.id, name)
        assert result["errors"] == [{"field": "input.schoolId", "code": "NOT_FOUND",
                                     "message": "no such school"}]
    assert rows_named(database, schools.a.id, KINDS[kind]["table"], name) == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_update_by_an_administrator_is_audited_with_before_and_after(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, kind: str
) -> None:
    # given
    k = KINDS[kind]
    admin = token_for(schools.a.logins["admin"])
    node = create(gql, kind, admin, schools.a.id, unique(kind))[k["field"]]
    new_name = unique("renamed")
    # when
    body = gql.post(k["update"], {"input": {"id": node["id"], "name": new_name}}, token=admin)
    # then
    result = body["data"][k["update_field"]]
    assert result["errors"] == [] and result[k["field"]]["name"] == new_name
    audit = audit_of(database, schools.a.id, k["table"], raw_id(node["id"]))
    assert [(a, b and b["name"], af["name"]) for a, b, af in audit] == [
        ("create", None, node["name"]), ("update", node["name"], new_name)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_update_by_others_is_refused_and_changes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, kind: str
) -> None:
    # given
    k = KINDS[kind]
    node = create(gql, kind, token_for(schools.a.logins["admin"]), schools.a.id,
                  unique(kind))[k["field"]]
    # when
    codes = {}
    for login in [schools.a.logins[r] for r in OTHER_ROLES] + [
            schools.b.logins["admin"], schools.officer_logins["region"]]:
        body = gql.post(k["update"], {"input": {"id": node["id"], "name": unique("x")}},
                        token=token_for(login))
        codes[login] = [(e["field"], e["code"]) for e in body["data"][k["update_field"]]["errors"]]
    missing = gql.post(k["update"], {"input": {"id": to_global_id(k["type"], uuid.uuid4()),
                                               "name": "x"}},
                       token=token_for(schools.b.logins["admin"]))["data"][k["update_field"]]
    theirs = gql.post(k["update"], {"input": {"id": node["id"], "name": "x"}},
                      token=token_for(schools.b.logins["admin"]))["data"][k["update_field"]]
    # then
    for role in OTHER_ROLES:
        assert codes[schools.a.logins[role]] == [("input.id", "FORBIDDEN")]
    assert codes[schools.b.logins["admin"]] == [("input.id", "NOT_FOUND")]
    assert codes[schools.officer_logins["region"]] == [("input.id", "NOT_FOUND")]
    assert theirs["errors"] == missing["errors"]
    assert rows_named(database, schools.a.id, k["table"], node["name"]) == 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_node_answers_null_for_another_school(gql, token_for, schools: TwoSchools,
                                              kind: str) -> None:
    k = KINDS[kind]
    node = create(gql, kind, token_for(schools.a.logins["admin"]), schools.a.id,
                  unique(kind))[k["field"]]
    mine = gql.post(NODE, {"id": node["id"]}, token=token_for(schools.a.logins["student"]))
    theirs = gql.post(NODE, {"id": node["id"]}, token=token_for(schools.b.logins["admin"]))
    assert mine["data"]["node"]["id"] == node["id"]
    assert theirs["data"]["node"] is None


# --- rules of each kind ----------------------------------------------------------------------

def test_create_subject_with_a_taken_or_blank_name_names_the_field(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    admin = token_for(schools.a.logins["admin"])
    taken = create(gql, "subject", admin, schools.a.id, "математика")  # fixture: «Математика»
    blank = gql.post(CREATE_SUBJECT, {"input": {"schoolId": to_global_id("School", schools.a.id),
                                                "name": " ", "shortName": ""}},
                     token=admin)["data"]["createSubject"]
    assert [(e["field"], e["code"]) for e in taken["errors"]] == [("input.name", "DUPLICATE")]
    assert {(e["field"], e["code"]) for e in blank["errors"]} == {
        ("input.name", "REQUIRED"), ("input.shortName", "REQUIRED")}
    assert rows_named(database, schools.a.id, "subjects", "математика") == 0


def test_update_subject_to_a_taken_name_is_a_duplicate_and_changes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    admin = token_for(schools.a.logins["admin"])
    subject = create(gql, "subject", admin, schools.a.id, unique("Физика"))["subject"]
    result = gql.post(UPDATE_SUBJECT, {"input": {"id": subject["id"], "name": "Математика",
                                                 "shortName": "Ф"}},
                      token=admin)["data"]["updateSubject"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.name", "DUPLICATE")]
    stored = sql(database, schools.a.id, "SELECT name, short_name FROM subjects WHERE id = :i",
                 i=raw_id(subject["id"]))
    assert [tuple(r) for r in stored] == [(subject["name"], subject["shortName"])]


@pytest.mark.parametrize(("weight", "code"), [(0, "OUT_OF_RANGE"), (-1, "OUT_OF_RANGE"),
                                              (10.5, "OUT_OF_RANGE"), (1.234, "INVALID")])
def test_create_work_type_with_a_bad_weight_names_the_field(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, weight: float, code: str
) -> None:
    name = unique("weight")
    result = create(gql, "work_type", token_for(schools.a.logins["admin"]), schools.a.id, name,
                    weight=weight)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.weight", code)]
    assert rows_named(database, schools.a.id, "work_types", name) == 0


def test_work_type_weight_up_to_ten_is_accepted_and_can_change(
    gql, token_for, schools: TwoSchools
) -> None:
    admin = token_for(schools.a.logins["admin"])
    work = create(gql, "work_type", admin, schools.a.id, unique("Контрольная"),
                  weight=10)["workType"]
    assert work["weight"] == 10
    result = gql.post(UPDATE_WORK_TYPE, {"input": {"id": work["id"], "weight": 1.25}},
                      token=admin)["data"]["updateWorkType"]
    assert result["errors"] == [] and result["workType"]["weight"] == 1.25
    refused = gql.post(UPDATE_WORK_TYPE, {"input": {"id": work["id"], "weight": 0}},
                       token=admin)["data"]["updateWorkType"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("input.weight",
                                                                     "OUT_OF_RANGE")]


def test_lesson_type_code_is_unique_in_the_school_only(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin_a = token_for(schools.a.logins["admin"])
    code = uuid.uuid4().hex[:10]
    first = create(gql, "lesson_type", admin_a, schools.a.id, unique("Лабораторная"),
                   code=code)["lessonType"]
    other = create(gql, "lesson_type", admin_a, schools.a.id, unique("Практическая"))
    # when
    again = create(gql, "lesson_type", admin_a, schools.a.id, unique("Лаб"), code=code)
    renamed = gql.post(UPDATE_LESSON_TYPE, {"input": {"id": other["lessonType"]["id"],
                                                      "code": code}},
                       token=admin_a)["data"]["updateLessonType"]
    in_b = create(gql, "lesson_type", token_for(schools.b.logins["admin"]), schools.b.id,
                  unique("Лабораторная"), code=code)
    # then
    assert first["code"] == code
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.code", "DUPLICATE")]
    assert [(e["field"], e["code"]) for e in renamed["errors"]] == [("input.code", "DUPLICATE")]
    assert in_b["errors"] == []
    assert len(sql(database, schools.a.id, "SELECT id FROM lesson_types WHERE code = :c "
                                           "AND school_id = :school", c=code)) == 1


def test_work_types_statement_count_does_not_grow_with_rows(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    admin = token_for(schools.b.logins["admin"])
    school = to_global_id("School", schools.b.id)
    create(gql, "work_type", admin, schools.b.id, unique("count"))
    with count_statements() as few:
        small = gql.post(WORK_TYPES, {"schoolId": school}, token=admin)["data"]["workTypes"]
    for _ in range(4):
        create(gql, "work_type", admin, schools.b.id, unique("count"))
    # when
    with count_statements() as many:
        large = gql.post(WORK_TYPES, {"schoolId": school}, token=admin)["data"]["workTypes"]
    # then
    assert len(large) == len(small) + 4
    assert many.count == few.count
