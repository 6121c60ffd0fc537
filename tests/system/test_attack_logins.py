"""Attacks on the login path: variants of a login, and forged client addresses.

Found by an attack run: the rate limit keyed on Python's lower(), the lookup on PostgreSQL's,
so `s11.admİn` reached `s11.admin` with a failure counter of its own; and X-Forwarded-For was
believed from any local client, which could name a new address for every guess.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, libpq_dsn, owner_session, resolve_urls
from db.logins import normalize_login
from db.models import Account
from resolvers.auth.passwords import hash_password
from resolvers.auth.ratelimit import login_key
from server.settings import ServerSettings
from tests.factories import PASSWORD, TwoSchools
from tests.migrating import upgrade

LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    tokens { accessToken }
    errors { field code message }
  }
}
"""


@pytest.fixture(scope="module")
def digest() -> str:
    return hash_password(PASSWORD)


def _account(database: DatabaseUrls, digest: str) -> str:
    login = f"s11.admin{uuid.uuid4().hex[:8]}"
    with owner_session(database.owner) as s:
        s.add(Account(id=uuid.uuid4(), login=login, password_hash=digest))
    return login


def _login(base: str, login: str, password: str, headers: dict[str, str] | None = None
           ) -> dict:
    response = httpx.post(f"{base}/graphql", headers=headers or {}, timeout=30, json={
        "query": LOGIN, "variables": {"login": login, "password": password}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]


def _codes(result: dict) -> list[str]:
    return [e["code"] for e in result["errors"]]


def _full_width(login: str) -> str:
    """The same login typed in full-width capitals (NFKC maps them to ASCII)."""
    return "".join(chr(ord(c) - 0x20 + 0xFF00) if "a" <= c <= "z" else c for c in login)


@pytest.mark.parametrize(("typed", "stored"), [
    ("  Ivanov.I ", "ivanov.i"),
    ("ＩＶＡＮＯＶ", "ivanov"),           # full-width
    ("\u212aate", "kate"),               # Kelvin sign
    ("straße", "strasse"),               # case folding, not lower()
    ("s11.admİn", "s11.admi\u0307n"),    # İ folds to i + combining dot, not to i
])
def test_normalize_login_folds_compatibility_forms_and_case(typed: str, stored: str) -> None:
    assert normalize_login(typed) == stored
    assert normalize_login(stored) == stored
    assert login_key(typed) == stored


def test_login_with_dotted_capital_i_does_not_reach_the_plain_login(
    server_url: str, database: DatabaseUrls, digest: str, schools: TwoSchools
) -> None:
    # given
    login = _account(database, digest)
    variant = login.replace("admin", "admİn")
    # when
    result = _login(server_url, variant, PASSWORD)
    # then: a different login (by the one normalisation), so no tokens
    assert result["tokens"] is None
    assert _codes(result) == ["INVALID_CREDENTIALS"]


def test_variants_of_a_login_share_its_failure_counter(
    server_url: str, database: DatabaseUrls, digest: str, schools: TwoSchools
) -> None:
    # given: five failures typed in full-width capitals
    login = _account(database, digest)
    for _ in range(5):
        assert _codes(_login(server_url, _full_width(login), "wrong")) == [
            "INVALID_CREDENTIALS"]
    # when
    result = _login(server_url, login, PASSWORD)
    # then
    assert _codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_a_variant_of_a_login_logs_in_to_that_account(
    server_url: str, database: DatabaseUrls, digest: str, schools: TwoSchools
) -> None:
    login = _account(database, digest)
    result = _login(server_url, _full_width(login), PASSWORD)
    assert result["errors"] == [] and result["tokens"]["accessToken"]


def test_forwarded_for_from_an_untrusted_client_is_ignored(
    server_url: str, database: DatabaseUrls, digest: str, schools: TwoSchools
) -> None:
    # given: the test server trusts no proxy (the default)
    login = _account(database, digest)
    # when: a local client names another address for its failure
    _login(server_url, login, "wrong", headers={"X-Forwarded-For": "203.0.113.7"})
    # then: the failure counts against the address the request came from
    with owner_session(database.owner) as s:
        addresses = s.scalars(text("SELECT client_ip FROM login_attempts WHERE login = :l"),
                              {"l": login}).all()
    assert addresses == ["127.0.0.1"]


def test_trusted_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("ZHURNAL_TRUSTED_PROXIES", " 10.0.0.5, 192.168.0.0/24 ,::1")
    assert ServerSettings.from_env().trusted_proxies == (
        "10.0.0.5/32", "192.168.0.0/24", "::1/128")
    monkeypatch.delenv("ZHURNAL_TRUSTED_PROXIES")
    assert ServerSettings.from_env().trusted_proxies == ()


def test_a_trusted_proxy_that_is_not_an_address_stops_start_up(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHURNAL_TRUSTED_PROXIES", "10.0.0.5,*")
    with pytest.raises(RuntimeError, match="ZHURNAL_TRUSTED_PROXIES: «\\*»"):
        ServerSettings.from_env()


@pytest.fixture()
def database_at_0008() -> Iterator[DatabaseUrls]:
    base = resolve_urls()
    name = f"zhurnal_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq_dsn(base.owner.set(database="postgres")), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    urls = DatabaseUrls(owner=base.owner.set(database=name), app=base.app.set(database=name))
    upgrade(urls.owner, "0008")
    yield urls
    from db.engine import owner_engine

    owner_engine(urls.owner).dispose()
    with psycopg.connect(libpq_dsn(base.owner.set(database="postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_normalises_stored_logins_and_refuses_clashes(
    database_at_0008: DatabaseUrls
) -> None:
    # given: logins the old code could store (lower() leaves them alone), two of them equal
    # once normalised
    dsn = libpq_dsn(database_at_0008.owner)
    with psycopg.connect(dsn) as c:
        for login in ("ﬁona.k", "fiona.k", "ｐｅｔｒｏｖ"):
            c.execute("INSERT INTO accounts (id, login, password_hash) VALUES (%s, %s, 'x')",
                      (uuid.uuid4(), login))
        c.execute("INSERT INTO login_attempts (id, login, client_ip) "
                  "VALUES (gen_random_uuid(), 'ｐｅｔｒｏｖ', '10.0.0.1')")
    # when / then: the clash is named, nothing is merged
    with pytest.raises(Exception, match=re.escape("'ﬁona.k', 'fiona.k' -> 'fiona.k'")):
        upgrade(database_at_0008.owner)
    # given: the operator renames one
    with psycopg.connect(dsn) as c:
        c.execute("UPDATE accounts SET login = 'fiona.k2' WHERE login = 'ﬁona.k'")
    # when
    upgrade(database_at_0008.owner)
    # then
    with psycopg.connect(dsn) as c:
        logins = {r[0] for r in c.execute("SELECT login FROM accounts")}
        attempts = [r[0] for r in c.execute("SELECT login FROM login_attempts")]
        found = c.execute("SELECT count(*) FROM zhurnal_login_lookup('petrov')").fetchone()
    assert {"fiona.k", "fiona.k2", "petrov"} <= logins
    assert attempts == ["petrov"]
    assert found == (1,)
