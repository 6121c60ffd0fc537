"""The web client's shell in a real browser (issue 21): /app/ from this server only, login,
each role's first page, logout, a reload that keeps the session (web/e2e/app.test.mjs)."""

from __future__ import annotations

import httpx

from tests.webclient import run_spec


def test_the_shell_logs_each_role_in_to_its_first_page(site: str) -> None:
    run_spec(site, "app.test.mjs")


def test_client_routes_are_the_page_and_assets_are_kept(site: str) -> None:
    # given the page and one of its hashed assets
    page = httpx.get(f"{site}/app/journal/some/route")
    asset = next(p for p in page.text.split('"') if p.startswith("/app/assets/"))
    # then any client route is the page, revalidated; an asset is kept for a year
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert "<div id=\"root\">" in page.text
    kept = httpx.get(f"{site}{asset}")
    assert kept.status_code == 200 and "immutable" in kept.headers["cache-control"]
    # and a missing asset, or a path out of dist, is a 404, never the page
    assert httpx.get(f"{site}/app/assets/missing.js").status_code == 404
    # and a path that climbs out of web/dist never serves what lies beside it (web/package.json)
    escaped = httpx.get(f"{site}/app/%2e%2e/package.json")
    assert '"zhurnal-web"' not in escaped.text
    assert httpx.get(f"{site}/app", follow_redirects=False).headers["location"] == "/app/"
