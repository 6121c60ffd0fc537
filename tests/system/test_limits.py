"""Query limits (server/limits.py) and production error messages, through the real endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from graphql import build_schema, get_introspection_query, parse, validate

from db.engine import DatabaseUrls
from server.limits import LIST_ESTIMATE, MAX_ALIASES, MAX_COST, cost_rule, estimate_cost
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, running_server

VIEWER = "query Me { me { login } }"
# people × children × children × guardians: 100 × 20 × 20 × 20 persons.
EXPENSIVE = """
query Expensive($schoolId: ID!) {
  people(schoolId: $schoolId, first: 100) { edges { node {
    children { children { guardians { person { lastName firstName } relation } } }
  } } }
}
"""
SCHOOLS = "query Schools { schools(first: 5) { edges { node { id name } } } }"
TOO_DEEP = "query Deep { me { " + "children { " * 12 + "id" + " }" * 12 + " } }"
TYPO = "query Typo { schoolz { edges { node { id } } } }"

SDL = """
type Query { schools(first: Int): SchoolConnection! tags: [String!]! }
type SchoolConnection { edges: [SchoolEdge!]! pageInfo: PageInfo! }
type SchoolEdge { cursor: String! node: School! }
type PageInfo { hasNextPage: Boolean! }
type School { id: ID! classes(first: Int): ClassConnection! rooms: [Room!]! }
type ClassConnection { edges: [ClassEdge!]! }
type ClassEdge { node: Class! }
type Class { id: ID! students(first: Int): StudentConnection! }
type StudentConnection { edges: [StudentEdge!]! }
type StudentEdge { node: Student! }
type Student { id: ID! name: String! }
type Room { id: ID! }
"""
THREE_LEVELS = """
{ schools(first: 100) { edges { node {
    classes(first: 100) { edges { node {
      students(first: 100) { edges { node { id name } } } } } } } } } }
