"""Fixtures: a fresh database per test run on the embedded PostgreSQL (or DATABASE_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn, resolve_urls
from tests.factories import TwoSchools, seed_two_schools
from tests.migrating import upgrade


@pytest.fixture(scope="session")
def database() -> Iterator[DatabaseUrls]:
    """A new, migrated database in the cluster; dropped at the end of the run."""
    base = resolve_urls()
    name = f"zhurnal_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq_dsn(base.owner.set(database="postgres")), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    urls = DatabaseUrls(owner=base.owner.set(database=name), app=base.app.set(database=name))
    upgrade(urls.owner)
    yield urls
    from db.engine import owner_engine

    owner_engine(urls.owner).dispose()
    with psycopg.connect(libpq_dsn(base.owner.set(database="postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def schools(database: DatabaseUrls) -> TwoSchools:
    """Two schools in two municipalities, each with named people in every role."""
    return seed_two_schools(database.owner)


@pytest.fixture()
def owner_conn(database: DatabaseUrls) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        yield conn
        conn.rollback()


@pytest.fixture()
def app_conn(database: DatabaseUrls) -> Iterator[psycopg.Connection]:
    """A connection as the application role: RLS applies."""
    with psycopg.connect(libpq_dsn(database.app)) as conn:
        yield conn
        conn.rollback()


@pytest.fixture(scope="session")
def server_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    """The app under uvicorn on a free port, serving the test database over real HTTP."""
    from tests.server_fixture import running_server

    with running_server(database) as base:
        yield base


@pytest.fixture(scope="session")
def gql(server_url: str):
    from tests.server_fixture import GraphQLClient

    client = GraphQLClient(server_url)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def token_for(database: DatabaseUrls):
    """token_for(login) -> a signed access token for an existing account."""
    from tests.server_fixture import tokens_for

    return tokens_for(database)
