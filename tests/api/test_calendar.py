"""The school calendar over HTTP: academic years, period schemes, periods and holidays."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

ERRORS = "errors { field code message }"

CREATE_YEAR = f"""
mutation CreateYear($input: CreateAcademicYearInput!) {{
  createAcademicYear(input: $input) {{ academicYear {{ id name startsOn endsOn status }} {ERRORS} }}
}}
"""

UPDATE_YEAR = f"""
mutation UpdateYear($input: UpdateAcademicYearInput!) {{
  updateAcademicYear(input: $input) {{ academicYear {{ id name startsOn endsOn }} {ERRORS} }}
}}
"""

SCHEME_FIELDS = """
  id name kind gradeLevels academicYear { id }
  periods { id ordinal name startsOn endsOn closedAt scheme { id } }
  holidays { id name startsOn endsOn scheme { id } }
"""

CREATE_SCHEME = f"""
mutation CreateScheme($input: CreatePeriodSchemeInput!) {{
  createPeriodScheme(input: $input) {{ periodScheme {{ {SCHEME_FIELDS} }} {ERRORS} }}
}}
"""

UPDATE_SCHEME = f"""
mutation UpdateScheme($input: UpdatePeriodSchemeInput!) {{
  updatePeriodScheme(input: $input) {{ periodScheme {{ {SCHEME_FIELDS} }} {ERRORS} }}
}}
"""

DELETE_SCHEME = f"""
mutation DeleteScheme($input: DeletePeriodSchemeInput!) {{
  deletePeriodScheme(input: $input) {{ deletedPeriodSchemeId {ERRORS} }}
}}
"""

SET_GRADE_LEVELS = f"""
mutation SetGradeLevels($input: SetGradeLevelSchemesInput!) {{
  setGradeLevelSchemes(input: $input) {{
    academicYear {{ id gradeLevelSchemes {{ gradeLevel scheme {{ id name }} }} }}
    {ERRORS}
  }}
}}
"""

CREATE_HOLIDAY = f"""
mutation CreateHoliday($input: CreateHolidayInput!) {{
  createHoliday(input: $input) {{ holiday {{ id name startsOn endsOn scheme {{ id }} }} {ERRORS} }}
}}
"""

DELETE_HOLIDAY = f"""
mutation DeleteHoliday($input: DeleteHolidayInput!) {{
  deleteHoliday(input: $input) {{ deletedHolidayId {ERRORS} }}
}}
"""

ACADEMIC_YEARS = """
query AcademicYears($schoolId: ID!, $first: Int, $after: String) {
  academicYears(schoolId: $schoolId, first: $first, after: $after) {
    edges { cursor node {
      id name startsOn endsOn status
      periodSchemes { id name kind gradeLevels periods { id ordinal name } holidays { id } }
      gradeLevelSchemes { gradeLevel scheme { id name } }
      holidays { id name scheme { id } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on AcademicYear { name }
    ... on PeriodScheme { name }
    ... on Period { name }
    ... on Holiday { name }
  }
}
"""

QUARTERS = [
    {"name": "1 четверть", "startsOn": "2030-09-01", "endsOn": "2030-10-27"},
    {"name": "2 четверть", "startsOn": "2030-11-05", "endsOn": "2030-12-28"},
    {"name": "3 четверть", "startsOn": "2031-01-09", "endsOn": "2031-03-22"},
    {"name": "4 четверть", "startsOn": "2031-04-01", "endsOn": "2031-05-31"},
]
HALVES = [
    {"name": "1 полугодие", "startsOn": "2030-09-01", "endsOn": "2030-12-28"},
    {"name": "2 полугодие", "startsOn": "2031-01-09", "endsOn": "2031-05-31"},
]
AUTUMN = {"name": "Осенние каникулы", "startsOn": "2030-10-28", "endsOn": "2030-11-04"}
WINTER = {"name": "Зимние каникулы", "startsOn": "2030-12-29", "endsOn": "2031-01-08"}

OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def school_gid(school_id: uuid.UUID) -> str:
    return to_global_id("School", school_id)


def data(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][field]


def ok(body: dict[str, Any], field: str) -> dict[str, Any]:
    payload = data(body, field)
    assert payload["errors"] == [], payload["errors"]
    return payload


def codes(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


def create_year(gql: Any, token: str, school_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    values = {"schoolId": school_gid(school_id), "name": unique("Год"),
              "startsOn": "2030-09-01", "endsOn": "2031-05-31", **fields}
    return ok(gql.post(CREATE_YEAR, {"input": values}, token=token),
              "createAcademicYear")["academicYear"]


def create_scheme(gql: Any, token: str, year_id: str, *,
                  periods: list[dict[str, str]] | None = None,
                  holidays: list[dict[str, str]] | None = None, kind: str = "QUARTERS"
                  ) -> dict[str, Any]:
    values = {"academicYearId": year_id, "name": unique("Схема"), "kind": kind,
              "periods": QUARTERS if periods is None else periods,
              "holidays": [AUTUMN, WINTER] if holidays is None else holidays}
    return ok(gql.post(CREATE_SCHEME, {"input": values}, token=token),
              "createPeriodScheme")["periodScheme"]


def raw_id(global_id: str) -> uuid.UUID:
    from strawberry import relay

    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def owner_sql(database: DatabaseUrls, school_id: uuid.UUID, sql: str,
              **params: Any) -> list[Any]:
    """Run SQL as the owner, scoped to one school (RLS is forced even for the owner)."""
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"), {"s": str(school_id)})
        result = s.execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []


def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity_id: uuid.UUID
             ) -> list[tuple[str, str]]:
    rows = owner_sql(database, school_id,
                     "SELECT action, entity FROM audit_log WHERE entity_id = :id ORDER BY seq",
                     id=entity_id)
    return [(r.action, r.entity) for r in rows]


def calendar_state(database: DatabaseUrls, school_id: uuid.UUID) -> list[Any]:
    """Everything of a school's calendar, and the length of its audit log."""
    tables = ["academic_years", "period_schemes", "periods", "holidays", "grade_level_schemes"]
    state: list[Any] = []
    for table in tables:
        state.append(sorted(map(tuple, owner_sql(
            database, school_id, f"SELECT * FROM {table} WHERE school_id = :s", s=school_id)),
            key=str))
    state += owner_sql(database, school_id,
                       "SELECT count(*) FROM audit_log WHERE school_id = :s", s=school_id)
    return state


@pytest.fixture()
def admin_a(token_for: Callable[[str], str], schools: TwoSchools) -> str:
    return token_for(schools.a.logins["admin"])


@pytest.fixture()
def admin_b(token_for: Callable[[str], str], schools: TwoSchools) -> str:
    return token_for(schools.b.logins["admin"])


@dataclass
class Calendar:
    """A year of school A with a scheme in use, a spare scheme and a school-wide holiday."""

    year: dict[str, Any]
    scheme: dict[str, Any]
    spare: dict[str, Any]
    holiday: dict[str, Any]


@pytest.fixture()
def calendar_a(gql: Any, admin_a: str, schools: TwoSchools) -> Calendar:
    year = create_year(gql, admin_a, schools.a.id)
    scheme = create_scheme(gql, admin_a, year["id"])
    spare = create_scheme(gql, admin_a, year["id"], periods=HALVES, kind="HALF_YEARS")
    ok(gql.post(SET_GRADE_LEVELS, {"input": {"academicYearId": year["id"], "assignments": [
        {"gradeLevel": 5, "periodSchemeId": scheme["id"]}]}}, token=admin_a),
       "setGradeLevelSchemes")
    holiday = ok(gql.post(CREATE_HOLIDAY, {"input": {
        "academicYearId": year["id"], "name": "День народного единства",
        "startsOn": "2030-11-04", "endsOn": "2030-11-04"}}, token=admin_a),
        "createHoliday")["holiday"]
    return Calendar(year, scheme, spare, holiday)


# One call per mutation on the objects of `calendar_a`, and the input field that names them.
Operation = tuple[str, str, Callable[[Calendar, TwoSchools], dict[str, Any]], str]
OPERATIONS: list[Operation] = [
    ("createAcademicYear", CREATE_YEAR, lambda c, s: {
        "schoolId": school_gid(s.a.id), "name": unique("Год"), "startsOn": "2030-09-01",
        "endsOn": "2031-05-31"}, "input.schoolId"),
    ("updateAcademicYear", UPDATE_YEAR, lambda c, s: {
        "id": c.year["id"], "name": unique("Год")}, "input.id"),
    ("createPeriodScheme", CREATE_SCHEME, lambda c, s: {
        "academicYearId": c.year["id"], "name": unique("Схема"), "kind": "TRIMESTERS",
        "periods": HALVES}, "input.academicYearId"),
    ("updatePeriodScheme", UPDATE_SCHEME, lambda c, s: {
        "id": c.scheme["id"], "name": unique("Схема"), "periods": HALVES, "holidays": []},
     "input.id"),
    ("deletePeriodScheme", DELETE_SCHEME, lambda c, s: {"id": c.spare["id"]}, "input.id"),
    ("setGradeLevelSchemes", SET_GRADE_LEVELS, lambda c, s: {
        "academicYearId": c.year["id"],
        "assignments": [{"gradeLevel": 5, "periodSchemeId": c.spare["id"]}]},
     "input.academicYearId"),
    ("createHoliday", CREATE_HOLIDAY, lambda c, s: {
        "academicYearId": c.year["id"], "name": "Выборы", "startsOn": "2031-03-10",
        "endsOn": "2031-03-10"}, "input.academicYearId"),
    ("deleteHoliday", DELETE_HOLIDAY, lambda c, s: {"id": c.holiday["id"]}, "input.id"),
]
OPERATION_IDS = [op[0] for op in OPERATIONS]


def with_missing_target(values: dict[str, Any], field: str) -> dict[str, Any]:
    """The same input naming an object that does not exist (same type of id)."""
    key = field.removeprefix("input.")
    from strawberry import relay

    type_name = relay.GlobalID.from_id(values[key]).type_name
    return {**values, key: to_global_id(type_name, uuid.uuid4())}


# Permissions, for every mutation ----------------------------------------------------------

@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_calendar_mutation_by_non_administrator_is_forbidden_and_writes_nothing(
    gql, token_for, database, schools: TwoSchools, calendar_a: Calendar,
    operation: Operation, role: str,
) -> None:
    # given
    name, document, make, field = operation
    before = calendar_state(database, schools.a.id)
    # when
    body = gql.post(document, {"input": make(calendar_a, schools)},
                    token=token_for(schools.a.logins[role]))
    # then
    assert codes(data(body, name)) == {(field, "FORBIDDEN")}
    assert calendar_state(database, schools.a.id) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_calendar_mutation_by_officer_is_not_found_and_writes_nothing(
    gql, token_for, database, schools: TwoSchools, calendar_a: Calendar, operation: Operation,
) -> None:
    # given: the regional officer reads every school's structure but configures none
    name, document, make, field = operation
    before = calendar_state(database, schools.a.id)
    # when
    body = gql.post(document, {"input": make(calendar_a, schools)},
                    token=token_for(schools.officer_logins["region"]))
    # then
    assert codes(data(body, name)) == {(field, "NOT_FOUND")}
    assert calendar_state(database, schools.a.id) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_calendar_mutation_on_other_school_is_exactly_not_found(
    gql, database, schools: TwoSchools, admin_b: str, calendar_a: Calendar,
    operation: Operation,
) -> None:
    # given
    name, document, make, field = operation
    values = make(calendar_a, schools)
    before = calendar_state(database, schools.a.id)
    # when
    foreign = data(gql.post(document, {"input": values}, token=admin_b), name)
    missing = data(gql.post(document, {"input": with_missing_target(values, field)},
                            token=admin_b), name)
    # then
    assert codes(foreign) == {(field, "NOT_FOUND")}
    assert foreign["errors"] == missing["errors"]
    assert calendar_state(database, schools.a.id) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_calendar_mutation_without_token_is_unauthenticated(
    gql, schools: TwoSchools, calendar_a: Calendar, operation: Operation,
) -> None:
    _, document, make, _ = operation
    body = gql.post(document, {"input": make(calendar_a, schools)})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_calendar_mutation_by_administrator_succeeds(
    gql, admin_a: str, schools: TwoSchools, calendar_a: Calendar, operation: Operation,
) -> None:
    name, document, make, _ = operation
    ok(gql.post(document, {"input": make(calendar_a, schools)}, token=admin_a), name)


# Academic years ---------------------------------------------------------------------------

def test_create_academic_year_writes_year_and_audit_row(
    gql, database, admin_a: str, schools: TwoSchools,
) -> None:
    # given
    name = unique("Год")
    # when
    year = create_year(gql, admin_a, schools.a.id, name=name)
    # then
    assert (year["name"], year["startsOn"], year["endsOn"], year["status"]) == (
        name, "2030-09-01", "2031-05-31", "OPEN")
    assert audit_of(database, schools.a.id, raw_id(year["id"])) == [
        ("create", "academic_years")]


def test_create_academic_year_with_bad_input_names_every_field_and_writes_nothing(
    gql, database, admin_a: str, schools: TwoSchools,
) -> None:
    # given
    before = calendar_state(database, schools.a.id)
    # when
    payload = data(gql.post(CREATE_YEAR, {"input": {
        "schoolId": school_gid(schools.a.id), "name": "  ", "startsOn": "2031-05-31",
        "endsOn": "2030-09-01"}}, token=admin_a), "createAcademicYear")
    # then
    assert payload["academicYear"] is None
    assert codes(payload) == {("input.name", "REQUIRED"), ("input.endsOn", "INVALID")}
    assert calendar_state(database, schools.a.id) == before


def test_create_academic_year_with_taken_name_is_duplicate(
    gql, admin_a: str, admin_b: str, schools: TwoSchools,
) -> None:
    # given: names are unique per school, so school B may reuse A's
    year = create_year(gql, admin_a, schools.a.id)
    create_year(gql, admin_b, schools.b.id, name=year["name"])
    # when
    payload = data(gql.post(CREATE_YEAR, {"input": {
        "schoolId": school_gid(schools.a.id), "name": year["name"], "startsOn": "2030-09-01",
        "endsOn": "2031-05-31"}}, token=admin_a), "createAcademicYear")
    # then
    assert codes(payload) == {("input.name", "DUPLICATE")}


def test_create_academic_year_with_malformed_school_id_is_invalid(
    gql, admin_a: str,
) -> None:
    payload = data(gql.post(CREATE_YEAR, {"input": {
        "schoolId": "nonsense", "name": unique("Год"), "startsOn": "2030-09-01",
        "endsOn": "2031-05-31"}}, token=admin_a), "createAcademicYear")
    assert codes(payload) == {("input.schoolId", "INVALID")}


def test_update_academic_year_moves_dates_and_audits_before_and_after(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    year_id = calendar_a.year["id"]
    # when
    payload = ok(gql.post(UPDATE_YEAR, {"input": {"id": year_id, "endsOn": "2031-06-15"}},
                          token=admin_a), "updateAcademicYear")
    # then
    assert payload["academicYear"]["endsOn"] == "2031-06-15"
    rows = owner_sql(database, schools.a.id,
                     "SELECT action, before->>'ends_on', after->>'ends_on' FROM audit_log "
                     "WHERE entity_id = :id AND action = 'update'", id=raw_id(year_id))
    assert [tuple(r) for r in rows] == [("update", "2031-05-31", "2031-06-15")]


def test_update_academic_year_must_keep_its_periods_and_holidays(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    before = calendar_state(database, schools.a.id)
    # when: the year would lose the first days of 1 четверть and the last of 4 четверть
    payload = data(gql.post(UPDATE_YEAR, {"input": {
        "id": calendar_a.year["id"], "startsOn": "2030-09-02", "endsOn": "2031-05-30"}},
        token=admin_a), "updateAcademicYear")
    # then
    assert {("input.startsOn", "OUT_OF_RANGE"), ("input.endsOn", "OUT_OF_RANGE")} == \
        codes(payload)
    assert any("1 четверть" in e["message"] for e in payload["errors"])
    assert calendar_state(database, schools.a.id) == before


def test_update_academic_year_to_taken_name_or_reversed_dates_is_refused(
    gql, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    other = create_year(gql, admin_a, schools.a.id)
    payload = data(gql.post(UPDATE_YEAR, {"input": {
        "id": calendar_a.year["id"], "name": other["name"], "endsOn": "2030-08-01"}},
        token=admin_a), "updateAcademicYear")
    assert ("input.name", "DUPLICATE") in codes(payload)
    assert ("input.endsOn", "INVALID") in codes(payload)


def test_academic_years_lists_latest_first_with_cursors(
    gql, token_for, admin_a: str, schools: TwoSchools,
) -> None:
    # given: a school of its own sees only what the test creates... school A is shared, so
    # compare the order of the years this test creates
    early = create_year(gql, admin_a, schools.a.id, startsOn="2040-09-01", endsOn="2041-05-31")
    late = create_year(gql, admin_a, schools.a.id, startsOn="2041-09-01", endsOn="2042-05-31")
    token = token_for(schools.a.logins["student"])
    # when
    first = data(gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.a.id), "first": 1},
                          token=token), "academicYears")
    rest = data(gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.a.id),
                                          "after": first["pageInfo"]["endCursor"]},
                         token=token), "academicYears")
    # then
    ids = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    starts = [e["node"]["startsOn"] for e in first["edges"] + rest["edges"]]
    assert first["pageInfo"]["hasNextPage"]
    assert starts == sorted(starts, reverse=True)
    assert ids.index(late["id"]) < ids.index(early["id"])
    assert len(ids) == len(set(ids))


