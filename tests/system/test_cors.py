"""CORS over the real HTTP server (server/security.py, server/settings.py): local dev servers in
development, ZHURNAL_CORS_ORIGINS only in production, and the headers browser clients send."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from db.engine import DatabaseUrls
from server.settings import ServerSettings
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, running_server

TYPENAME = "{ __typename }"
# What Apollo Client, urql and Sentry/OpenTelemetry tracing add to a request.
CLIENT_HEADERS = ("authorization, content-type, apollographql-client-name, "
                  "apollographql-client-version, apollo-require-preflight, sentry-trace, "
                  "baggage, traceparent")
LOCAL_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"]
FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost.evil.example",
    "http://localhost:5173.evil.example",
    "http://127.0.0.1.nip.io:5173",
    "http://evil.example/http://localhost:5173",
    "null",
]


@pytest.fixture(scope="module")
def production_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database, PRODUCTION_SETTINGS) as base:
        yield base


def _preflight(client: httpx.Client, origin: str) -> httpx.Response:
    return client.options("/graphql", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": CLIENT_HEADERS})


def _post(client: httpx.Client, origin: str) -> httpx.Response:
    return client.post("/graphql", json={"query": TYPENAME}, headers={
        "Origin": origin, "apollographql-client-name": "web", "traceparent":
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
def test_preflight_and_request_from_a_local_dev_server_pass_in_development(
        server_url: str, origin: str) -> None:
    # given: the suite's server runs outside production
    with httpx.Client(base_url=server_url, timeout=30) as client:
        # when
        preflight = _preflight(client, origin)
        actual = _post(client, origin)
    # then
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in CLIENT_HEADERS.split(", "):
        assert header in allowed
    assert actual.status_code == 200
    assert actual.json()["data"] == {"__typename": "Query"}
    assert actual.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in actual.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_other_origins_get_no_cors_headers_in_development(server_url: str, origin: str
                                                          ) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        # when
        preflight = _preflight(client, origin)
        actual = _post(client, origin)
    # then
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in actual.headers


@pytest.mark.parametrize("origin", LOCAL_ORIGINS)
def test_production_refuses_local_origins(production_url: str, origin: str) -> None:
    with httpx.Client(base_url=production_url, timeout=30) as client:
        # when
        preflight = _preflight(client, origin)
        actual = _post(client, origin)
    # then
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in actual.headers


def test_production_lets_client_headers_through_for_a_configured_origin(
        production_url: str) -> None:
    # given
    origin = PRODUCTION_SETTINGS.cors_origins[0]
    with httpx.Client(base_url=production_url, timeout=30) as client:
        # when
        preflight = _preflight(client, origin)
        actual = _post(client, origin)
    # then
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in CLIENT_HEADERS.split(", "):
        assert header in allowed
    assert actual.headers["access-control-allow-origin"] == origin


def test_unknown_request_header_fails_the_preflight(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        # when
        preflight = client.options("/graphql", headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-made-up"})
    # then
    assert preflight.status_code == 400


@pytest.mark.parametrize(("environment", "local_allowed"),
                         [("development", True), ("production", False)])
def test_environment_decides_whether_local_origins_are_allowed(
        monkeypatch: pytest.MonkeyPatch, environment: str, local_allowed: bool) -> None:
    # given
    monkeypatch.setenv("ZHURNAL_ENV", environment)
    monkeypatch.setenv("ZHURNAL_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("ZHURNAL_CORS_ORIGINS", "https://journal.example.ru")
    # when
    settings = ServerSettings.from_env()
    # then
    assert settings.cors_origins == ("https://journal.example.ru",)
    assert (settings.cors_origin_regex is not None) is local_allowed
