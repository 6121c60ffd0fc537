"""The first GraphQL field: the schools connection, read over HTTP with a token."""

from __future__ import annotations

from tests.factories import TwoSchools

SCHOOLS = """
query Schools($first: Int, $after: String) {
  schools(first: $first, after: $after) {
    edges { cursor node { id name shortName timezone municipality { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id ... on School { name } } }
"""


def test_schools_without_token_is_unauthenticated_and_returns_no_data(gql) -> None:
    # when
    body = gql.post(SCHOOLS)
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_schools_with_forged_token_is_unauthenticated(gql) -> None:
    body = gql.post(SCHOOLS, token="eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_schools_lists_names_and_municipalities(gql, token_for, schools: TwoSchools) -> None:
    # given
    token = token_for(schools.a.logins["teacher"])
    # when
    body = gql.post(SCHOOLS, token=token)
    # then
    assert "errors" not in body
    nodes = [e["node"] for e in body["data"]["schools"]["edges"]]
    names = [n["name"] for n in nodes]
    assert names == sorted(names)
    assert {schools.a.name, schools.b.name} <= set(names)
    alpha = next(n for n in nodes if n["name"] == schools.a.name)
    assert alpha["municipality"]["name"] == "г. Альфа"
    assert alpha["timezone"] == "Asia/Yakutsk"


def test_schools_pages_with_cursors(gql, token_for, schools: TwoSchools) -> None:
    token = token_for(schools.a.logins["admin"])
    first = gql.post(SCHOOLS, {"first": 1}, token=token)["data"]["schools"]
    assert len(first["edges"]) == 1 and first["pageInfo"]["hasNextPage"]
    second = gql.post(SCHOOLS, {"first": 1, "after": first["pageInfo"]["endCursor"]},
                      token=token)["data"]["schools"]
    assert second["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]


def test_schools_page_size_above_maximum_is_refused(gql, token_for, schools: TwoSchools) -> None:
    body = gql.post(SCHOOLS, {"first": 1000}, token=token_for(schools.a.logins["admin"]))
    assert body["data"] is None
    assert "first" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_schools_with_bad_cursor_names_the_argument(gql, token_for, schools: TwoSchools) -> None:
    body = gql.post(SCHOOLS, {"after": "not-a-cursor"}, token=token_for(schools.a.logins["admin"]))
    assert "after" in body["errors"][0]["message"]


def test_node_resolves_a_school_by_global_id(gql, token_for, schools: TwoSchools) -> None:
    token = token_for(schools.b.logins["student"])
    school_id = gql.post(SCHOOLS, {"first": 1}, token=token)["data"]["schools"]["edges"][0][
        "node"]["id"]
    body = gql.post(NODE, {"id": school_id}, token=token)
    assert body["data"]["node"]["id"] == school_id


def test_healthz_answers_ok(server_url: str) -> None:
    import httpx

    assert httpx.get(f"{server_url}/healthz").json() == {"status": "ok"}
