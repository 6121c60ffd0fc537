"""The HTTP edge (server/security.py): headers, CSRF, batching, body size and CORS."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from db.engine import DatabaseUrls, owner_session
from db.models import LoginAttempt
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, TEST_SETTINGS, running_server

TYPENAME = "{ __typename }"
LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { tokens { accessToken } errors { code } }
}
"""


@pytest.fixture()
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def production_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database, PRODUCTION_SETTINGS) as base:
        yield base


def _error(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json()["errors"][0]


def _attempts(database: DatabaseUrls, login: str) -> int:
    with owner_session(database.owner) as s:
        return len(s.scalars(select(LoginAttempt).where(LoginAttempt.login == login)).all())


def test_graphql_response_carries_the_security_headers(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", json={"query": TYPENAME})
    # then
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_graphiql_page_gets_a_csp_of_its_own_origin_that_forbids_framing(
    http: httpx.Client,
) -> None:
    # when
    response = http.get("/graphql", headers={"Accept": "text/html"})
    # then: its assets are served here (tests/system/test_graphiql.py), so the CSP says so
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; script-src 'self';")
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_graphiql_is_not_served_in_production(production_url: str) -> None:
    # when
    response = httpx.get(f"{production_url}/graphql", headers={"Accept": "text/html"})
    # then
    assert response.status_code >= 400
    assert "graphiql" not in response.text.lower()


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain",
])
def test_post_without_a_json_content_type_is_refused_and_nothing_runs(
    http: httpx.Client, database: DatabaseUrls, content_type: str
) -> None:
    # given: a mutation a cross-site form could post (it would record a failed login)
    login = f"csrf.{content_type.split('/')[1][:9]}"
    body = f"query={LOGIN}&login={login}&password=x"
    # when
    response = http.post("/graphql", content=body.encode(),
                         headers={"Content-Type": content_type})
    # then
    assert response.status_code == 415
    assert _error(response)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in _error(response)["message"]
    assert _attempts(database, login) == 0


def test_get_with_a_query_is_refused(http: httpx.Client) -> None:
    # when
    query = http.get("/graphql", params={"query": TYPENAME})
    mutation = http.get("/graphql", params={"query": LOGIN, "variables":
                                            '{"login": "get.login", "password": "x"}'})
    # then
    for response in (query, mutation):
        assert response.status_code == 405
        assert _error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_batched_request_is_refused_with_a_clear_400(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", json=[{"query": TYPENAME}, {"query": TYPENAME}])
    # then
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "batching is disabled" in error["message"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_malformed_json_is_a_json_400(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", content=b'{"query": ',
                         headers={"Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert "JSON" in _error(response)["message"]


def test_body_over_the_limit_is_refused_with_413(http: httpx.Client) -> None:
    # given: a syntactically fine body just over the limit
    padding = "x" * PRODUCTION_SETTINGS.max_body_bytes
    # when
    response = http.post("/graphql", json={"query": TYPENAME, "variables": {"p": padding}})
    # then
    assert response.status_code == 413
    assert _error(response)["extensions"]["code"] == "BODY_TOO_LARGE"
    assert f"{PRODUCTION_SETTINGS.max_body_bytes} bytes" in _error(response)["message"]


def test_chunked_body_over_the_limit_is_refused_with_413(http: httpx.Client) -> None:
    # given: no Content-Length, so the limit is enforced while reading
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"p": "'
        for _ in range(TEST_SETTINGS.max_body_bytes // 64_000 + 2):
            yield b"x" * 64_000
        yield b'"}}'

    # when
    response = http.post("/graphql", content=chunks(),
                         headers={"Content-Type": "application/json"})
    # then
    assert response.status_code == 413
    assert _error(response)["extensions"]["code"] == "BODY_TOO_LARGE"


def test_body_under_the_limit_is_served(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", json={"query": TYPENAME, "variables": {"p": "x" * 500_000}})
    # then
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


def test_cors_allows_no_origin_by_default(http: httpx.Client) -> None:
    # when
    simple = http.post("/graphql", json={"query": TYPENAME},
                       headers={"Origin": "https://evil.example"})
    preflight = http.options("/graphql", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    # then
    assert "access-control-allow-origin" not in simple.headers
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_a_configured_origin_and_only_it(production_url: str) -> None:
    # given
    allowed = "https://school.example"
    with httpx.Client(base_url=production_url) as client:
        # when
        preflight = client.options("/graphql", headers={
            "Origin": allowed, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        simple = client.post("/graphql", json={"query": TYPENAME}, headers={"Origin": allowed})
        other = client.post("/graphql", json={"query": TYPENAME},
                            headers={"Origin": "https://evil.example"})
    # then
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert simple.headers["access-control-allow-origin"] == allowed
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


def test_body_that_is_not_utf8_is_a_json_400(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", content=b'{"query": "{ __typename \xff\xfe }"}',
                         headers={"Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert "Unable to parse request body as JSON" in _error(response)["message"]


def test_json_nested_past_the_recursion_limit_is_a_json_400(http: httpx.Client) -> None:
    # given
    depth = 100_000
    body = '{"query": "{ __typename }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"
    # when
    response = http.post("/graphql", content=body.encode(),
                         headers={"Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert "RecursionError" not in response.text and "Traceback" not in response.text
