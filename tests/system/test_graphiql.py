"""GraphiQL with no internet (issue 17): the page and every asset come from this server, the
vendored builds match their record, and a real browser runs a query from the editor."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from db.engine import DatabaseUrls
from server.graphiql import STATIC_DIR
from tests.browser import CTRL, chromium_page
from tests.factories import TwoSchools
from tests.server_fixture import PRODUCTION_SETTINGS, running_server

ROOT = Path(__file__).resolve().parents[2]
VENDORED = STATIC_DIR / "graphiql"
LOCK = ROOT / "tools" / "graphiql" / "package-lock.json"
# Any scheme-qualified or protocol-relative URL: http://, https://, //cdn…
EXTERNAL = re.compile(r"(?i)\b(?:https?:)?//[a-z0-9.-]+")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append((tag, values[name] or ""))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture()
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def production_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database, PRODUCTION_SETTINGS) as base:
        yield base


def _page(http: httpx.Client) -> httpx.Response:
    response = http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_the_graphiql_page_names_no_external_url_and_has_no_inline_script(
    http: httpx.Client,
) -> None:
    # when
    page = _page(http).text
    # then: nothing to fetch from the internet, and a CSP that could forbid inline script
    assert EXTERNAL.findall(page) == []
    links = _Links()
    links.feed(page)
    assert links.inline_scripts == 0
    assert {tag for tag, _ in links.urls} == {"link", "script"}
    assert len([u for tag, u in links.urls if tag == "script"]) == 4


def test_every_asset_of_the_page_is_served_here(
    http: httpx.Client,
) -> None:
    # given
    links = _Links()
    links.feed(_page(http).text)
    urls = [u for _, u in links.urls if not u.startswith("data:")]
    # when
    responses = {u: http.get(urljoin(str(http.base_url) + "/graphql", u)) for u in urls}
    # then: each from this server, with its type, revalidated rather than stored stale
    for url, response in responses.items():
        assert response.status_code == 200, url
        expected = "text/css" if url.endswith(".css") else "javascript"
        assert expected in response.headers["content-type"], url
        assert response.headers["cache-control"] == "no-cache", url
    assert any("graphiql.min.js" in u for u in urls) and any("react-dom" in u for u in urls)


def test_an_unchanged_asset_is_answered_304(http: httpx.Client) -> None:
    # given
    first = http.get("/static/graphiql/graphiql.min.js")
    # when
    again = http.get("/static/graphiql/graphiql.min.js",
                     headers={"If-None-Match": first.headers["etag"]})
    # then
    assert again.status_code == 304


def test_the_page_gets_a_csp_of_its_own_origin_only(http: httpx.Client) -> None:
    # when
    csp = _page(http).headers["content-security-policy"]
    # then
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in csp and "http" not in csp


def test_the_vendored_files_match_their_checksums_and_the_pinned_versions() -> None:
    # given
    sums = dict(reversed(line.split("  ./")) for line in
                (VENDORED / "SHA256SUMS").read_text().splitlines())
    lock = json.loads(LOCK.read_text())["packages"]
    licences = (VENDORED / "LICENSES.txt").read_text()
    # then: the files are the ones built, and each package is listed with its licence
    assert set(sums) == {"graphiql.min.js", "graphiql.min.css", "react.production.min.js",
                         "react-dom.production.min.js"}
    for name, digest in sums.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    for package in ("graphiql", "react", "react-dom", "@graphiql/react", "graphql",
                    "codemirror"):
        version = lock[f"node_modules/{package}"]["version"]
        assert f"\n{package}@{version} — MIT\n" in licences, package
        assert f"node_modules/{package}" in lock
    assert licences.count("=" * 78) // 2 == len(lock) - 1  # every package but the root


def test_graphiql_and_its_assets_are_not_served_in_production(production_url: str) -> None:
    # when
    page = httpx.get(f"{production_url}/graphql", headers={"Accept": "text/html"})
    asset = httpx.get(f"{production_url}/static/graphiql/graphiql.min.js")
    start = httpx.get(f"{production_url}/static/graphiql-start.js")
    # then
    assert page.status_code >= 400 and "graphiql" not in page.text.lower()
    assert asset.status_code == 404 and start.status_code == 404


def test_a_browser_with_no_internet_runs_a_query_typed_in_graphiql(
    server_url: str, token_for, schools: TwoSchools
) -> None:
    # given: a guardian's token, and Chromium that can reach only this server
    login = schools.a.logins["guardian"]
    headers = json.dumps({"Authorization": f"Bearer {token_for(login)}"})
    with chromium_page() as page:
        page.open(f"{server_url}/graphql")
        page.wait_for("!!document.querySelector('.graphiql-query-editor .CodeMirror')",
                      what="GraphiQL's query editor")
        # when: the headers and the query are typed into their editors, and run
        # the headers editor, shown at start (the variables editor beside it is hidden)
        page.click(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
        page.key("a", "KeyA", 65, modifiers=CTRL)
        page.type(headers)
        page.click(".graphiql-query-editor .CodeMirror")
        page.key("a", "KeyA", 65, modifiers=CTRL)
        page.type("query Who { me { login schools { school { name } } } }")
        # GraphiQL reads the operation's name a moment after an edit (its tab shows it): a
        # person sees the tab change before pressing run, and so does the test.
        page.wait_for("document.querySelector('.graphiql-tab-active')?.innerText === 'Who'",
                      what="GraphiQL to take the edited query")
        page.click(".graphiql-execute-button")
        # then: the result pane shows the data the server answered for that viewer
        shown = page.wait_for(
            "(() => { const t = document.querySelector('.result-window')?.innerText || '';"
            f" return t.includes({json.dumps(login)}) ? t : null; }})()",
            what="the viewer's login in the result pane")
        assert schools.a.name in shown and '"data"' in shown
        assert "errors" not in shown
        # and the page's CSP lets GraphiQL open its socket for subscriptions (same origin)
        socket = page.evaluate(
            "new Promise(done => { const ws = new WebSocket(location.href.replace(/^http/, "
            "'ws'), 'graphql-transport-ws'); ws.onopen = () => { ws.close(); done('open'); };"
            " ws.onerror = () => done('refused'); })")
        assert socket == "open"
        # nothing came from anywhere else, and nothing failed on the page (CSP included)
        foreign = [u for u in page.requested_urls()
                   if not u.startswith((server_url, "data:", "about:"))]
        assert foreign == []
        assert page.problems() == []
