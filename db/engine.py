"""Engines and sessions: the owner connection for migrations, the application role for requests."""

from __future__ import annotations

import json
import select
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import orjson
import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from db import embedded
from db.errors import DatabaseUnavailable
from db.settings import APP_ROLE, DEFAULT_DATABASE, DatabaseSettings


@dataclass(frozen=True)
class DatabaseUrls:
    """The two URLs of one database: the owner's (migrations) and the application role's."""

    owner: URL
    app: URL


def resolve_urls(settings: DatabaseSettings | None = None) -> DatabaseUrls:
    """Find the database: DATABASE_URL when set, otherwise start the embedded server."""
    settings = settings or DatabaseSettings.from_env()
    if settings.url:
        try:
            owner = make_url(settings.url)
        except Exception as err:
            raise DatabaseUnavailable(
                "DATABASE_URL is not a database URL (expected "
                "postgresql://user:password@host:port/database)"
            ) from err
        if owner.get_backend_name() != "postgresql":
            raise DatabaseUnavailable(
                f"DATABASE_URL names '{owner.get_backend_name()}', but zhurnal runs on "
                "PostgreSQL only"
            )
    else:
        owner = make_url(embedded.start(settings.data_dir, DEFAULT_DATABASE))
    owner = owner.set(drivername="postgresql+psycopg")
    if settings.app_url:
        app = make_url(settings.app_url).set(drivername="postgresql+psycopg")
    else:
        app = owner.set(username=APP_ROLE, password=settings.app_password)
    return DatabaseUrls(owner=owner, app=app)


def libpq_dsn(url: URL) -> str:
    """A URL psycopg and the PostgreSQL tools understand (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_reachable(url: URL) -> None:
    """Connect once and turn the driver's error into one line a person can act on."""
    try:
        with psycopg.connect(libpq_dsn(url), connect_timeout=5):
            pass
    except psycopg.OperationalError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        where = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {where}: {first}; check DATABASE_URL and that "
            "the server is running (unset DATABASE_URL to use the embedded database)"
        ) from err


_OWNER_ENGINES: OrderedDict[URL, Engine] = OrderedDict()
_OWNER_ENGINES_LOCK = threading.Lock()
OWNER_ENGINES_KEPT = 4


def owner_engine(url: URL) -> Engine:
    """The owner's engine for a database, kept for the few databases a process works on. An
    engine pushed out is disposed of, so its pooled connections are closed, not left to the
    garbage collector (a psycopg ResourceWarning, an error in the tests)."""
    with _OWNER_ENGINES_LOCK:
        engine = _OWNER_ENGINES.pop(url, None) or create_engine(url, pool_pre_ping=True)
        _OWNER_ENGINES[url] = engine
        while len(_OWNER_ENGINES) > OWNER_ENGINES_KEPT:
            _, oldest = _OWNER_ENGINES.popitem(last=False)
            oldest.dispose()
    return engine


@contextmanager
def owner_session(url: URL) -> Iterator[Session]:
    """A session as the owner: migrations, seeding and operator commands only."""
    with sessionmaker(owner_engine(url))() as session, session.begin():
        yield session


# Seconds a new connection may take: a server that accepts but never answers (a host gone
# mid-restart, a firewall dropping packets) is a retryable error, not a request hung for minutes.
CONNECT_TIMEOUT_SECONDS = 5


def closed_while_idle(dbapi_connection: object, record: object, proxy: object) -> None:
    """A pool checkout: refuse a connection the server closed while it sat in the pool.

    An idle connection has nothing to read; a readable socket means the server said goodbye
    (a restart or a terminated backend sends its FATAL message and closes). This replaces
    pool_pre_ping, which spent a round trip on every request (issue 18). The pool replaces a
    refused connection with a new one. A connection cut without a word (a network gone)
    fails its request instead, as a retryable 503 (server/graphql.py), and is discarded.
    """
    conn = getattr(dbapi_connection, "driver_connection", None)
    if not isinstance(conn, psycopg.AsyncConnection | psycopg.Connection):
        return
    if conn.closed or conn.broken:
        raise DisconnectionError("the connection was closed")
    try:
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (psycopg.OperationalError, OSError, ValueError) as err:
        raise DisconnectionError(f"the connection is unusable: {err}") from err
    if readable:
        raise DisconnectionError("the server closed the connection while it was idle")


def app_engine(url: URL, *, pool_size: int = 10, pool_timeout: float = 5.0,
               statement_timeout_ms: int | None = None) -> AsyncEngine:
    """The request pool. After a database restart its connections are dead: each is found
    on checkout without a round trip (`closed_while_idle`) and replaced, so the first
    request after the restart works. The most recently used connection goes out first
    (LIFO): its prepared statements and PostgreSQL's reused plans are warm, where a FIFO pool
    rotated every request through every connection (tests/db/test_pool.py)."""
    options: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if statement_timeout_ms:
        options["options"] = f"-c statement_timeout={statement_timeout_ms}"
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=5, pool_pre_ping=False, pool_use_lifo=True,
        pool_timeout=pool_timeout, connect_args=options, json_deserializer=json_loads,
    )
    event.listen(engine.sync_engine, "checkout", closed_while_idle)
    return engine


def json_loads(data: str | bytes) -> object:
    """JSON from the database: orjson, several times faster than json (the journal and the
    diary come back as one JSON document each); json for what orjson refuses (an integer
    past 64 bits)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def app_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with factory() as session, session.begin():
        yield session
