"""Database trouble gives a clear, retryable error (HTTP 503), never a hang or a stack trace."""

from __future__ import annotations

import dataclasses
import socket
import time

import httpx
import pytest
from sqlalchemy.engine import URL

from db.engine import CONNECT_TIMEOUT_SECONDS, DatabaseUrls
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, TEST_SETTINGS, free_port, running_server

ME = {"query": "{ me { login } }"}


def over_tcp(database: DatabaseUrls, port: int) -> URL:
    """The application URL pointed at 127.0.0.1:`port` (the embedded server's URL names its
    socket folder in the query, which would win over the host)."""
    return database.app.set(host="127.0.0.1", port=port, query={})


def assert_retryable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
    assert "SELECT" not in error["message"] and "psycopg" not in error["message"]


@pytest.mark.parametrize("base_settings", [TEST_SETTINGS, PRODUCTION_SETTINGS],
                         ids=["development", "production"])
def test_a_statement_past_the_timeout_is_a_retryable_error(
    database: DatabaseUrls, schools: TwoSchools, token_for, base_settings
) -> None:
    # given a server whose statements may run for 1 ms only (a very slow database)
    settings = dataclasses.replace(base_settings, statement_timeout_ms=1)
    token = token_for(schools.a.logins["teacher"])
    with running_server(database, settings) as base:
        # when
        response = httpx.post(f"{base}/graphql", json=ME,
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
        slow = httpx.post(f"{base}/graphql", json={
            "query": "query Slow { schools(first: 1) { edges { node { name } } } }"},
            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    # then: either the access context or the resolver hit the timeout; both are retryable
    assert_retryable(response)
    assert_retryable(slow)


def test_an_unreachable_database_is_a_retryable_error_and_the_server_stays_up(
    database: DatabaseUrls, schools: TwoSchools, token_for
) -> None:
    # given a server whose application connections point at a closed port
    broken = DatabaseUrls(owner=database.owner, app=over_tcp(database, free_port()))
    settings = dataclasses.replace(TEST_SETTINGS, pool_timeout_seconds=1.0)
    token = token_for(schools.a.logins["teacher"])
    with running_server(broken, settings) as base:
        # when
        first = httpx.post(f"{base}/graphql", json=ME,
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
        second = httpx.post(f"{base}/graphql", json=ME,
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
        alive = httpx.get(f"{base}/healthz", timeout=30)
    # then
    assert_retryable(first)
    assert_retryable(second)
    assert alive.status_code == 200


def test_a_database_that_accepts_but_never_answers_is_a_retryable_error_in_bounded_time(
    database: DatabaseUrls, schools: TwoSchools, token_for
) -> None:
    # given a server whose application connections reach a port that accepts and stays silent
    # (a host going away mid-restart, a firewall dropping packets): the kernel completes the
    # handshake, nothing ever answers PostgreSQL's startup message
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        broken = DatabaseUrls(owner=database.owner,
                              app=over_tcp(database, silent.getsockname()[1]))
        token = token_for(schools.a.logins["teacher"])
        with running_server(broken, TEST_SETTINGS) as base:
            # when
            started = time.monotonic()
            response = httpx.post(f"{base}/graphql", json=ME,
                                  headers={"Authorization": f"Bearer {token}"}, timeout=60)
            elapsed = time.monotonic() - started
    # then the connect timeout ends the wait, not the client's patience
    assert_retryable(response)
    assert elapsed < CONNECT_TIMEOUT_SECONDS + 5