"""


@pytest.fixture(scope="module")
def production_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database, PRODUCTION_SETTINGS) as base:
        yield base


def _post(base: str, query: str, variables: dict | None = None, token: str | None = None
          ) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                          headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _cost(document: str) -> int:
    schema = build_schema(SDL)
    doc = parse(document)
    operation = doc.definitions[0]
    return estimate_cost(schema, operation, {})  # type: ignore[arg-type]


def test_cost_multiplies_each_connection_by_its_first() -> None:
    # when
    cost = _cost(THREE_LEVELS)
    # then: 1 + 100 × (edges + node + classes + 100 × (… + 100 × (edges + node + id + name)))
    assert cost > 100 ** 3
    assert _cost("{ schools(first: 10) { edges { node { id } } } }") == 1 + 10 * 3


def test_cost_counts_a_variable_as_the_maximum_and_a_missing_first_as_the_default() -> None:
    # when
    variable = _cost("query($n: Int) { schools(first: $n) { edges { node { id } } } }")
    missing = _cost("{ schools { edges { node { id } } } }")
    # then
    assert variable == 1 + 100 * 3
    assert missing == 1 + 50 * 3


def test_cost_multiplies_plain_lists_by_the_fixed_estimate() -> None:
    assert _cost("{ schools(first: 1) { edges { node { rooms { id } } } } }") == (
        1 + 1 * (1 + 1 + (1 + LIST_ESTIMATE * 1)))


def test_cost_rule_refuses_three_nested_full_pages_naming_limit_and_estimate() -> None:
    # when
    errors = validate(build_schema(SDL), parse(THREE_LEVELS), [cost_rule(MAX_COST)])
    # then
    assert len(errors) == 1
    assert f"the limit is {MAX_COST}" in errors[0].message
    assert f"estimated cost is {_cost(THREE_LEVELS)}" in errors[0].message
    assert errors[0].extensions == {"code": "QUERY_TOO_EXPENSIVE",
                                    "cost": _cost(THREE_LEVELS), "limit": MAX_COST}


def test_cost_rule_accepts_two_nested_pages() -> None:
    # given
    two = ("{ schools(first: 100) { edges { node {"
           " classes(first: 100) { edges { node { id } } } } } } }")
    # when
    errors = validate(build_schema(SDL), parse(two), [cost_rule(MAX_COST)])
    # then
    assert errors == []


def test_expensive_query_is_refused_before_it_runs(gql, token_for, schools: TwoSchools) -> None:
    # when
    result = gql.post(EXPENSIVE, {"schoolId": "x"}, token=token_for(schools.a.logins["admin"]))
    # then
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
    assert error["extensions"]["cost"] > MAX_COST
    assert f"the limit is {MAX_COST}" in error["message"]
    assert "'Expensive' is too expensive" in error["message"]


def test_ordinary_queries_pass_the_limits(gql, token_for, schools: TwoSchools) -> None:
    # when
    result = gql.post(SCHOOLS, token=token_for(schools.a.logins["admin"]))
    # then
    assert "errors" not in result
    assert result["data"]["schools"]["edges"]


def test_graphiql_introspection_passes_the_limits_in_development(gql) -> None:
    # when
    result = gql.post(get_introspection_query(descriptions=True))
    # then
    assert "errors" not in result
    assert result["data"]["__schema"]["queryType"]["name"] == "Query"


def test_too_deep_query_is_refused(gql, token_for, schools: TwoSchools) -> None:
    # when
    result = gql.post(TOO_DEEP, token=token_for(schools.a.logins["guardian"]))
    # then
    assert result["data"] is None
    assert "'Deep' exceeds maximum operation depth of 12" in result["errors"][0]["message"]


def test_too_many_aliases_are_refused(gql) -> None:
    # given
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }"
    # when
    result = gql.post(query)
    # then
    assert result["errors"][0]["message"] == (
        f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}")


def test_too_many_tokens_are_refused(gql) -> None:
    # given: 5,001 tokens of harmless fields
    query = "{ " + "__typename " * 5_000 + "}"
    # when
    result = gql.post(query)
    # then
    assert result["data"] is None
    assert "Document contains more than 5000 tokens" in result["errors"][0]["message"]


def test_page_size_over_the_maximum_is_refused(gql, token_for, schools: TwoSchools) -> None:
    # when
    result = gql.post("{ schools(first: 101) { edges { node { id } } } }",
                      token=token_for(schools.a.logins["admin"]))
    # then
    assert "argument 'first' must be between 0 and 100" in result["errors"][0]["message"]


def test_introspection_is_refused_in_production(production_url: str) -> None:
    # when
    result = _post(production_url, get_introspection_query())
    # then
    assert result["data"] is None
    assert "introspection has been disabled" in result["errors"][0]["message"]


def test_field_suggestions_appear_in_development_only(gql, production_url: str) -> None:
    # when
    development = gql.post(TYPO)
    production = _post(production_url, TYPO)
    # then
    assert "Did you mean 'schools'?" in development["errors"][0]["message"]
    message = production["errors"][0]["message"]
    assert message == "Cannot query field 'schoolz' on type 'Query'."


def test_argument_suggestions_are_stripped_in_production(production_url: str) -> None:
    # when
    result = _post(production_url, "{ schools(frist: 1) { edges { node { id } } } }")
    # then
    message = result["errors"][0]["message"]
    assert "frist" in message
    assert "Did you mean" not in message


def test_unexpected_error_is_masked_in_production_with_the_request_id(
    production_url: str, token_for, schools: TwoSchools, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a resolver fails with internals in its message (the server runs in this process)
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("password=hunter2 at /srv/zhurnal/resolvers/schools.py")

    monkeypatch.setattr("schema.schools.paginate", broken)
    # when
    response = httpx.post(f"{production_url}/graphql", json={"query": SCHOOLS}, timeout=30,
                          headers={"Authorization":
                                   f"Bearer {token_for(schools.a.logins['admin'])}"})
    # then
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert "hunter2" not in response.text and "/srv/" not in response.text
    assert error["message"] == f"internal error: quote request id {request_id} to the operator"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}


def test_intended_errors_are_not_masked_in_production(production_url: str) -> None:
    # when
    result = _post(production_url, SCHOOLS)
    # then
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "authentication required" in result["errors"][0]["message"]


def test_errors_are_not_masked_in_development(
    gql, token_for, schools: TwoSchools, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a development failure")

    monkeypatch.setattr("schema.schools.paginate", broken)
    # when
    result = gql.post(SCHOOLS, token=token_for(schools.a.logins["admin"]))
    # then
    assert result["errors"][0]["message"] == "a development failure"
