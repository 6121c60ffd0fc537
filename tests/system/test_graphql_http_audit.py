"""The `graphql-http` audit (npm `graphql-http`, `auditServer`; issue 17): every audit of the
GraphQL over HTTP spec, run by web/clients/graphql-http-audit.mjs with Node against the real server
the tests start. Zero errors and zero warnings in development settings (as `make demo`) and in
production settings with introspection on; the only notices are the GET requests the spec
lets a server refuse (README, "GraphQL over HTTP": a GET runs from any link, so it is a 405
with `Allow: POST`). In production with introspection off (the default) exactly the two
audits whose document asks `__type` fail, which is that setting's point; the same request
shape with another field passes. `make test` installs the package with the web client's
(`make web`: npm ci in web/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from db.engine import DatabaseUrls
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, running_server

WEB = Path(__file__).resolve().parents[2] / "web"
SCRIPT = WEB / "clients" / "graphql-http-audit.mjs"
# The two audits of a {variables} map: their document is `query Type($name: String!) {
# __type(name: $name) { name } }`, an introspection field (graphql-http 1.23, audits/server).
INTROSPECTING_AUDITS = {"2EA1", "28B9"}
INSTALL_HINT = ("npm graphql-http is not installed in web/node_modules: run `make web` (npm ci "
                "in web/)")


def audit(base: str) -> list[dict]:
    """The audit's results against `base`/graphql: [{id, name, status, reason?}]."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("the graphql-http audit needs Node.js (`node` on PATH)")
    if not (WEB / "node_modules" / "graphql-http" / "package.json").is_file():
        pytest.fail(INSTALL_HINT)
    result = subprocess.run([node, str(SCRIPT), f"{base}/graphql"], cwd=WEB, timeout=300,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    results = json.loads(result.stdout)
    assert isinstance(results, list)
    return results


@pytest.fixture(scope="module")
def production_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database, PRODUCTION_SETTINGS) as base:
        yield base


@pytest.fixture(scope="module")
def production_introspection_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    """Production with ZHURNAL_INTROSPECTION=1."""
    with running_server(database, replace(PRODUCTION_SETTINGS, introspection=True)) as base:
        yield base


def only_get_notices(results: list[dict]) -> None:
    notices = [r for r in results if r["status"] == "notice"]
    # README's figures: 58 passed and 3 notices (graphql-http 1.23.1, web/package-lock.json)
    assert (len(results), len(notices)) == (61, 3), "README's audit figures are out of date"
    assert all("GET" in r["name"] and r["responseStatus"] == 405 for r in notices), notices


@pytest.mark.parametrize("fixture", ["server_url", "production_introspection_url"])
def test_graphql_http_audit_finds_no_error_and_no_warning(
        request: pytest.FixtureRequest, fixture: str) -> None:
    # given the real server (development settings, or production with introspection on)
    base = request.getfixturevalue(fixture)
    # when the audit runs every check of the spec against it
    results = audit(base)
    # then it ran them all, and nothing fails or warns
    problems = [r for r in results if r["status"] not in ("ok", "notice")]
    assert problems == []
    # and the notices are the optional GET requests only, answered 405 (README)
    only_get_notices(results)


def test_graphql_http_audit_in_production_fails_only_where_it_introspects(
        production_url: str) -> None:
    # given production settings: introspection off
    # when the audit runs
    results = audit(production_url)
    # then only the two audits whose document asks __type fail
    failing = {r["id"] for r in results if r["status"] in ("error", "warn")}
    assert failing == INTROSPECTING_AUDITS
    only_get_notices(results)
    # and the same request shape, a {variables} map, with a field that is not introspection
    # passes in both media types, as the audits require
    body = {"query": "query Type($skip: Boolean!) { __typename @skip(if: $skip) }",
            "variables": {"skip": False}}
    for accept in ("application/graphql-response+json", "application/json"):
        response = httpx.post(f"{production_url}/graphql", json=body,
                              headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200
        assert response.json() == {"data": {"__typename": "Query"}}
