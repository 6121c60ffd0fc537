"""Hostile values in arguments, found by an attack run over HTTP: text with a NUL character,
forged cursors and DateTimes without a time zone each get a clear error that names the
argument, never a driver error quoting SQL nor a Python error.

The NUL and DateTime sweeps are generated from introspection: every String (or DateTime)
slot of every root field's arguments, inputs included, so a new field is covered by itself.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
)

from db.engine import DatabaseUrls
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.journal_factory import make_journal_group
from tests.system.test_attack_suite import client_schema

ISSUE_TOKEN = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { apiToken { id } secret errors { field code message } }
}
"""
AUDIT_LOG = """
query Log($school: ID!, $from: DateTime) {
  auditLog(schoolId: $school, from: $from) { edges { node { id } } }
}
"""
PEOPLE = """
query People($school: ID!, $search: String, $after: String) {
  people(schoolId: $school, search: $search, first: 1, after: $after) {
    edges { node { id } } pageInfo { endCursor }
  }
}
"""
HISTORY = """
query History($school: ID!, $entityId: ID!) {
  history(schoolId: $school, entityId: $entityId) { edges { node { id } } }
}
"""
NUL_TEXT = "a\x00b"
NAIVE = "2030-01-01T00:00:00"
# What the driver and Python say; an answer must never carry them.
INTERNALS = ("psycopg", "SELECT", "0x00", "NUL (0x00)", "can't compare", "offset-naive",
             "Traceback", "INTERNAL_SERVER_ERROR")


@pytest.fixture()
def admin_a(token_for: Any, schools: TwoSchools) -> str:
    return str(token_for(schools.a.logins["admin"]))


@pytest.fixture(scope="module")
def served_schema(gql: Any, token_for: Any, schools: TwoSchools) -> GraphQLSchema:
    return client_schema(gql, token_for(schools.a.logins["admin"]))


def school_a(schools: TwoSchools) -> str:
    return to_global_id("School", schools.a.id)


def no_internals(body: dict[str, Any]) -> None:
    text = json.dumps(body, ensure_ascii=False)
    assert not [s for s in INTERNALS if s in text], text[:600]


# --- generating a call per slot -------------------------------------------------------------

@dataclass
class Slot:
    operation: str
    field: str
    path: str  # e.g. `input.name` or `search`
    document: str
    variables: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.operation} {self.field}({self.path})"


def _dummy(t: GraphQLInputType) -> Any:
    """A value that passes coercion; the call is refused before any resolver reads it."""
    if isinstance(t, GraphQLNonNull):
        return _dummy(t.of_type)
    if isinstance(t, GraphQLList):
        return [_dummy(t.of_type)]
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        return {name: _dummy(f.type) for name, f in t.fields.items()
                if is_required_input_field(f)}
    assert isinstance(t, GraphQLScalarType)
    return {"ID": "x", "String": "x", "Int": 1, "Float": 1.0, "Boolean": False,
            "Date": "2015-09-01", "DateTime": "2015-09-01T08:00:00+09:00", "Time": "08:00:00",
            "JSON": {}}[t.name]


def _slots(t: GraphQLInputType, scalar: str, seen: frozenset[str] = frozenset()
           ) -> Iterator[tuple[list[str | int], Any]]:
    """(path below the argument, value of the argument with `scalar` at that path)."""
    nullable = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(nullable, GraphQLList):
        for path, value in _slots(nullable.of_type, scalar, seen):
            yield [0, *path], [value]
    elif isinstance(nullable, GraphQLInputObjectType) and nullable.name not in seen:
        base = _dummy(nullable)
        for name, f in nullable.fields.items():
            for path, value in _slots(f.type, scalar, seen | {nullable.name}):
                yield [name, *path], {**base, name: value}
    elif isinstance(nullable, GraphQLScalarType) and nullable.name == scalar:
        yield [], NUL_TEXT if scalar == "String" else NAIVE


def _type_ref(t: GraphQLInputType) -> str:
    if isinstance(t, GraphQLNonNull):
        return f"{_type_ref(t.of_type)}!"
    if isinstance(t, GraphQLList):
        return f"[{_type_ref(t.of_type)}]"
    return get_named_type(t).name


def _selection(f: GraphQLField) -> str:
    if is_leaf_type(get_named_type(f.type)):
        return ""
    named = get_named_type(f.type)
    if isinstance(named, GraphQLObjectType) and "errors" in named.fields:
        return " { __typename errors { field code message } }"
    return " { __typename }"