def test_academic_years_shows_schemes_grade_levels_and_holidays(
    gql, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # when
    body = gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.a.id), "first": 100},
                    token=admin_a)
    # then
    year = next(e["node"] for e in data(body, "academicYears")["edges"]
                if e["node"]["id"] == calendar_a.year["id"])
    schemes = {s["id"]: s for s in year["periodSchemes"]}
    assert [p["ordinal"] for p in schemes[calendar_a.scheme["id"]]["periods"]] == [1, 2, 3, 4]
    assert schemes[calendar_a.scheme["id"]]["gradeLevels"] == [5]
    assert schemes[calendar_a.spare["id"]]["gradeLevels"] == []
    assert year["gradeLevelSchemes"] == [
        {"gradeLevel": 5, "scheme": {"id": calendar_a.scheme["id"],
                                     "name": calendar_a.scheme["name"]}}]
    names = [(h["name"], h["scheme"]) for h in year["holidays"]]
    assert ("День народного единства", None) in names
    assert ("Осенние каникулы", {"id": calendar_a.scheme["id"]}) in names


def test_academic_years_of_other_school_is_empty(
    gql, token_for, admin_b: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # when
    body = gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.a.id)}, token=admin_b)
    # then
    assert data(body, "academicYears") == {
        "edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize("reader", ["admin", "teacher", "class_teacher", "student", "guardian",
                                    "officer"])
