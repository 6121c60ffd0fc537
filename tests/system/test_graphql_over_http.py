"""GraphQL over HTTP (server/media.py, server/graphql.py, server/security.py) on the real server:
`application/graphql-response+json` when the client accepts it, request errors as 4xx without
`data`, `application/json` as before, and GET refused with `Allow: POST`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from server.media import prefers_graphql_response

GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = "{ __typename }"
NODE = "query Node($id: ID!) { node(id: $id) { __typename } }"
# Each a request error: nothing executes. These the document or variables cause (200 with
# `"data": null` in application/json, as before) ...
PARSE_ERROR = {"query": "{ __typename "}
VALIDATION_ERROR = {"query": "{ noSuchField }"}
VARIABLE_COERCION_ERROR = {"query": NODE, "variables": {"id": {"not": "an id"}}}
MISSING_VARIABLE = {"query": NODE, "variables": {}}
SEVERAL_OPERATIONS = {"query": "query A { __typename } mutation B { __typename }"}
UNKNOWN_OPERATION = {"query": TYPENAME, "operationName": "Missing"}
QUERY_NOT_A_STRING = {"query": 7}
VARIABLES_NOT_A_MAP = {"query": TYPENAME, "variables": "[]"}
DOCUMENT_ERRORS = [PARSE_ERROR, VALIDATION_ERROR, VARIABLE_COERCION_ERROR, MISSING_VARIABLE]
# ... and these were refused with a 400 already, in any media type.
MALFORMED_REQUESTS = [SEVERAL_OPERATIONS, UNKNOWN_OPERATION, QUERY_NOT_A_STRING,
                      VARIABLES_NOT_A_MAP]


@pytest.fixture()
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


def _post(http: httpx.Client, body: object, accept: str | None) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    return http.post("/graphql", json=body, headers=headers)


def _media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


@pytest.mark.parametrize("accept", [
    GRAPHQL_RESPONSE,
    f"{GRAPHQL_RESPONSE}, application/json;q=0.9",  # Apollo Client and urql
    f"application/json, {GRAPHQL_RESPONSE}",
])
def test_graphql_response_json_is_the_answer_when_the_client_prefers_it(
        http: httpx.Client, accept: str) -> None:
    # when
    response = _post(http, {"query": TYPENAME}, accept)
    # then
    assert response.status_code == 200
    assert _media(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [
    None, "application/json", "*/*", "application/*",
    f"{GRAPHQL_RESPONSE};q=0.5, application/json", "text/html",
])
def test_application_json_stays_the_answer_otherwise(http: httpx.Client, accept: str | None
                                                     ) -> None:
    # when
    response = _post(http, {"query": TYPENAME}, accept)
    # then
    assert response.status_code == 200
    assert _media(response) == "application/json"


@pytest.mark.parametrize("body", DOCUMENT_ERRORS + MALFORMED_REQUESTS)
def test_request_error_is_a_400_without_data_in_graphql_response_json(
        http: httpx.Client, body: dict) -> None:
    # when
    response = _post(http, body, GRAPHQL_RESPONSE)
    # then
    assert response.status_code == 400, response.text
    assert _media(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()
    assert response.json()["errors"][0]["message"]


def test_malformed_json_is_a_400_in_graphql_response_json(http: httpx.Client) -> None:
    # when
    response = http.post("/graphql", content=b'{"query": ', headers={
        "Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE})
    # then
    assert response.status_code == 400
    assert _media(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [None, "application/json"])
@pytest.mark.parametrize("body", DOCUMENT_ERRORS)
def test_request_error_stays_a_200_with_null_data_in_application_json(
        http: httpx.Client, body: dict, accept: str | None) -> None:
    # when
    response = _post(http, body, accept)
    # then: as before the spec, for clients that only know application/json
    assert response.status_code == 200, response.text
    assert _media(response) == "application/json"
    assert response.json()["data"] is None
    assert response.json()["errors"]


@pytest.mark.parametrize("body", MALFORMED_REQUESTS)
def test_malformed_request_stays_a_400_in_application_json(http: httpx.Client, body: dict
                                                           ) -> None:
    # when
    response = _post(http, body, "application/json")
    # then
    assert response.status_code == 400
    assert _media(response) == "application/json"
    assert "data" not in response.json()


def test_field_error_is_a_200_with_data_in_graphql_response_json(http: httpx.Client) -> None:
    # when: `me` needs a viewer; the operation runs and the field fails
    response = _post(http, {"query": "{ me { __typename } }"}, GRAPHQL_RESPONSE)
    # then
    assert response.status_code == 200
    assert _media(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["path"] == ["me"]
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
def test_get_with_a_query_is_a_405_that_names_post(http: httpx.Client, accept: str | None
                                                   ) -> None:
    # when
    response = http.get("/graphql", params={"query": TYPENAME},
                        headers={"Accept": accept} if accept else {})
    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()
    assert _media(response) == (accept or "application/json")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, False), ("", False), ("*/*", False), ("application/json", False),
    (GRAPHQL_RESPONSE, True), (f"{GRAPHQL_RESPONSE};q=0", False),
    (f"{GRAPHQL_RESPONSE};q=0.9, application/json", False),
    (f"application/json;q=0.9, {GRAPHQL_RESPONSE}", True),
    (f"application/*;q=0.5, {GRAPHQL_RESPONSE};q=0.6", True),
    (f"{GRAPHQL_RESPONSE};q=abc", False),
])
def test_accept_header_decides_the_media_type(accept: str | None, expected: bool) -> None:
    assert prefers_graphql_response(accept) is expected