def slots(schema: GraphQLSchema, scalar: str) -> list[Slot]:
    found = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, f in root.fields.items():
            for arg_name, arg in f.args.items():
                for path, value in _slots(arg.type, scalar):
                    variables = {a: _dummy(x.type) for a, x in f.args.items()
                                 if is_required_argument(x)}
                    variables[arg_name] = value
                    header = ", ".join(f"${a}: {_type_ref(f.args[a].type)}" for a in variables)
                    args = ", ".join(f"{a}: ${a}" for a in variables)
                    found.append(Slot(
                        operation, name, ".".join(str(p) for p in [arg_name, *path]),
                        f"{operation} Probe({header}) {{ {name}({args}){_selection(f)} }}",
                        variables))
    return found


# --- NUL characters ------------------------------------------------------------------------

def names_slot_in_payload(body: dict[str, Any], probe: Slot) -> bool:
    errors = ((body.get("data") or {}).get(probe.field) or {}).get("errors") or []
    return [(e["field"], e["code"]) for e in errors] == [(probe.path, "INVALID")]


def names_slot_in_error(body: dict[str, Any], probe: Slot) -> bool:
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) \
        and errors[0].get("extensions", {}).get("code") == "BAD_USER_INPUT" \
        and probe.path in errors[0]["message"]


def test_nul_in_every_string_argument_of_every_root_field_is_refused_by_name(
    gql: Any, admin_a: str, served_schema: GraphQLSchema
) -> None:
    # given every String slot of every root field's arguments, inputs included
    probes = slots(served_schema, "String")
    assert len({p.field for p in probes}) > 20, [p.label for p in probes]
    failures = []
    for probe in probes:
        # when it holds a NUL
        response = gql.http.post("/graphql", json={"query": probe.document,
                                                   "variables": probe.variables},
                                 headers={"Authorization": f"Bearer {admin_a}"})
        body = response.json()
        # then: refused naming the slot (a mutation in its payload, as any bad input; a query
        # before execution), with nothing internal said
        text = json.dumps(body, ensure_ascii=False)
        if response.status_code >= 500 or any(s in text for s in INTERNALS) \
                or not (names_slot_in_payload(body, probe) if probe.operation == "mutation"
                        else names_slot_in_error(body, probe)):
            failures.append(f"{probe.label}: {response.status_code} {text[:300]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(("query", "variables", "argument"), [
    ('{ schools(first: 1, after: "a\\u0000") { edges { cursor } } }', {}, "after"),
    ("query Q($s: ID!) { auditLog(schoolId: $s, entity: \"marks\\u0000\") { edges { cursor } } }",
     {"s": "school"}, "entity"),
])
def test_nul_in_a_literal_argument_is_refused_by_name(
    gql: Any, admin_a: str, schools: TwoSchools, query: str, variables: dict[str, str],
    argument: str
) -> None:
    # given a NUL written in the document itself, not in a variable
    variables = {k: school_a(schools) for k in variables}
    # when
    body = gql.post(query, variables, token=admin_a)
    # then
    no_internals(body)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert f"'{argument}'" in body["errors"][0]["message"]


