"""Grading systems, templates, conversion tables and which system applies where."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

TEMPLATES = """
query { gradingTemplates { id code name kind values {
  label ordinal rangeLow rangeHigh point countsAsPass numericValue } } }
"""
SYSTEMS = """
query Systems($schoolId: ID!) { gradingSystems(schoolId: $schoolId) {
  id name kind templateCode values { id label ordinal rangeLow rangeHigh point countsAsPass
  numericValue } } }
"""
NODE = """
query Node($id: ID!) { node(id: $id) { id ... on GradingSystem { name values { label } } } }
"""
SYSTEM_FIELDS = """
gradingSystem { id name kind templateCode values { id label ordinal rangeLow rangeHigh point
  countsAsPass numericValue } }
errors { field code message }
"""
CREATE = f"""
mutation Create($input: CreateGradingSystemInput!) {{
  createGradingSystem(input: $input) {{ {SYSTEM_FIELDS} }} }}
"""
COPY = f"""
mutation Copy($input: CopyGradingTemplateInput!) {{
  copyGradingTemplate(input: $input) {{ {SYSTEM_FIELDS} }} }}
"""
UPDATE = f"""
mutation Update($input: UpdateGradingSystemInput!) {{
  updateGradingSystem(input: $input) {{ {SYSTEM_FIELDS} }} }}
"""
CREATE_TABLE = """
mutation CreateTable($input: CreateConversionTableInput!) {
  createConversionTable(input: $input) {
    conversionTable { id provenance validFrom validTo from { id } to { id }
      rows { from { label } to { label } } }
    errors { field code message } } }
"""
DELETE_TABLE = """
mutation DeleteTable($input: DeleteConversionTableInput!) {
  deleteConversionTable(input: $input) { deletedId errors { field code message } } }
"""
TABLES = """
query Tables($schoolId: ID!) { conversionTables(schoolId: $schoolId) {
  id provenance from { name } to { name } rows { from { label } to { label } } } }
"""
SET_USE = """
mutation SetUse($input: SetGradingSystemUseInput!) {
  setGradingSystemUse(input: $input) {
    gradingSystemUse { id gradeLevel academicYearId academicYear { id } subject { id }
      system { id name } }
    errors { field code message } } }
"""
USES = """
query Uses($yearId: ID!) { gradingSystemUses(academicYearId: $yearId) {
  id gradeLevel subject { id } system { id } } }
