"""The Starlette application: /graphql (HTTP, and WebSocket for subscriptions) and /healthz."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db.audit import Sealer, note_audit_writes, seal
from db.engine import DatabaseUrls, app_engine, app_sessions, libpq_dsn, resolve_urls
from db.migrate import ensure_current, head_revision
from resolvers.events.log import purge_periodically
from resolvers.events.notifications import DiaryListener
from server.admission import Admission
from server.diary_cache import DiaryCache
from server.exports import Exports
from server.graphiql import static_routes
from server.graphql import ZhurnalGraphQL
from server.observability import (
    Metrics,
    RequestObserver,
    configure_logging,
    metrics_endpoint,
    readyz_endpoint,
)
from server.security import EdgeMiddleware, cors_options
from server.served_schema import schema_for
from server.settings import ServerSettings
from server.shutdown import ShutdownCutoff
from server.unsubscribe import unsubscribe_endpoint
from server.web_app import web_routes
from tenants.access import AccessCache

log = logging.getLogger("zhurnal.server")


async def seal_left_over(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Audit rows a previous process committed but did not seal (it stopped in between) are
    chained at start-up; a database that is not up yet leaves them to the first mutation."""
    try:
        sealed = await seal(sessions)
    except (DBAPIError, SATimeoutError) as e:
        log.warning("audit rows not sealed at start-up: %s", type(e).__name__)
        return
    if sealed:
        log.info("sealed %d audit rows left unsealed by a previous process", sealed)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def freeze_heap() -> None:
    """Leave what start-up built (modules, the schema, the pool) out of later garbage
    collections. A full collection walks every tracked object: ~230,000 after start-up, half
    a second of a request's time once every thousand or so requests (issue 18, measured on a
    cold diary); frozen, a full collection walks only what requests left behind."""
    gc.collect()
    gc.freeze()


def served_app() -> Starlette:
    """The app of `zhurnal serve` (each uvicorn worker builds its own): create_app, its heap
    frozen once started. Tests build apps with create_app, in a process that goes on to
    other tests: nothing of theirs is frozen."""
    return create_app(freeze_after_start=True)


def admission_for(settings: ServerSettings) -> Admission | None:
    """The process's admission gate (server/admission.py); None when turned off (0)."""
    if settings.concurrent_operations <= 0:
        return None
    return Admission(settings.concurrent_operations, settings.pool_timeout_seconds)


def create_app(
    urls: DatabaseUrls | None = None, settings: ServerSettings | None = None, *,
    freeze_after_start: bool = False,
) -> Starlette:
    """Build the app; the database must be migrated (checked at start-up, not per request)."""
    urls = urls or resolve_urls()
    settings = settings or ServerSettings.from_env()
    ensure_current(urls.owner)
    engine = app_engine(urls.app, pool_timeout=settings.pool_timeout_seconds,
                        statement_timeout_ms=settings.statement_timeout_ms)
    note_audit_writes(engine)  # a request seals only when it appended audit rows
    sessions = app_sessions(engine)
    # One LISTEN connection per process, as the application role (LISTEN needs no privilege).
    listener = DiaryListener(libpq_dsn(urls.app), sessions)
    diary_cache = None
    if settings.diary_cache_entries > 0:
        diary_cache = DiaryCache(max_entries=settings.diary_cache_entries)
        listener.watch(diary_cache)
    access_cache = (AccessCache(settings.access_cache_entries)
                    if settings.access_cache_entries > 0 else None)
    # The audit sealer's own connection (db/audit.py Sealer): seals never wait in the
    # request pool, and one at a time per process is all a school's chain allows anyway.
    seal_engine = app_engine(urls.app, pool_size=1, pool_timeout=settings.pool_timeout_seconds,
                             statement_timeout_ms=settings.statement_timeout_ms)
    sealer = Sealer(app_sessions(seal_engine))
    admission = admission_for(settings)
    graphql = ZhurnalGraphQL(schema_for(settings), sessions=sessions, settings=settings,
                             listener=listener, diary_cache=diary_cache,
                             access_cache=access_cache, sealer=sealer, admission=admission)
    configure_logging()
    metrics = Metrics(engine, admission)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await listener.start()
        await seal_left_over(sessions)
        # The diary event log keeps 24 h: each process deletes what is older now and then.
        purger = asyncio.create_task(purge_periodically(sessions), name="diary-purge")
        if freeze_after_start:
            freeze_heap()
        yield
        # Subscribers' streams end (complete) before the pool they read through goes away.
        purger.cancel()
        with suppress(asyncio.CancelledError):
            await purger
        await listener.stop()
        await engine.dispose()
        await seal_engine.dispose()

    # X-Forwarded-For names the client only when a configured proxy sent it (the login rate
    # limit counts per address); uvicorn itself runs without proxy headers (server/cli.py).
    proxies = ([Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
               if settings.trusted_proxies else [])
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz_endpoint(engine, head_revision()), methods=["GET"]),
            Route("/metrics", metrics_endpoint(metrics), methods=["GET"]),
            *Exports(sessions, settings).routes(),
            # GraphiQL's assets, from the project (no CDN); absent where GraphiQL is off.
            *(static_routes() if settings.graphiql else []),
            # The reference web client (web/dist), when built.
            *web_routes(),
            Route("/notifications/unsubscribe",
                  unsubscribe_endpoint(sessions, settings.secret_key),
                  methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
        # Outermost first: every request gets an id and a log line, CORS answers preflights,
        # then the edge refuses what /graphql must not serve.
        middleware=[
            *proxies,
            Middleware(RequestObserver, metrics=metrics),
            Middleware(CORSMiddleware, **cors_options(settings.cors_origins,
                                                        settings.cors_origin_regex)),
            Middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes),
            # Innermost: a request cut off by the end of a graceful shutdown gets a 503 with
            # its CORS headers and request id, and is logged as such.
            Middleware(ShutdownCutoff),
        ],
    )
