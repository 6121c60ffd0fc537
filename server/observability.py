"""Operations: request ids, structured JSON logs, Prometheus metrics, /readyz and /metrics.

Nothing here queries the database per request: durations and counts are kept in memory, and
the pool gauges read the pool's own counters. Only /readyz asks the database (one statement).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaskErrors, SchemaExtension

from server.admission import Admission
from tenants.errors import RequestError

REQUEST_LOG = logging.getLogger("zhurnal.requests")
# Operation names come from clients: past this many distinct names, new ones count as
# "other", so a client inventing names cannot grow the metrics without bound.
MAX_OPERATION_LABELS = 200
KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


@dataclass
class RequestInfo:
    """What one HTTP request did, filled in as it runs (read by the log line and metrics)."""

    request_id: str
    client: str | None
    operation: str | None = None
    operation_type: str | None = None
    errors: int = 0
    started: float = field(default_factory=time.perf_counter)


_current: ContextVar[RequestInfo | None] = ContextVar("zhurnal_request", default=None)


def current_request() -> RequestInfo | None:
    """The request being served by this task, if any (set by RequestObserver)."""
    return _current.get()


class OperationObserver(SchemaExtension):
    """Tells the request's RequestInfo which operation ran and how many errors it returned."""

    def on_execute(self) -> Iterator[None]:
        info = _current.get()
        if info is not None:
            ctx = self.execution_context
            info.operation = ctx.operation_name or "anonymous"
            try:
                info.operation_type = ctx.operation_type.value
            except RuntimeError:
                info.operation_type = None
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        info = _current.get()
        result = self.execution_context.result
        if info is not None and result is not None and result.errors:
            info.errors += len(result.errors)


MAX_MESSAGE_CHARS = 4_000


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return f"{message[:MAX_MESSAGE_CHARS]}… ({len(message) - MAX_MESSAGE_CHARS} more characters)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    FIELDS = ("method", "path", "status", "duration_ms", "operation", "operation_type",
              "errors")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # strawberry's error log quotes the whole document: keep lines bounded.
            "message": _bounded(record.getMessage()),
        }
        info = _current.get()
        request_id = getattr(record, "request_id", None) or (info.request_id if info else None)
        if request_id:
            entry["request_id"] = request_id
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for our loggers and strawberry's error log (idempotent)."""
    for name in ("zhurnal", "strawberry.execution"):
        logger = logging.getLogger(name)
        if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