"""

OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]
FIVE = [("2", 0, 50, 25, False, 2), ("3", 50, 70, 60, True, 3), ("4", 70, 85, 77.5, True, 4),
        ("5", 85, 100, 92.5, True, 5)]


def values(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{"label": label, "rangeLow": low, "rangeHigh": high, "point": point,
             "countsAsPass": ok, "numericValue": num} for label, low, high, point, ok, num in rows]



def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    """Rows read as the owner within one school (RLS is forced, so the school is set)."""
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), params).all())


def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity: str) -> list[Any]:
    return sql(database, school_id, "SELECT action, entity_id, before, after FROM audit_log "
                                    "WHERE entity = :e AND school_id = :s ORDER BY seq",
               e=entity, s=school_id)


def systems_named(database: DatabaseUrls, school_id: uuid.UUID, name: str) -> int:
    return len(sql(database, school_id, "SELECT id FROM grading_systems WHERE name = :n "
                                        "AND school_id = :s", n=name, s=school_id))


def create_system(gql, token: str, school_id: uuid.UUID, name: str,
                  rows: list[tuple[Any, ...]] = FIVE) -> dict[str, Any]:
    body = gql.post(CREATE, {"input": {"schoolId": gid("School", school_id), "name": name,
                                       "kind": "NUMERIC", "values": values(rows)}}, token=token)
    assert "errors" not in body, body
    return body["data"]["createGradingSystem"]


def raw_id(global_id: str) -> uuid.UUID:
    from strawberry import relay

    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


# --- templates -------------------------------------------------------------------------------

def test_grading_templates_lists_the_four_common_scales(gql, token_for, schools: TwoSchools
                                                        ) -> None:
    # when
    body = gql.post(TEMPLATES, token=token_for(schools.b.logins["student"]))
    # then
    assert "errors" not in body
    by_code = {t["code"]: t for t in body["data"]["gradingTemplates"]}
    assert set(by_code) >= {"five_point", "ten_point", "hundred_point", "pass_fail"}
    five = by_code["five_point"]
    assert five["name"] == "Пятибалльная" and five["kind"] == "NUMERIC"
    assert [(v["label"], v["rangeLow"], v["rangeHigh"], v["point"], v["countsAsPass"],
             v["numericValue"]) for v in five["values"]] == [
        (label, low, high, point, ok, num) for label, low, high, point, ok, num in FIVE]
    ten = by_code["ten_point"]["values"]
    assert [v["label"] for v in ten] == [str(n) for n in range(1, 11)]
    assert ten[3]["countsAsPass"] and not ten[2]["countsAsPass"]
    hundred = by_code["hundred_point"]["values"]
    assert len(hundred) == 101 and hundred[0]["rangeLow"] == 0 and hundred[-1]["rangeHigh"] == 100
    assert hundred[30]["countsAsPass"] and not hundred[29]["countsAsPass"]
    assert [(v["label"], v["countsAsPass"]) for v in by_code["pass_fail"]["values"]] == [
        ("незачёт", False), ("зачёт", True)]
    assert by_code["pass_fail"]["kind"] == "PASS_FAIL"


def test_grading_templates_without_token_is_unauthenticated(gql) -> None:
    body = gql.post(TEMPLATES)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_copy_grading_template_gives_a_system_equal_to_the_template(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    template = next(t for t in gql.post(TEMPLATES, token=admin)["data"]["gradingTemplates"]
                    if t["code"] == "five_point")
    name = unique("Пятибалльная копия")
    # when
    result = gql.post(COPY, {"input": {"schoolId": gid("School", schools.a.id),
                                       "templateCode": "five_point", "name": name}},
                      token=admin)["data"]["copyGradingTemplate"]
    # then
    assert result["errors"] == []
    system = result["gradingSystem"]
    assert system["name"] == name and system["kind"] == "NUMERIC"
    assert system["templateCode"] == "five_point"
    assert [{k: v for k, v in value.items() if k != "id"} for value in system["values"]] == \
        template["values"]
    audit = audit_of(database, schools.a.id, "grading_systems")
    assert ("create", raw_id(system["id"])) in [(a, e) for a, e, _, _ in audit]
    value_ids = {raw_id(v["id"]) for v in system["values"]}
    created = {e for a, e, _, _ in audit_of(database, schools.a.id, "mark_values")
               if a == "create"}
    assert value_ids <= created


def test_copy_grading_template_with_a_taken_name_is_a_duplicate_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: the fixture school already has «Пятибалльная»
    before = systems_named(database, schools.a.id, "Пятибалльная")
    # when
    result = gql.post(COPY, {"input": {"schoolId": gid("School", schools.a.id),
                                       "templateCode": "five_point"}},
                      token=token_for(schools.a.logins["admin"]))["data"]["copyGradingTemplate"]
    # then
    assert result["gradingSystem"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.name", "DUPLICATE")]
    assert systems_named(database, schools.a.id, "Пятибалльная") == before


def test_copy_grading_template_with_an_unknown_code_is_not_found(gql, token_for,
                                                                 schools: TwoSchools) -> None:
    result = gql.post(COPY, {"input": {"schoolId": gid("School", schools.a.id),
                                       "templateCode": "twelve_point", "name": unique("x")}},
                      token=token_for(schools.a.logins["admin"]))["data"]["copyGradingTemplate"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.templateCode", "NOT_FOUND")]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_copy_grading_template_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    name = unique("copy")
    result = gql.post(COPY, {"input": {"schoolId": gid("School", schools.a.id),
                                       "templateCode": "ten_point", "name": name}},
                      token=token_for(schools.a.logins[role]))["data"]["copyGradingTemplate"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.schoolId",
                                                                    "FORBIDDEN")]
    assert systems_named(database, schools.a.id, name) == 0


def test_copy_grading_template_into_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    name = unique("intruder")
    for login in (schools.b.logins["admin"], schools.officer_logins["region"]):
        result = gql.post(COPY, {"input": {"schoolId": gid("School", schools.a.id),
                                           "templateCode": "ten_point", "name": name}},
                          token=token_for(login))["data"]["copyGradingTemplate"]
        assert result["errors"] == [{"field": "input.schoolId", "code": "NOT_FOUND",
                                     "message": "no such school"}]
    assert systems_named(database, schools.a.id, name) == 0


# --- createGradingSystem ---------------------------------------------------------------------

def test_create_grading_system_by_an_administrator_is_stored_and_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    name = unique("Своя шкала")
    # when
    result = create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id, name,
                           [("н", 0, 40.5, 20, False, None), ("с", 40.5, 100, 70, True, None)])
    # then
    assert result["errors"] == []
    system = result["gradingSystem"]
    assert system["templateCode"] is None
    assert [(v["label"], v["ordinal"], v["rangeLow"], v["rangeHigh"]) for v in
            system["values"]] == [("н", 1, 0, 40.5), ("с", 2, 40.5, 100)]
    audit = [(a, e, after) for a, e, _, after in audit_of(database, schools.a.id,
                                                          "grading_systems")]
    assert [(a, after["name"]) for a, e, after in audit if e == raw_id(system["id"])] == [
        ("create", name)]


BAD_VALUES = {
    "gap": ([("2", 0, 50, 25, False, 2), ("3", 55, 100, 70, True, 3)],
            "input.values.1.rangeLow", "INVALID"),
    "overlap": ([("2", 0, 50, 25, False, 2), ("3", 45, 100, 70, True, 3)],
                "input.values.1.rangeLow", "OVERLAP"),
    "point outside its range": ([("2", 0, 50, 60, False, 2), ("3", 50, 100, 70, True, 3)],
                                "input.values.0.point", "OUT_OF_RANGE"),
    "pass flag not monotonic": ([("2", 0, 40, 20, False, 2), ("3", 40, 70, 50, True, 3),
                                 ("4", 70, 100, 80, False, 4)],
                                "input.values.2.countsAsPass", "INVALID"),
    "first not at 0": ([("2", 10, 50, 25, False, 2), ("3", 50, 100, 70, True, 3)],
                       "input.values.0.rangeLow", "INVALID"),
    "last not at 100": ([("2", 0, 50, 25, False, 2), ("3", 50, 90, 70, True, 3)],
                        "input.values.1.rangeHigh", "INVALID"),
    "empty range": ([("2", 0, 50, 25, False, 2), ("3", 50, 50, 50, True, 3),
                     ("4", 50, 100, 70, True, 4)], "input.values.1.rangeHigh", "INVALID"),
    "off the axis": ([("2", 0, 50, 25, False, 2), ("3", 50, 120, 70, True, 3)],
                     "input.values.1.rangeHigh", "OUT_OF_RANGE"),
    "one value": ([("все", 0, 100, 50, True, None)], "input.values", "INVALID"),
    "duplicate label": ([("3", 0, 50, 25, False, None), ("3", 50, 100, 70, True, None)],
                        "input.values.1.label", "DUPLICATE"),
    "numeric value not increasing": ([("2", 0, 50, 25, False, 5), ("3", 50, 100, 70, True, 3)],
                                     "input.values.1.numericValue", "INVALID"),
    "three decimals": ([("2", 0, 50.125, 25, False, 2), ("3", 50.125, 100, 70, True, 3)],
                       "input.values.0.rangeHigh", "INVALID"),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_create_grading_system_with_bad_values_names_the_field_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, case: str
) -> None:
    # given
    rows, field, code = BAD_VALUES[case]
    name = unique("bad")
    # when
    result = gql.post(CREATE, {"input": {"schoolId": gid("School", schools.a.id), "name": name,
                                         "kind": "NUMERIC", "values": values(rows)}},
                      token=token_for(schools.a.logins["admin"]))["data"]["createGradingSystem"]
    # then
    assert result["gradingSystem"] is None
    assert (field, code) in [(e["field"], e["code"]) for e in result["errors"]], result
    assert systems_named(database, schools.a.id, name) == 0


def test_create_grading_system_reports_every_broken_rule_at_once(gql, token_for,
                                                                 schools: TwoSchools) -> None:
    rows = [("2", 0, 50, 60, False, 2), ("3", 55, 100, 70, True, 3)]
    result = gql.post(CREATE, {"input": {"schoolId": gid("School", schools.a.id), "name": " ",
                                         "kind": "NUMERIC", "values": values(rows)}},
                      token=token_for(schools.a.logins["admin"]))["data"]["createGradingSystem"]
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("input.name", "REQUIRED"), ("input.values.0.point", "OUT_OF_RANGE"),
        ("input.values.1.rangeLow", "INVALID")}


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_create_grading_system_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    name = unique("forbidden")
    result = gql.post(CREATE, {"input": {"schoolId": gid("School", schools.a.id), "name": name,
                                         "kind": "NUMERIC", "values": values(FIVE)}},
                      token=token_for(schools.a.logins[role]))["data"]["createGradingSystem"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.schoolId",
                                                                    "FORBIDDEN")]
    assert systems_named(database, schools.a.id, name) == 0


def test_create_grading_system_in_another_school_looks_like_a_missing_school(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    name = unique("intruder")
    admin_b = token_for(schools.b.logins["admin"])

    def attempt(school: str, token: str) -> list[dict[str, Any]]:
        return gql.post(CREATE, {"input": {"schoolId": school, "name": name, "kind": "NUMERIC",
                                           "values": values(FIVE)}},
                        token=token)["data"]["createGradingSystem"]["errors"]

    # when
    other = attempt(gid("School", schools.a.id), admin_b)
    missing = attempt(gid("School", uuid.uuid4()), admin_b)
    officer = attempt(gid("School", schools.a.id), token_for(schools.officer_logins["region"]))
    # then
    assert other == missing == officer == [{"field": "input.schoolId", "code": "NOT_FOUND",
                                            "message": "no such school"}]
    assert systems_named(database, schools.a.id, name) == 0


# --- gradingSystems and node -----------------------------------------------------------------

def test_grading_systems_lists_the_school_systems_with_ordered_values(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    name = unique("Список")
    create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id, name)
    # when: every member of the school and an officer over it may read its configuration
    for login in [schools.a.logins[r] for r in ["admin", *OTHER_ROLES]] + [
            schools.officer_logins["region"]]:
        body = gql.post(SYSTEMS, {"schoolId": gid("School", schools.a.id)},
                        token=token_for(login))
        # then
        assert "errors" not in body
        systems = {s["name"]: s for s in body["data"]["gradingSystems"]}
        assert [v["label"] for v in systems[name]["values"]] == ["2", "3", "4", "5"]
        assert [v["ordinal"] for v in systems[name]["values"]] == [1, 2, 3, 4]


def test_grading_systems_of_another_school_is_empty(gql, token_for, schools: TwoSchools) -> None:
    for login in (schools.b.logins["admin"], schools.b.logins["student"]):
        body = gql.post(SYSTEMS, {"schoolId": gid("School", schools.a.id)},
                        token=token_for(login))
        assert body["data"]["gradingSystems"] == []


def test_grading_systems_with_a_malformed_school_id_names_the_argument(
    gql, token_for, schools: TwoSchools
) -> None:
    body = gql.post(SYSTEMS, {"schoolId": "nonsense"}, token=token_for(schools.a.logins["admin"]))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "schoolId" in body["errors"][0]["message"]


def test_grading_systems_statement_count_does_not_grow_with_rows(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    admin = token_for(schools.b.logins["admin"])
    school = gid("School", schools.b.id)
    for _ in range(2):
        create_system(gql, admin, schools.b.id, unique("count"))
    with count_statements() as few:
        small = gql.post(SYSTEMS, {"schoolId": school}, token=admin)["data"]["gradingSystems"]
    for _ in range(4):
        create_system(gql, admin, schools.b.id, unique("count"))
    # when
    with count_statements() as many:
        large = gql.post(SYSTEMS, {"schoolId": school}, token=admin)["data"]["gradingSystems"]
    # then
    assert len(large) == len(small) + 4
    assert many.count == few.count, (few.statements, many.statements)


def test_node_answers_null_for_a_grading_system_of_another_school(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    created = create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                            unique("node"))["gradingSystem"]
    # when
    mine = gql.post(NODE, {"id": created["id"]}, token=token_for(schools.a.logins["teacher"]))
    theirs = gql.post(NODE, {"id": created["id"]}, token=token_for(schools.b.logins["admin"]))
    # then
    assert mine["data"]["node"]["name"] == created["name"]
    assert theirs["data"]["node"] is None


# --- updateGradingSystem ---------------------------------------------------------------------

def test_update_grading_system_renames_and_replaces_values_keeping_ids_by_label(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    system = create_system(gql, admin, schools.a.id, unique("upd"))["gradingSystem"]
    ids = {v["label"]: v["id"] for v in system["values"]}
    new_name = unique("upd renamed")
    rows = [("2", 0, 40, 20, False, 2), ("3", 40, 65, 50, True, 3), ("4", 65, 85, 75, True, 4),
            ("5", 85, 100, 92.5, True, 5)]
    # when
    result = gql.post(UPDATE, {"input": {"id": system["id"], "name": new_name,
                                         "values": values(rows)}},
                      token=admin)["data"]["updateGradingSystem"]
    # then
    assert result["errors"] == []
    updated = result["gradingSystem"]
    assert updated["name"] == new_name
    assert [(v["id"], v["rangeLow"], v["rangeHigh"]) for v in updated["values"]] == [
        (ids[label], low, high) for label, low, high, *_ in rows]
    changed = [(a, e) for a, e, _, _ in audit_of(database, schools.a.id, "mark_values")]
    assert ("update", raw_id(ids["3"])) in changed
    renamed = [(b["name"], af["name"]) for a, e, b, af in
               audit_of(database, schools.a.id, "grading_systems")
               if e == raw_id(system["id"]) and a == "update"]
    assert renamed == [(system["name"], new_name)]


def test_update_grading_system_with_new_labels_reorders_without_clashes(
    gql, token_for, schools: TwoSchools
) -> None:
    admin = token_for(schools.a.logins["admin"])
    system = create_system(gql, admin, schools.a.id, unique("relabel"))["gradingSystem"]
    rows = [("1", 0, 20, 10, False, 1), ("2", 20, 50, 35, False, 2), ("3", 50, 70, 60, True, 3),
            ("5", 70, 100, 85, True, 5)]
    result = gql.post(UPDATE, {"input": {"id": system["id"], "values": values(rows)}},
                      token=admin)["data"]["updateGradingSystem"]
    assert result["errors"] == []
    assert [(v["label"], v["ordinal"]) for v in result["gradingSystem"]["values"]] == [
        ("1", 1), ("2", 2), ("3", 3), ("5", 4)]


def test_update_grading_system_refuses_new_values_once_marks_use_them(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a mark in the system
    admin = token_for(schools.a.logins["admin"])
    system = create_system(gql, admin, schools.a.id, unique("used"))["gradingSystem"]
    value_id = raw_id(system["values"][2]["id"])
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(schools.a.id)})
        work_type = uuid.uuid4()
        s.execute(text("INSERT INTO work_types (school_id, id, name, weight) "
                       "VALUES (:s, :id, :n, 1)"),
                  {"s": schools.a.id, "id": work_type, "n": unique("wt")})
        s.execute(text("INSERT INTO marks (school_id, id, group_id, student_id, work_date, "
                       "work_type_id, value_id) VALUES (:s, :id, :g, :st, :d, :w, :v)"),
                  {"s": schools.a.id, "id": uuid.uuid4(), "g": schools.a.group_id,
                   "st": schools.a.people["student"], "d": date(2015, 10, 1), "w": work_type,
                   "v": value_id})
    rows = [("2", 0, 40, 20, False, 2), ("3", 40, 65, 50, True, 3), ("4", 65, 85, 75, True, 4),
            ("5", 85, 100, 92.5, True, 5)]
    # when
    result = gql.post(UPDATE, {"input": {"id": system["id"], "values": values(rows)}},
                      token=admin)["data"]["updateGradingSystem"]
    # then
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.values", "INVALID")]
    stored = sql(database, schools.a.id, "SELECT range_high FROM mark_values WHERE id = :v",
                 v=value_id)
    assert float(stored[0][0]) == 85


def test_update_grading_system_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    system = create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                           unique("theirs"))["gradingSystem"]
    for login in (schools.b.logins["admin"], schools.officer_logins["region"]):
        result = gql.post(UPDATE, {"input": {"id": system["id"], "name": unique("hijack")}},
                          token=token_for(login))["data"]["updateGradingSystem"]
        assert result["errors"] == [{"field": "input.id", "code": "NOT_FOUND",
                                     "message": "no such grading system"}]
    assert systems_named(database, schools.a.id, system["name"]) == 1


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_update_grading_system_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    system = create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                           unique("mine"))["gradingSystem"]
    result = gql.post(UPDATE, {"input": {"id": system["id"], "name": unique("x")}},
                      token=token_for(schools.a.logins[role]))["data"]["updateGradingSystem"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.id", "FORBIDDEN")]
    assert systems_named(database, schools.a.id, system["name"]) == 1


# --- conversion tables -----------------------------------------------------------------------

PASS_FAIL = [("незачёт", 0, 50, 25, False, None), ("зачёт", 50, 100, 75, True, None)]


def two_systems(gql, admin: str, school_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any]]:
    five = create_system(gql, admin, school_id, unique("from"))["gradingSystem"]
    pf = create_system(gql, admin, school_id, unique("to"), PASS_FAIL)["gradingSystem"]
    return five, pf


def table_input(five: dict[str, Any], pf: dict[str, Any], **extra: Any) -> dict[str, Any]:
    to = {v["label"]: v["id"] for v in pf["values"]}
    rows = [{"fromLabel": "2", "toLabel": "незачёт"},
            {"fromValueId": five["values"][1]["id"], "toValueId": to["зачёт"]},
            {"fromLabel": "4", "toLabel": "зачёт"}, {"fromLabel": "5", "toLabel": "зачёт"}]
    return {"fromSystemId": five["id"], "toSystemId": pf["id"],
            "provenance": "Положение о формах аттестации, приказ № 1", "validFrom": "2015-09-01",
            "validTo": "2016-08-31", "rows": rows, **extra}


def test_create_conversion_table_maps_every_value_and_is_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    five, pf = two_systems(gql, admin, schools.a.id)
    # when
    result = gql.post(CREATE_TABLE, {"input": table_input(five, pf)},
                      token=admin)["data"]["createConversionTable"]
    # then
    assert result["errors"] == []
    table = result["conversionTable"]
    assert table["from"]["id"] == five["id"] and table["to"]["id"] == pf["id"]
    assert [(r["from"]["label"], r["to"]["label"]) for r in table["rows"]] == [
        ("2", "незачёт"), ("3", "зачёт"), ("4", "зачёт"), ("5", "зачёт")]
    assert [a for a, e, _, _ in audit_of(database, schools.a.id, "conversion_tables")
            if e == raw_id(table["id"])] == ["create"]
    rows = sql(database, schools.a.id, "SELECT id FROM conversion_rows WHERE table_id = :t",
               t=raw_id(table["id"]))
    created = {e for a, e, _, _ in audit_of(database, schools.a.id, "conversion_rows")}
    assert {r[0] for r in rows} <= created and len(rows) == 4
    listed = gql.post(TABLES, {"schoolId": gid("School", schools.a.id)},
                      token=token_for(schools.a.logins["teacher"]))["data"]["conversionTables"]
    assert table["id"] in [t["id"] for t in listed]
    theirs = gql.post(TABLES, {"schoolId": gid("School", schools.a.id)},
                      token=token_for(schools.b.logins["admin"]))["data"]["conversionTables"]
    assert theirs == []


BAD_TABLES = {
    "a value left out": (lambda i: {**i, "rows": i["rows"][:3]}, "input.rows", "INVALID"),
    "a value twice": (lambda i: {**i, "rows": [*i["rows"], {"fromLabel": "5",
                                                            "toLabel": "зачёт"}]},
                      "input.rows.4.fromLabel", "DUPLICATE"),
    "an unknown target label": (lambda i: {**i, "rows": [{"fromLabel": "2", "toLabel": "5"},
                                                         *i["rows"][1:]]},
                                "input.rows.0.toLabel", "NOT_FOUND"),
    "neither label nor id": (lambda i: {**i, "rows": [{"toLabel": "зачёт"}, *i["rows"][1:]]},
                             "input.rows.0.fromLabel", "REQUIRED"),
    "validTo before validFrom": (lambda i: {**i, "validTo": "2015-08-01"}, "input.validTo",
                                 "INVALID"),
    "blank provenance": (lambda i: {**i, "provenance": "  "}, "input.provenance", "REQUIRED"),
    "the same system twice": (lambda i: {**i, "toSystemId": i["fromSystemId"]},
                              "input.toSystemId", "INVALID"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_create_conversion_table_with_bad_input_names_the_field_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, case: str
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    five, pf = two_systems(gql, admin, schools.a.id)
    change, field, code = BAD_TABLES[case]
    # when
    result = gql.post(CREATE_TABLE, {"input": change(table_input(five, pf))},
                      token=admin)["data"]["createConversionTable"]
    # then
    assert result["conversionTable"] is None
    assert (field, code) in [(e["field"], e["code"]) for e in result["errors"]], result
    assert sql(database, schools.a.id, "SELECT id FROM conversion_tables WHERE "
               "from_system_id = :f", f=raw_id(five["id"])) == []


def test_create_conversion_table_overlapping_another_for_the_same_pair_is_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    five, pf = two_systems(gql, admin, schools.a.id)
    first = gql.post(CREATE_TABLE, {"input": table_input(five, pf, validTo=None)},
                     token=admin)["data"]["createConversionTable"]
    assert first["errors"] == []
    # when
    later = gql.post(CREATE_TABLE, {"input": table_input(five, pf, validFrom="2020-01-01",
                                                         validTo=None)},
                     token=admin)["data"]["createConversionTable"]
    # then
    assert [(e["field"], e["code"]) for e in later["errors"]] == [("input.validFrom", "OVERLAP")]
    assert len(sql(database, schools.a.id, "SELECT id FROM conversion_tables WHERE "
                   "from_system_id = :f", f=raw_id(five["id"]))) == 1


def test_create_conversion_table_to_a_system_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: the target system belongs to school B
    admin_a = token_for(schools.a.logins["admin"])
    five = create_system(gql, admin_a, schools.a.id, unique("from"))["gradingSystem"]
    pf_b = create_system(gql, token_for(schools.b.logins["admin"]), schools.b.id,
                         unique("b target"), PASS_FAIL)["gradingSystem"]
    fake = {**pf_b, "id": gid("GradingSystem", uuid.uuid4())}
    # when
    other = gql.post(CREATE_TABLE, {"input": table_input(five, pf_b)},
                     token=admin_a)["data"]["createConversionTable"]
    missing = gql.post(CREATE_TABLE, {"input": table_input(five, fake)},
                       token=admin_a)["data"]["createConversionTable"]
    # then
    assert other["errors"] == missing["errors"] == [
        {"field": "input.toSystemId", "code": "NOT_FOUND", "message": "no such grading system"}]
    assert sql(database, schools.a.id, "SELECT id FROM conversion_tables WHERE "
               "from_system_id = :f", f=raw_id(five["id"])) == []


def test_create_conversion_table_from_a_system_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools
) -> None:
    admin_a = token_for(schools.a.logins["admin"])
    five, pf = two_systems(gql, admin_a, schools.a.id)
    result = gql.post(CREATE_TABLE, {"input": table_input(five, pf)},
                      token=token_for(schools.b.logins["admin"]))["data"]["createConversionTable"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.fromSystemId",
                                                                    "NOT_FOUND")]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_create_conversion_table_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, role: str
) -> None:
    five, pf = two_systems(gql, token_for(schools.a.logins["admin"]), schools.a.id)
    result = gql.post(CREATE_TABLE, {"input": table_input(five, pf)},
                      token=token_for(schools.a.logins[role]))["data"]["createConversionTable"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.fromSystemId",
                                                                    "FORBIDDEN")]


def test_delete_conversion_table_removes_it_with_audit_and_not_across_schools(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    five, pf = two_systems(gql, admin, schools.a.id)
    table_id = gql.post(CREATE_TABLE, {"input": table_input(five, pf)},
                        token=admin)["data"]["createConversionTable"]["conversionTable"]["id"]
    # when: school B's administrator and school A's teacher try first
    theirs = gql.post(DELETE_TABLE, {"input": {"id": table_id}},
                      token=token_for(schools.b.logins["admin"]))["data"]["deleteConversionTable"]
    teacher = gql.post(DELETE_TABLE, {"input": {"id": table_id}},
                       token=token_for(schools.a.logins["teacher"])
                       )["data"]["deleteConversionTable"]
    still = sql(database, schools.a.id, "SELECT id FROM conversion_tables WHERE id = :t",
                t=raw_id(table_id))
    mine = gql.post(DELETE_TABLE, {"input": {"id": table_id}},
                    token=admin)["data"]["deleteConversionTable"]
    # then
    assert theirs == {"deletedId": None, "errors": [
        {"field": "input.id", "code": "NOT_FOUND", "message": "no such conversion table"}]}
    assert [(e["field"], e["code"]) for e in teacher["errors"]] == [("input.id", "FORBIDDEN")]
    assert len(still) == 1
    assert mine == {"deletedId": table_id, "errors": []}
    assert sql(database, schools.a.id, "SELECT id FROM conversion_rows WHERE table_id = :t",
               t=raw_id(table_id)) == []
    deleted = [(a, b is not None, af) for a, e, b, af in
               audit_of(database, schools.a.id, "conversion_tables") if e == raw_id(table_id)]
    assert deleted == [("create", False, deleted[0][2]), ("delete", True, None)]
    assert len([a for a, *_ in audit_of(database, schools.a.id, "conversion_rows")
                if a == "delete"]) >= 4


# --- grading system uses ---------------------------------------------------------------------

def subject_of(database: DatabaseUrls, school_id: uuid.UUID) -> uuid.UUID:
    return sql(database, school_id, "SELECT id FROM subjects WHERE name = 'Математика' "
                                    "AND school_id = :s", s=school_id)[0][0]


def test_set_grading_system_use_inserts_then_replaces_and_is_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    first = create_system(gql, admin, schools.a.id, unique("use 1"))["gradingSystem"]
    second = create_system(gql, admin, schools.a.id, unique("use 2"))["gradingSystem"]
    subject = gid("Subject", subject_of(database, schools.a.id))
    year = gid("AcademicYear", schools.a.year_id)
    base = {"academicYearId": year, "subjectId": subject, "gradeLevel": 7}
    # when
    created = gql.post(SET_USE, {"input": {**base, "systemId": first["id"]}},
                       token=admin)["data"]["setGradingSystemUse"]
    replaced = gql.post(SET_USE, {"input": {**base, "systemId": second["id"]}},
                        token=admin)["data"]["setGradingSystemUse"]
    # then
    assert created["errors"] == [] and replaced["errors"] == []
    use = replaced["gradingSystemUse"]
    assert use["id"] == created["gradingSystemUse"]["id"]
    assert use["system"]["id"] == second["id"] and use["gradeLevel"] == 7
    assert use["academicYearId"] == year and use["academicYear"]["id"] == year
    assert use["subject"]["id"] == subject
    assert [a for a, e, _, _ in audit_of(database, schools.a.id, "grading_system_uses")
            if e == raw_id(use["id"])] == ["create", "update"]
    listed = gql.post(USES, {"yearId": year}, token=token_for(schools.a.logins["student"]))
    assert use["id"] in [u["id"] for u in listed["data"]["gradingSystemUses"]]
    theirs = gql.post(USES, {"yearId": year}, token=token_for(schools.b.logins["admin"]))
    assert theirs["data"]["gradingSystemUses"] == []


def test_set_grading_system_use_with_a_bad_grade_level_or_foreign_system_is_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    system_b = create_system(gql, token_for(schools.b.logins["admin"]), schools.b.id,
                             unique("b"))["gradingSystem"]
    subject_b = gid("Subject", subject_of(database, schools.b.id))
    before = sql(database, schools.a.id, "SELECT count(*) FROM grading_system_uses "
                 "WHERE school_id = :s", s=schools.a.id)
    # when
    result = gql.post(SET_USE, {"input": {"academicYearId": gid("AcademicYear",
                                                                schools.a.year_id),
                                          "subjectId": subject_b, "gradeLevel": 12,
                                          "systemId": system_b["id"]}},
                      token=admin)["data"]["setGradingSystemUse"]
    # then
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("input.subjectId", "NOT_FOUND"), ("input.gradeLevel", "OUT_OF_RANGE"),
        ("input.systemId", "NOT_FOUND")}
    assert sql(database, schools.a.id, "SELECT count(*) FROM grading_system_uses "
                 "WHERE school_id = :s", s=schools.a.id) == before


def test_set_grading_system_use_by_others_is_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    system = create_system(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                           unique("use x"))["gradingSystem"]
    payload = {"input": {"academicYearId": gid("AcademicYear", schools.a.year_id),
                         "gradeLevel": 3, "systemId": system["id"]}}
    # when
    codes = {
        login: [(e["field"], e["code"]) for e in gql.post(
            SET_USE, payload, token=token_for(login))["data"]["setGradingSystemUse"]["errors"]]
        for login in [schools.a.logins[r] for r in OTHER_ROLES]
        + [schools.b.logins["admin"], schools.officer_logins["region"]]
    }
    # then
    for role in OTHER_ROLES:
        assert codes[schools.a.logins[role]] == [("input.academicYearId", "FORBIDDEN")]
    assert codes[schools.b.logins["admin"]] == [("input.academicYearId", "NOT_FOUND")]
    assert codes[schools.officer_logins["region"]] == [("input.academicYearId", "NOT_FOUND")]
    assert sql(database, schools.a.id, "SELECT id FROM grading_system_uses WHERE system_id = :s",
               s=raw_id(system["id"])) == []


def test_conversion_tables_statement_count_does_not_grow_with_rows(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    admin = token_for(schools.b.logins["admin"])
    school = gid("School", schools.b.id)

    def add_table() -> None:
        five, pf = two_systems(gql, admin, schools.b.id)
        assert gql.post(CREATE_TABLE, {"input": table_input(five, pf)},
                        token=admin)["data"]["createConversionTable"]["errors"] == []

    add_table()
    with count_statements() as few:
        small = gql.post(TABLES, {"schoolId": school}, token=admin)["data"]["conversionTables"]
    for _ in range(3):
        add_table()
    # when
    with count_statements() as many:
        large = gql.post(TABLES, {"schoolId": school}, token=admin)["data"]["conversionTables"]
    # then
    assert len(large) == len(small) + 3
    assert many.count == few.count, (few.statements, many.statements)
