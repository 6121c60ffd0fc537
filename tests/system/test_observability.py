"""Operations (server/observability.py): health, readiness, JSON logs, metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.routing import Route

from db.engine import DatabaseUrls, app_engine
from db.migrate import head_revision
from server.observability import (
    MAX_OPERATION_LABELS,
    JsonFormatter,
    Metrics,
    RequestInfo,
    readyz_endpoint,
)
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, free_port, running_server
from tests.sql_counter import count_statements

ME = "query ObsMe { me { login } }"
FAILING = "query ObsFail { me { login } }"
SCHOOLS = "query ObsSchools { schools(first: 1) { edges { node { id } } } }"


class Capture(logging.Handler):
    """Formats each record as the server would write it, in the thread that logged it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture()
def captured() -> Iterator[Capture]:
    handler = Capture()
    loggers = [logging.getLogger("zhurnal.requests"), logging.getLogger("strawberry.execution")]
    # Other tests (the CLI's) may configure logging and disable existing loggers.
    saved = [(logger.disabled, logger.level) for logger in loggers]
    for logger in loggers:
        logger.disabled = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    yield handler
    for logger, (disabled, level) in zip(loggers, saved, strict=True):
        logger.removeHandler(handler)
        logger.disabled, logger.level = disabled, level


@pytest.fixture()
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


def _graphql(http: httpx.Client, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post("/graphql", json={"query": query}, headers=headers)


def test_healthz_says_alive(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers_at_the_current_migration(
    http: httpx.Client,
) -> None:
    # when
    response = http.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "migration": head_revision()}


async def _readyz(engine_url: object, head: str | None) -> httpx.Response:
    engine = create_async_engine(engine_url)  # type: ignore[arg-type]
    app = Starlette(routes=[Route("/readyz", readyz_endpoint(engine, head, timeout=5))])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            return await client.get("/readyz")
    finally:
        await engine.dispose()


async def test_readyz_is_unavailable_when_the_database_is_unreachable(
    database: DatabaseUrls,
) -> None:
    # given: nothing listens on this port
    url = database.app.set(host="127.0.0.1", port=free_port())
    # when
    response = await _readyz(url, head_revision())
    # then
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["reason"].startswith("database unreachable")


async def test_readyz_is_unavailable_when_migrations_are_not_current(
    database: DatabaseUrls,
) -> None:
    # when: the code expects a migration the database does not have
    response = await _readyz(database.app, "9999")
    # then
    assert response.status_code == 503
    assert "code needs 9999" in response.json()["reason"]
    assert "zhurnal db upgrade" in response.json()["reason"]


def test_request_is_logged_as_one_json_line_with_id_operation_and_duration(
    http: httpx.Client, token_for, schools: TwoSchools, captured: Capture
) -> None:
    # when
    response = _graphql(http, ME, token_for(schools.a.logins["teacher"]))
    # then
    request_id = response.headers["x-request-id"]
    [line] = [entry for entry in captured.lines if entry.get("request_id") == request_id]
    assert line["message"] == "request"
    assert line["logger"] == "zhurnal.requests"
    assert line["operation"] == "ObsMe" and line["operation_type"] == "query"
    assert line["status"] == 200 and line["method"] == "POST" and line["path"] == "/graphql"
    assert line["duration_ms"] > 0
    assert line["errors"] == 0
    assert "login" not in json.dumps(line)  # neither the document nor the data is logged


def test_request_ids_differ_and_match_the_context(http: httpx.Client) -> None:
    # when
    ids = {_graphql(http, "{ __typename }").headers["x-request-id"] for _ in range(3)}
    # then
    assert len(ids) == 3
    assert all(len(i) == 32 for i in ids)


def test_refused_request_is_logged_with_its_status(http: httpx.Client,
                                                    captured: Capture) -> None:
    # when
    response = http.post("/graphql", content=b"query=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    # then
    [line] = [e for e in captured.lines
              if e.get("request_id") == response.headers["x-request-id"]]
    assert line["status"] == 415 and line["operation"] is None


def test_metrics_expose_latency_by_operation_errors_and_pool(
    http: httpx.Client, token_for, schools: TwoSchools
) -> None:
    # given
    _graphql(http, ME, token_for(schools.a.logins["teacher"]))
    _graphql(http, FAILING)  # no token: UNAUTHENTICATED
    http.post("/graphql", content=b"x", headers={"Content-Type": "text/plain"})
    # when
    response = http.get("/metrics")
    # then
    body = response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert 'zhurnal_graphql_request_duration_seconds_count{operation="ObsMe",type="query"}' \
        in body
    assert 'zhurnal_graphql_request_duration_seconds_bucket{le="0.1",operation="ObsMe"' in body
    assert 'zhurnal_errors_total{kind="graphql",operation="ObsFail"}' in body
    assert 'zhurnal_errors_total{kind="refused",operation="none"}' in body
    assert 'zhurnal_http_requests_total{path="/graphql",status="415"}' in body
    assert "zhurnal_db_pool_in_use " in body
    assert "zhurnal_db_pool_size 10.0" in body
    # the admission gate (server/admission.py): nothing inside or waiting between requests
    assert "zhurnal_operations_active 0.0" in body
    assert "zhurnal_operations_waiting 0.0" in body


def test_metrics_bound_the_number_of_operation_labels() -> None:
    # given
    metrics = Metrics()
    for i in range(MAX_OPERATION_LABELS):
        assert metrics.label(f"Op{i}") == f"Op{i}"
    # when
    late = metrics.label("Invented")
    # then
    assert late == "other"
    assert metrics.label("Op0") == "Op0"
    metrics.observe(RequestInfo(request_id="x", client=None, operation="Invented",
                                operation_type="query"), "/graphql", 200, 0.01)
    assert b'operation="other"' in metrics.exposition()


def test_health_metrics_and_trivial_queries_run_no_sql(http: httpx.Client) -> None:
    # when
    with count_statements() as counter:
        http.get("/healthz")
        http.get("/metrics")
        _graphql(http, "{ __typename }")
    # then
    assert counter.count == 0, counter.statements


def test_masked_error_is_logged_with_the_request_id_the_client_got(
    database: DatabaseUrls, schools: TwoSchools, token_for, captured: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database said something internal")

    monkeypatch.setattr("schema.schools.paginate", broken)
    with running_server(database, PRODUCTION_SETTINGS) as base, httpx.Client(base_url=base) as c:
        # when
        response = _graphql(c, SCHOOLS, token_for(schools.a.logins["admin"]))
    # then
    request_id = response.headers["x-request-id"]
    assert request_id in response.json()["errors"][0]["message"]
    logged = [e for e in captured.lines if e.get("request_id") == request_id]
    failure = next(e for e in logged if e["logger"] == "strawberry.execution")
    assert failure["level"] == "error"
    assert "the database said something internal" in failure["exception"]
    assert next(e for e in logged if e["logger"] == "zhurnal.requests")["errors"] == 1


def test_app_engine_pool_is_the_one_measured(database: DatabaseUrls) -> None:
    # given: the gauges read the pool's own counters (no query)
    engine = app_engine(database.app)
    metrics = Metrics(engine)
    # when
    metrics.sample_gauges()
    # then
    assert b"zhurnal_db_pool_size 10.0" in metrics.exposition()
    assert b"zhurnal_db_pool_in_use 0.0" in metrics.exposition()