def test_create_subject_nul_in_a_literal_is_a_field_error(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # when
    body = gql.post('mutation M($s: ID!) { createSubject(input: {schoolId: $s, name: '
                    '"Нуль\\u0000", shortName: "Н"}) { subject { id } errors { field code } } }',
                    {"s": school_a(schools)}, token=admin_a)
    # then
    no_internals(body)
    assert body["data"]["createSubject"] == {"subject": None, "errors": [
        {"field": "input.name", "code": "INVALID"}]}


def test_nul_in_people_search_is_refused_by_name(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # when
    body = gql.post(PEOPLE, {"school": school_a(schools), "search": "Ив\x00"}, token=admin_a)
    # then
    no_internals(body)
    assert body["data"] is None
    assert "'search'" in body["errors"][0]["message"], body


# --- forged cursors ---------------------------------------------------------------------------

def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize("cursor", [
    _cursor(["Иванов", "Иван", "not-a-uuid"]),  # a value the key's type cannot hold
    _cursor(["Иванов", "Иван\x00", str(uuid.uuid4())]),  # NUL inside the cursor's JSON
    _cursor([1, 2, 3]),  # not strings
    _cursor(["a", "b"]),  # the wrong width
    "!!!not base64!!!",
])
def test_forged_people_cursor_is_refused_as_after(
    gql: Any, admin_a: str, schools: TwoSchools, cursor: str
) -> None:
    # when
    body = gql.post(PEOPLE, {"school": school_a(schools), "after": cursor}, token=admin_a)
    # then
    no_internals(body)
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}, body
    assert "cursor" in error["message"]


def test_forged_audit_cursor_beyond_bigint_is_refused_as_after(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # given a cursor whose sequence number no bigint holds
    cursor = _cursor([str(2 ** 70)])
    # when
    body = gql.post("query Q($s: ID!, $a: String) { auditLog(schoolId: $s, after: $a) "
                    "{ edges { cursor } } }", {"s": school_a(schools), "a": cursor},
                    token=admin_a)
    # then
    no_internals(body)
    assert body["errors"][0]["extensions"]["argument"] == "after", body


def test_issued_cursor_still_pages(gql: Any, admin_a: str, schools: TwoSchools) -> None:
    # given the first page of people
    first = gql.post(PEOPLE, {"school": school_a(schools)}, token=admin_a)
    cursor = first["data"]["people"]["pageInfo"]["endCursor"]
    # when
    second = gql.post(PEOPLE, {"school": school_a(schools), "after": cursor}, token=admin_a)
    # then
    assert "errors" not in second, second
    assert second["data"]["people"]["edges"][0] != first["data"]["people"]["edges"][0]


# --- DateTimes without a time zone ----------------------------------------------------------

def test_issue_api_token_naive_expires_at_is_a_field_error(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # when
    body = gql.post(ISSUE_TOKEN, {"input": {
        "name": "naive", "scopes": ["READ"], "schoolId": school_a(schools),
        "expiresAt": NAIVE}}, token=admin_a)
    # then
    no_internals(body)
    payload = body["data"]["issueApiToken"]
    assert payload["apiToken"] is None and payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.expiresAt",
                                                                      "INVALID")]
    assert "time zone" in payload["errors"][0]["message"]


def test_issue_api_token_expires_at_with_an_offset_is_accepted(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # when
    body = gql.post(ISSUE_TOKEN, {"input": {
        "name": "aware", "scopes": ["READ"], "schoolId": school_a(schools),
        "expiresAt": "2030-01-01T00:00:00+09:00"}}, token=admin_a)
    # then
    assert body["data"]["issueApiToken"]["errors"] == [], body


def test_naive_datetime_in_every_mutation_input_is_a_field_error(
    gql: Any, admin_a: str, served_schema: GraphQLSchema
) -> None:
    # given every DateTime slot of every mutation's input
    probes = [p for p in slots(served_schema, "DateTime") if p.operation == "mutation"]
    assert {p.field for p in probes} >= {"issueApiToken", "setMarks"}, [p.label for p in probes]
    failures = []
    for probe in probes:
        # when it has no time zone
        body = gql.post(probe.document, probe.variables, token=admin_a)
        # then: the payload names the field, and nothing internal is said
        if not names_slot_in_payload(body, probe) \
                or any(s in json.dumps(body) for s in INTERNALS):
            failures.append(f"{probe.label}: {json.dumps(body, ensure_ascii=False)[:300]}")
    assert failures == [], "\n".join(failures)


def test_audit_log_naive_from_is_refused_by_name(
    gql: Any, admin_a: str, schools: TwoSchools
) -> None:
    # when
    body = gql.post(AUDIT_LOG, {"school": school_a(schools), "from": NAIVE}, token=admin_a)
    # then
    no_internals(body)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "from"}
    assert "time zone" in body["errors"][0]["message"]


# --- existence through history -----------------------------------------------------------------

def test_history_of_a_mark_one_may_not_read_answers_as_for_an_unknown_id(
    gql: Any, token_for: Any, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given a mark of school A given by a teacher, and a teacher of another group of school A
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    marked = gql.post("""
        mutation SetMarks($input: SetMarksInput!) {
          setMarks(input: $input) { marks { id } errors { field code message } }
        }""", {"input": {
        "lessonId": to_global_id("Lesson", jg.lesson_ids[0]), "marks": [{
            "studentId": to_global_id("Person", jg.students[0]), "value": "5",
            "workTypeId": to_global_id("WorkType", jg.setup.work_type_ids["classwork"])}]}},
        token=token_for(jg.teacher_login))["data"]["setMarks"]
    assert marked["errors"] == [], marked
    mark_id = marked["marks"][0]["id"]
    outsider = token_for(other.teacher_login)
    # when the outsider asks for its history and for an id that names nothing
    answers = [gql.post(HISTORY, {"school": school_a(schools), "entityId": entity},
                        token=outsider)
               for entity in (mark_id, to_global_id("Mark", uuid.uuid4()))]
    # then: the same empty answer, so existence is not told
    assert answers[0] == answers[1], answers
    assert answers[0]["data"]["history"]["edges"] == []