def test_academic_years_readable_by_members_and_officers_of_the_school(
    gql, token_for, calendar_a: Calendar, schools: TwoSchools, reader: str,
) -> None:
    login = (schools.officer_logins["muni_a"] if reader == "officer"
             else schools.a.logins[reader])
    body = gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.a.id), "first": 100},
                    token=token_for(login))
    assert calendar_a.year["id"] in [e["node"]["id"] for e in data(body, "academicYears")["edges"]]


def test_academic_years_with_malformed_school_id_is_a_bad_argument(gql, admin_a: str) -> None:
    body = gql.post(ACADEMIC_YEARS, {"schoolId": "nonsense"}, token=admin_a)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_node_hides_calendar_objects_of_other_school(
    gql, admin_a: str, admin_b: str, token_for, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    ids = [calendar_a.year["id"], calendar_a.scheme["id"], calendar_a.scheme["periods"][0]["id"],
           calendar_a.holiday["id"]]
    for global_id in ids:
        # when
        own = gql.post(NODE, {"id": global_id}, token=token_for(schools.a.logins["guardian"]))
        foreign = gql.post(NODE, {"id": global_id}, token=admin_b)
        # then
        assert data(own, "node")["id"] == global_id
        assert foreign == {"data": {"node": None}}


def test_academic_years_statement_count_does_not_grow_with_rows(
    gql, token_for, schools: TwoSchools,
) -> None:
    # given: six years of school B later than any other, each with a scheme of four periods
    # and two holidays, one grade level and a school-wide holiday
    token = token_for(schools.b.logins["admin"])
    shift = {"2030": "2060", "2031": "2061"}

    def moved(spans: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: shift.get(v[:4], v[:4]) + v[4:] if k != "name" else v
                 for k, v in span.items()} for span in spans]

    for _ in range(6):
        year = create_year(gql, token, schools.b.id, startsOn="2060-09-01",
                           endsOn="2061-05-31")
        scheme = create_scheme(gql, token, year["id"], periods=moved(QUARTERS),
                               holidays=moved([AUTUMN, WINTER]))
        ok(gql.post(SET_GRADE_LEVELS, {"input": {"academicYearId": year["id"], "assignments": [
            {"gradeLevel": 1, "periodSchemeId": scheme["id"]}]}}, token=token),
           "setGradeLevelSchemes")

    def statements(first: int) -> int:
        with count_statements() as counter:
            body = gql.post(ACADEMIC_YEARS, {"schoolId": school_gid(schools.b.id),
                                             "first": first}, token=token)
        edges = data(body, "academicYears")["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["periodSchemes"][0]["periods"]) == 4 for e in edges)
        return counter.count

    # when
    two, six = statements(2), statements(6)
    # then
    print(f"academicYears: {two} statements for 2 years, {six} for 6")
    assert two == six, (two, six)


# Period schemes ---------------------------------------------------------------------------

def test_create_period_scheme_numbers_periods_in_order_and_audits_every_row(
    gql, database, admin_a: str, schools: TwoSchools,
) -> None:
    # given
    year = create_year(gql, admin_a, schools.a.id)
    # when
    scheme = create_scheme(gql, admin_a, year["id"])
    # then
    assert [(p["ordinal"], p["name"]) for p in scheme["periods"]] == [
        (1, "1 четверть"), (2, "2 четверть"), (3, "3 четверть"), (4, "4 четверть")]
    assert all(p["closedAt"] is None and p["scheme"]["id"] == scheme["id"]
               for p in scheme["periods"])
    assert [h["name"] for h in scheme["holidays"]] == ["Осенние каникулы", "Зимние каникулы"]
    assert scheme["kind"] == "QUARTERS" and scheme["academicYear"]["id"] == year["id"]
    ids = [scheme["id"]] + [p["id"] for p in scheme["periods"]] + \
        [h["id"] for h in scheme["holidays"]]
    entities = [audit_of(database, schools.a.id, raw_id(i)) for i in ids]
    assert entities == [[("create", "period_schemes")]] + [[("create", "periods")]] * 4 + \
        [[("create", "holidays")]] * 2


def test_create_period_scheme_with_bad_periods_names_each_and_writes_nothing(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    before = calendar_state(database, schools.a.id)
    periods = [
        {"name": "1", "startsOn": "2030-08-25", "endsOn": "2030-10-27"},   # before the year
        {"name": "2", "startsOn": "2030-10-20", "endsOn": "2030-12-28"},   # overlaps 1
        {"name": "3", "startsOn": "2031-02-01", "endsOn": "2031-01-09"},   # reversed
        {"name": "4", "startsOn": "2030-12-01", "endsOn": "2031-06-30"},   # out of order, late
    ]
    holidays = [{"name": "Лето", "startsOn": "2031-05-25", "endsOn": "2031-06-10"}]
    # when
    payload = data(gql.post(CREATE_SCHEME, {"input": {
        "academicYearId": calendar_a.year["id"], "name": calendar_a.scheme["name"],
        "kind": "QUARTERS", "periods": periods, "holidays": holidays}}, token=admin_a),
        "createPeriodScheme")
    # then
    assert payload["periodScheme"] is None
    assert codes(payload) == {
        ("input.name", "DUPLICATE"),
        ("input.periods.0.startsOn", "OUT_OF_RANGE"),
        ("input.periods.1.startsOn", "OVERLAP"),
        ("input.periods.2.endsOn", "INVALID"),
        ("input.periods.3.startsOn", "INVALID"),
        ("input.periods.3.endsOn", "OUT_OF_RANGE"),
        ("input.holidays.0.endsOn", "OUT_OF_RANGE"),
    }
    overlap = next(e for e in payload["errors"] if e["code"] == "OVERLAP")
    assert "«2»" in overlap["message"] and "«1»" in overlap["message"]
    assert calendar_state(database, schools.a.id) == before


def test_create_period_scheme_without_periods_is_required(
    gql, admin_a: str, calendar_a: Calendar,
) -> None:
    payload = data(gql.post(CREATE_SCHEME, {"input": {
        "academicYearId": calendar_a.year["id"], "name": unique("Схема"), "kind": "MODULES",
        "periods": []}}, token=admin_a), "createPeriodScheme")
    assert codes(payload) == {("input.periods", "REQUIRED")}


def test_create_period_scheme_allows_holidays_inside_periods(
    gql, admin_a: str, calendar_a: Calendar,
) -> None:
    # 4 November falls inside 2 четверть of a trimester-like cut: allowed
    scheme = create_scheme(gql, admin_a, calendar_a.year["id"], periods=HALVES, holidays=[
        {"name": "4 ноября", "startsOn": "2030-11-04", "endsOn": "2030-11-04"}])
    assert [h["name"] for h in scheme["holidays"]] == ["4 ноября"]


def test_create_period_scheme_in_closed_year_is_refused(
    gql, database, admin_a: str, schools: TwoSchools,
) -> None:
    # given
    year = create_year(gql, admin_a, schools.a.id)
    owner_sql(database, schools.a.id, "UPDATE academic_years SET status = 'closed' WHERE id = :id",
              id=raw_id(year["id"]))
    # when
    payload = data(gql.post(CREATE_SCHEME, {"input": {
        "academicYearId": year["id"], "name": unique("Схема"), "kind": "QUARTERS",
        "periods": QUARTERS}}, token=admin_a), "createPeriodScheme")
    # then
    assert codes(payload) == {("input.academicYearId", "INVALID")}


def test_update_period_scheme_replaces_lists_keeping_period_ids(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    old = calendar_a.scheme
    periods = [{**QUARTERS[0], "name": "Первая"}, QUARTERS[1], QUARTERS[2]]  # 4th removed
    # when
    scheme = ok(gql.post(UPDATE_SCHEME, {"input": {
        "id": old["id"], "periods": periods, "holidays": [WINTER]}}, token=admin_a),
        "updatePeriodScheme")["periodScheme"]
    # then
    assert [p["id"] for p in scheme["periods"]] == [p["id"] for p in old["periods"][:3]]
    assert [p["name"] for p in scheme["periods"]] == ["Первая", "2 четверть", "3 четверть"]
    assert [h["name"] for h in scheme["holidays"]] == ["Зимние каникулы"]
    assert scheme["name"] == old["name"]
    assert audit_of(database, schools.a.id, raw_id(old["periods"][0]["id"]))[-1] == \
        ("update", "periods")
    assert audit_of(database, schools.a.id, raw_id(old["periods"][1]["id"])) == \
        [("create", "periods")]  # unchanged: no audit row
    assert audit_of(database, schools.a.id, raw_id(old["periods"][3]["id"]))[-1] == \
        ("delete", "periods")
    remaining = owner_sql(database, schools.a.id, "SELECT count(*) FROM periods "
                          "WHERE scheme_id = :id", id=raw_id(old["id"]))
    assert remaining[0][0] == 3


def test_update_period_scheme_refuses_changing_or_removing_a_closed_period(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given: the first and last quarters are closed
    closed = [raw_id(calendar_a.scheme["periods"][i]["id"]) for i in (0, 3)]
    for period_id in closed:
        owner_sql(database, schools.a.id, "UPDATE periods SET closed_at = now() WHERE id = :id",
                  id=period_id)
    before = calendar_state(database, schools.a.id)
    periods = [{**QUARTERS[0], "endsOn": "2030-10-20"}, QUARTERS[1], QUARTERS[2]]
    # when
    payload = data(gql.post(UPDATE_SCHEME, {"input": {
        "id": calendar_a.scheme["id"], "periods": periods}}, token=admin_a),
        "updatePeriodScheme")
    # then
    assert codes(payload) == {("input.periods.0", "INVALID"), ("input.periods", "INVALID")}
    assert calendar_state(database, schools.a.id) == before


def test_update_period_scheme_with_overlapping_periods_is_refused(
    gql, admin_a: str, calendar_a: Calendar,
) -> None:
    periods = [QUARTERS[0], {**QUARTERS[1], "startsOn": "2030-10-27"}]
    payload = data(gql.post(UPDATE_SCHEME, {"input": {
        "id": calendar_a.scheme["id"], "periods": periods, "name": calendar_a.spare["name"]}},
        token=admin_a), "updatePeriodScheme")
    assert codes(payload) == {("input.periods.1.startsOn", "OVERLAP"),
                              ("input.name", "DUPLICATE")}


def test_delete_period_scheme_in_use_is_refused_until_grade_levels_move(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given
    scheme = calendar_a.scheme
    # when
    refused = data(gql.post(DELETE_SCHEME, {"input": {"id": scheme["id"]}}, token=admin_a),
                   "deletePeriodScheme")
    ok(gql.post(SET_GRADE_LEVELS, {"input": {"academicYearId": calendar_a.year["id"],
                                             "assignments": [{"gradeLevel": 5,
                                                              "periodSchemeId": None}]}},
                token=admin_a), "setGradeLevelSchemes")
    deleted = ok(gql.post(DELETE_SCHEME, {"input": {"id": scheme["id"]}}, token=admin_a),
                 "deletePeriodScheme")
    # then
    assert codes(refused) == {("input.id", "INVALID")}
    assert "5" in refused["errors"][0]["message"]
    assert deleted["deletedPeriodSchemeId"] == scheme["id"]
    assert audit_of(database, schools.a.id, raw_id(scheme["id"]))[-1] == \
        ("delete", "period_schemes")
    assert audit_of(database, schools.a.id, raw_id(scheme["periods"][2]["id"]))[-1] == \
        ("delete", "periods")
    assert audit_of(database, schools.a.id, raw_id(scheme["holidays"][0]["id"]))[-1] == \
        ("delete", "holidays")
    left = owner_sql(database, schools.a.id, "SELECT count(*) FROM periods WHERE scheme_id = :id",
                     id=raw_id(scheme["id"]))
    assert left[0][0] == 0


# Grade levels -----------------------------------------------------------------------------

def test_set_grade_level_schemes_upserts_and_audits(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # when: 5 moves to the spare scheme, 10 and 11 get it too, others keep theirs
    year = ok(gql.post(SET_GRADE_LEVELS, {"input": {
        "academicYearId": calendar_a.year["id"], "assignments": [
            {"gradeLevel": 11, "periodSchemeId": calendar_a.spare["id"]},
            {"gradeLevel": 5, "periodSchemeId": calendar_a.spare["id"]},
            {"gradeLevel": 10, "periodSchemeId": calendar_a.spare["id"]}]}}, token=admin_a),
        "setGradeLevelSchemes")["academicYear"]
    # then
    assert [(g["gradeLevel"], g["scheme"]["id"]) for g in year["gradeLevelSchemes"]] == [
        (5, calendar_a.spare["id"]), (10, calendar_a.spare["id"]),
        (11, calendar_a.spare["id"])]
    rows = owner_sql(database, schools.a.id,
                     "SELECT a.action FROM audit_log a JOIN grade_level_schemes g "
                     "ON g.id = a.entity_id WHERE g.academic_year_id = :y ORDER BY a.seq",
                     y=raw_id(calendar_a.year["id"]))
    assert [r[0] for r in rows] == ["create", "update", "create", "create"]


def test_set_grade_level_schemes_with_bad_assignments_names_each(
    gql, database, admin_a: str, admin_b: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    # given: a scheme of another year of A, and one of school B
    other_year = create_year(gql, admin_a, schools.a.id)
    other_scheme = create_scheme(gql, admin_a, other_year["id"])
    year_b = create_year(gql, admin_b, schools.b.id)
    scheme_b = create_scheme(gql, admin_b, year_b["id"])
    before = calendar_state(database, schools.a.id)
    # when
    payload = data(gql.post(SET_GRADE_LEVELS, {"input": {
        "academicYearId": calendar_a.year["id"], "assignments": [
            {"gradeLevel": 12, "periodSchemeId": calendar_a.scheme["id"]},
            {"gradeLevel": 0, "periodSchemeId": calendar_a.scheme["id"]},
            {"gradeLevel": 3, "periodSchemeId": calendar_a.scheme["id"]},
            {"gradeLevel": 3, "periodSchemeId": calendar_a.spare["id"]},
            {"gradeLevel": 4, "periodSchemeId": other_scheme["id"]},
            {"gradeLevel": 6, "periodSchemeId": scheme_b["id"]},
            {"gradeLevel": 7, "periodSchemeId": calendar_a.year["id"]}]}}, token=admin_a),
        "setGradeLevelSchemes")
    # then
    assert codes(payload) == {
        ("input.assignments.0.gradeLevel", "OUT_OF_RANGE"),
        ("input.assignments.1.gradeLevel", "OUT_OF_RANGE"),
        ("input.assignments.3.gradeLevel", "DUPLICATE"),
        ("input.assignments.4.periodSchemeId", "NOT_FOUND"),
        ("input.assignments.5.periodSchemeId", "NOT_FOUND"),
        ("input.assignments.6.periodSchemeId", "INVALID"),
    }
    messages = {e["field"]: e["message"] for e in payload["errors"]}
    assert messages["input.assignments.4.periodSchemeId"] == \
        messages["input.assignments.5.periodSchemeId"]
    assert calendar_state(database, schools.a.id) == before


# School-wide holidays ---------------------------------------------------------------------

def test_create_holiday_is_school_wide_and_audited(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    holiday = calendar_a.holiday
    assert holiday["scheme"] is None and holiday["startsOn"] == "2030-11-04"
    assert audit_of(database, schools.a.id, raw_id(holiday["id"])) == [("create", "holidays")]


def test_create_holiday_outside_year_or_reversed_is_refused(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    before = calendar_state(database, schools.a.id)
    payload = data(gql.post(CREATE_HOLIDAY, {"input": {
        "academicYearId": calendar_a.year["id"], "name": "", "startsOn": "2030-08-20",
        "endsOn": "2030-08-10"}}, token=admin_a), "createHoliday")
    assert codes(payload) == {("input.name", "REQUIRED"), ("input.endsOn", "INVALID"),
                              ("input.startsOn", "OUT_OF_RANGE")}
    assert calendar_state(database, schools.a.id) == before


def test_delete_holiday_removes_it_and_audits(
    gql, database, admin_a: str, calendar_a: Calendar, schools: TwoSchools,
) -> None:
    holiday_id = calendar_a.holiday["id"]
    payload = ok(gql.post(DELETE_HOLIDAY, {"input": {"id": holiday_id}}, token=admin_a),
                 "deleteHoliday")
    assert payload["deletedHolidayId"] == holiday_id
    assert audit_of(database, schools.a.id, raw_id(holiday_id)) == [
        ("create", "holidays"), ("delete", "holidays")]
    assert gql.post(NODE, {"id": holiday_id}, token=admin_a) == {"data": {"node": None}}


def test_delete_holiday_of_a_scheme_is_refused(
    gql, admin_a: str, calendar_a: Calendar,
) -> None:
    payload = data(gql.post(DELETE_HOLIDAY, {"input": {
        "id": calendar_a.scheme["holidays"][0]["id"]}}, token=admin_a), "deleteHoliday")
    assert codes(payload) == {("input.id", "INVALID")}
