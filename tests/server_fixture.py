"""A real uvicorn server on a free port, serving the test database over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import uvicorn

from db.engine import DatabaseUrls
from server.app import create_app
from server.settings import ServerSettings

# How long a server, worker or browser may take to start: generous, since a loaded 2-core
# machine (CI beside other processes) once needed more than 30 s to import and start one.
# A wait, not a latency budget: a healthy start is over in about a second.
STARTUP_SECONDS = 120

TEST_SETTINGS = ServerSettings(
    environment="test", secret_key="test-secret-" + "x" * 40, access_token_minutes=15,
    graphiql=True,
    # Every test comes from 127.0.0.1: only the per-login limit applies to the suite (the
    # per-address limit is tested with its own server and forwarded addresses).
    login_failures_per_address=1_000_000,
    # Off: many tests write with the owner and read at once, which would race the change
    # notification; tests/api/test_diary_cache.py runs a server with it on.
    diary_cache_entries=0,
)


# What `ZHURNAL_ENV=production` gives: GraphiQL and introspection off, errors masked.
PRODUCTION_SETTINGS = replace(
    TEST_SETTINGS, environment="production", graphiql=False, introspection=False,
    cors_origins=("https://school.example",),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(urls: DatabaseUrls, settings: ServerSettings = TEST_SETTINGS
                   ) -> Iterator[str]:
    port = free_port()
    # As `zhurnal serve`: proxy headers are the app's business (settings.trusted_proxies).
    config = uvicorn.Config(create_app(urls, settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class GraphQLClient:
    """Posts GraphQL documents to the real endpoint, as a viewer or anonymously."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)

    def post(self, query: str, variables: dict | None = None, *, token: str | None = None
             ) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                  headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


def tokens_for(database: DatabaseUrls):
    """A function login -> a signed access token for an existing account of `database`."""
    from sqlalchemy import select

    from db.engine import owner_session
    from db.models import Account
    from resolvers.auth.tokens import issue_access_token

    def make(login: str) -> str:
        with owner_session(database.owner) as s:
            account_id = s.scalar(select(Account.id).where(Account.login == login))
        assert account_id is not None, login
        return issue_access_token(TEST_SETTINGS.secret_key, account_id, minutes=5)[0]

    return make
