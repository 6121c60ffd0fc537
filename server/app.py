"""The Starlette application: /graphql and /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from db.engine import DatabaseUrls, app_engine, app_sessions, resolve_urls
from db.migrate import ensure_current
from schema.root import schema
from server.graphql import ZhurnalGraphQL
from server.settings import ServerSettings


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(
    urls: DatabaseUrls | None = None, settings: ServerSettings | None = None
) -> Starlette:
    """Build the app; the database must be migrated (checked at start-up, not per request)."""
    urls = urls or resolve_urls()
    settings = settings or ServerSettings.from_env()
    ensure_current(urls.owner)
    engine = app_engine(urls.app)
    graphql = ZhurnalGraphQL(schema, sessions=app_sessions(engine), settings=settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