class Metrics:
    """The app's Prometheus metrics; with PROMETHEUS_MULTIPROC_DIR set (several workers),
    /metrics aggregates every worker's files."""

    def __init__(self, engine: AsyncEngine | None = None,
                 admission: Admission | None = None) -> None:
        self.engine = engine
        self.admission = admission
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "zhurnal_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name and type.",
            ["operation", "type"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.requests = Counter("zhurnal_http_requests_total", "HTTP requests by path and status.",
                                ["path", "status"], registry=self.registry)
        self.errors = Counter(
            "zhurnal_errors_total",
            "Failed requests: kind is graphql (errors in the response), refused (4xx from the "
            "edge: size, content type, rate) or server (5xx).",
            ["operation", "kind"], registry=self.registry)
        self.pool_in_use = Gauge("zhurnal_db_pool_in_use", "Database connections checked out.",
                                 registry=self.registry, multiprocess_mode="livesum")
        self.pool_size = Gauge("zhurnal_db_pool_size", "Database connections held by the pool.",
                               registry=self.registry, multiprocess_mode="livesum")
        self.operations_active = Gauge(
            "zhurnal_operations_active", "GraphQL operations inside the admission gate "
            "(ZHURNAL_CONCURRENT_OPERATIONS a process).", registry=self.registry,
            multiprocess_mode="livesum")
        self.operations_waiting = Gauge(
            "zhurnal_operations_waiting", "GraphQL operations waiting for the admission gate.",
            registry=self.registry, multiprocess_mode="livesum")
        self._operations: set[str] = set()

    def label(self, operation: str | None) -> str:
        if operation is None:
            return "none"
        if operation in self._operations:
            return operation
        if len(self._operations) >= MAX_OPERATION_LABELS:
            return "other"
        self._operations.add(operation)
        return operation

    def observe(self, info: RequestInfo, path: str, status: int, seconds: float) -> None:
        self.requests.labels(path if path in KNOWN_PATHS else "other", str(status)).inc()
        operation = self.label(info.operation)
        if path == "/graphql" and info.operation is not None:
            self.latency.labels(operation, info.operation_type or "unknown").observe(seconds)
        if status >= 500:
            self.errors.labels(operation, "server").inc()
        elif status >= 400:
            self.errors.labels(operation, "refused").inc()
        elif info.errors:
            self.errors.labels(operation, "graphql").inc()
        self.sample_gauges()

    def sample_gauges(self) -> None:
        """The gauges read from counters the gate and the pool keep anyway: no query, no lock."""
        if self.admission is not None:
            self.operations_active.set(self.admission.inside)
            self.operations_waiting.set(self.admission.waiting)
        if self.engine is None:
            return
        pool: Any = self.engine.pool
        self.pool_in_use.set(pool.checkedout())
        self.pool_size.set(pool.size())

    def exposition(self) -> bytes:
        self.sample_gauges()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class RequestObserver:
    """Outermost middleware: a request id, the duration, one JSON log line and the metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        info = RequestInfo(request_id=uuid.uuid4().hex, client=client[0] if client else None)
        scope.setdefault("state", {})["request_id"] = info.request_id
        token = _current.set(info)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", info.request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            REQUEST_LOG.exception("unhandled error", extra={"request_id": info.request_id})
            raise
        finally:
            seconds = time.perf_counter() - info.started
            path = scope.get("path", "")
            self.metrics.observe(info, path, status, seconds)
            if path not in ("/metrics", "/healthz", "/readyz"):
                REQUEST_LOG.info("request", extra={
                    "request_id": info.request_id, "method": scope.get("method"),
                    "path": path, "status": status, "duration_ms": round(seconds * 1000, 2),
                    "operation": info.operation, "operation_type": info.operation_type,
                    "errors": info.errors})
            _current.reset(token)


def metrics_endpoint(metrics: Metrics):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def readyz_endpoint(engine: AsyncEngine, head: str | None, *, timeout: float = 3.0):  # type: ignore[no-untyped-def]
    """503 unless the database answers and stands at the migration the code was built for."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(timeout), engine.connect() as conn:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception as err:  # any failure means "not ready"; the reason goes back
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            return JSONResponse({"status": "unavailable",
                                 "reason": f"database unreachable: {first[:200]}"},
                                status_code=503)
        if current != head:
            return JSONResponse({"status": "unavailable",
                                 "reason": f"database at migration {current or 'none'}, "
                                           f"code needs {head}: run `zhurnal db upgrade`"},
                                status_code=503)
        return JSONResponse({"status": "ready", "migration": current})

    return endpoint


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _is_unexpected(error: GraphQLError) -> bool:
    """Errors the API raises on purpose are GraphQLErrors (validation, UNAUTHENTICATED, a bad
    argument); anything else escaped a resolver and may carry internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | RequestError)


class ProductionErrors(MaskErrors):
    """Production error messages: unexpected errors become a request id to quote (the log line
    with the traceback carries the same id), and no message suggests field names."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        info = _current.get()
        context = self.execution_context.context
        request_id = (info.request_id if info is not None
                      else getattr(context, "request_id", None) or "unknown")
        return GraphQLError(
            f"internal error: quote request id {request_id} to the operator",
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            # kept (never shown): the view still tells database trouble apart (a 503)
            original_error=error.original_error)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in super()._process_errors(errors):
            message = _SUGGESTION.sub("", error.message)
            if message != error.message:
                error = GraphQLError(message, nodes=error.nodes, source=error.source,
                                     positions=error.positions, path=error.path,
                                     extensions=error.extensions)
            out.append(error)
        return out
