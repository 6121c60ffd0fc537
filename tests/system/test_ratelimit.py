"""Login rate limiting (resolvers/auth/ratelimit.py) and token expiry, through the real endpoint."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select, text

from db.engine import DatabaseUrls, owner_session
from db.models import Account, LoginAttempt
from resolvers.auth.passwords import hash_password
from resolvers.auth.tokens import issue_access_token
from tests.factories import PASSWORD, TwoSchools
from tests.server_fixture import TEST_SETTINGS, running_server

LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    tokens { accessToken }
    errors { field code message }
  }
}
"""
ME = "query Me { me { login } }"
ADDRESS_LIMIT = 3


@pytest.fixture(scope="module")
def address_limited_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    """A server with a low per-address limit; tests pick addresses with X-Forwarded-For."""
    # The test client stands in for a reverse proxy on 127.0.0.1 that names the client.
    settings = replace(TEST_SETTINGS, login_failures_per_address=ADDRESS_LIMIT,
                       trusted_proxies=("127.0.0.1/32",))
    with running_server(database, settings) as base:
        yield base


@pytest.fixture(scope="module")
def digest() -> str:
    return hash_password(PASSWORD)


def _account(database: DatabaseUrls, digest: str) -> str:
    """A fresh account of its own, so its lockout touches no other test."""
    login = f"ratelimit.{uuid.uuid4().hex[:10]}"
    with owner_session(database.owner) as s:
        s.add(Account(id=uuid.uuid4(), login=login, password_hash=digest))
    return login


def _login(base: str, login: str, password: str, *, address: str | None = None) -> dict:
    headers = {"X-Forwarded-For": address} if address else {}
    response = httpx.post(f"{base}/graphql", headers=headers, timeout=30, json={
        "query": LOGIN, "variables": {"login": login, "password": password}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def _codes(result: dict) -> list[str]:
    return [e["code"] for e in result["errors"]]


def test_login_is_locked_after_five_failures_even_with_the_right_password(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given
    login = _account(database, digest)
    for _ in range(5):
        assert _codes(_login(server_url, login, "wrong")) == ["INVALID_CREDENTIALS"]
    # when
    result = _login(server_url, login, PASSWORD)
    # then
    assert result["tokens"] is None
    [error] = result["errors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert error["field"] is None
    assert re.fullmatch(r"too many failed logins for this login: try again after "
                        r"\d\d:\d\d UTC \(in 1[45] min\)", error["message"]), error["message"]


def test_login_lockout_counts_variants_of_the_login_together(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given
    login = _account(database, digest)
    for variant in (login, login.upper(), f"  {login} ", login.title(), login):
        _login(server_url, variant, "wrong")
    # when
    result = _login(server_url, login.upper(), PASSWORD)
    # then
    assert _codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_login_of_an_unknown_account_is_limited_alike(server_url: str) -> None:
    # given: no hint whether the login exists
    login = f"nobody.{uuid.uuid4().hex[:8]}"
    for _ in range(5):
        _login(server_url, login, "wrong")
    # when
    result = _login(server_url, login, "wrong")
    # then
    assert _codes(result) == ["TOO_MANY_ATTEMPTS"]
    assert "for this login" in result["errors"][0]["message"]


def test_login_success_resets_the_account_counter(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given
    login = _account(database, digest)
    for _ in range(4):
        _login(server_url, login, "wrong")
    assert _login(server_url, login, PASSWORD)["errors"] == []
    for _ in range(4):
        _login(server_url, login, "wrong")
    # when
    result = _login(server_url, login, PASSWORD)
    # then
    assert result["errors"] == []
    assert result["tokens"]["accessToken"]


def test_login_lockout_ends_when_the_failures_leave_the_window(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given: five failures, then 16 minutes pass
    login = _account(database, digest)
    for _ in range(5):
        _login(server_url, login, "wrong")
    assert _codes(_login(server_url, login, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]
    with owner_session(database.owner) as s:
        s.execute(text("UPDATE login_attempts SET attempted_at = attempted_at - "
                       "interval '16 minutes' WHERE login = :l"), {"l": login})
    # when
    result = _login(server_url, login, PASSWORD)
    # then
    assert result["errors"] == []


def test_login_refusals_during_a_lockout_do_not_extend_it(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given
    login = _account(database, digest)
    for _ in range(5):
        _login(server_url, login, "wrong")
    # when: more tries while locked
    for _ in range(3):
        _login(server_url, login, "wrong")
    # then: only the five failures are kept, with the login and address, no password
    with owner_session(database.owner) as s:
        addresses = s.scalars(select(LoginAttempt.client_ip)
                              .where(LoginAttempt.login == login)).all()
    columns = set(LoginAttempt.__table__.columns.keys())
    assert addresses == ["127.0.0.1"] * 5
    assert columns == {"id", "login", "client_ip", "attempted_at"}


def test_login_from_one_address_is_limited_across_logins(address_limited_url: str) -> None:
    # given: failures on different logins from one address
    address = _address()
    for i in range(ADDRESS_LIMIT):
        _login(address_limited_url, f"spray.{uuid.uuid4().hex[:8]}.{i}", "wrong",
               address=address)
    # when
    blocked = _login(address_limited_url, f"spray.{uuid.uuid4().hex[:8]}", "wrong",
                     address=address)
    elsewhere = _login(address_limited_url, f"spray.{uuid.uuid4().hex[:8]}", "wrong",
                       address=_address())
    # then
    assert _codes(blocked) == ["TOO_MANY_ATTEMPTS"]
    assert "from this address" in blocked["errors"][0]["message"]
    assert _codes(elsewhere) == ["INVALID_CREDENTIALS"]


def test_login_success_does_not_reset_the_address_counter(
    address_limited_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given: an address guesses, then logs in to its own account
    address = _address()
    own = _account(database, digest)
    for _ in range(ADDRESS_LIMIT - 1):
        _login(address_limited_url, f"victim.{uuid.uuid4().hex[:8]}", "wrong", address=address)
    assert _login(address_limited_url, own, PASSWORD, address=address)["errors"] == []
    _login(address_limited_url, f"victim.{uuid.uuid4().hex[:8]}", "wrong", address=address)
    # when
    result = _login(address_limited_url, f"victim.{uuid.uuid4().hex[:8]}", "wrong",
                    address=address)
    # then
    assert _codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_login_attempts_aliased_in_one_request_are_limited(
    server_url: str, database: DatabaseUrls, digest: str
) -> None:
    # given: eight guesses in one document
    login = _account(database, digest)
    fields = " ".join(
        f'g{i}: login(input: {{login: "{login}", password: "guess{i}"}}) {{ errors {{ code }} }}'
        for i in range(8))
    # when
    response = httpx.post(f"{server_url}/graphql", json={"query": f"mutation {{ {fields} }}"},
                          timeout=30)
    # then
    data = response.json()["data"]
    codes = [data[f"g{i}"]["errors"][0]["code"] for i in range(8)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"] * 3


def test_expired_access_token_is_refused_on_the_next_request(
    gql, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    with owner_session(database.owner) as s:
        account_id = s.scalar(select(Account.id).where(
            Account.login == schools.a.logins["teacher"]))
    assert account_id is not None
    expired, _ = issue_access_token(TEST_SETTINGS.secret_key, account_id, minutes=-1)
    # when
    result = gql.post(ME, token=expired)
    # then
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
