"""The Starlette application: /graphql (HTTP, and WebSocket for subscriptions) and /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db.engine import DatabaseUrls, app_engine, app_sessions, libpq_dsn, resolve_urls
from db.migrate import ensure_current, head_revision
from resolvers.events.log import purge_periodically
from resolvers.events.notifications import DiaryListener
from server.diary_cache import DiaryCache
from server.exports import Exports
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


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(
    urls: DatabaseUrls | None = None, settings: ServerSettings | None = None
) -> Starlette:
    """Build the app; the database must be migrated (checked at start-up, not per request)."""
    urls = urls or resolve_urls()
    settings = settings or ServerSettings.from_env()
    ensure_current(urls.owner)
    engine = app_engine(urls.app, pool_timeout=settings.pool_timeout_seconds,
                        statement_timeout_ms=settings.statement_timeout_ms)
    sessions = app_sessions(engine)
    # One LISTEN connection per process, as the application role (LISTEN needs no privilege).
    listener = DiaryListener(libpq_dsn(urls.app), sessions)
    diary_cache = None
    if settings.diary_cache_entries > 0:
        diary_cache = DiaryCache(max_entries=settings.diary_cache_entries)
        listener.watch(diary_cache)
    graphql = ZhurnalGraphQL(schema_for(settings), sessions=sessions, settings=settings,
                             listener=listener, diary_cache=diary_cache)
    configure_logging()
    metrics = Metrics(engine)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await listener.start()
        # The diary event log keeps 24 h: each process deletes what is older now and then.
        purger = asyncio.create_task(purge_periodically(sessions), name="diary-purge")
        yield
        # Subscribers' streams end (complete) before the pool they read through goes away.
        purger.cancel()
        with suppress(asyncio.CancelledError):
            await purger
        await listener.stop()
        await engine.dispose()

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
