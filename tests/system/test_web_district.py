"""The district and region view in a real browser (issue 21, web/e2e/district.test.mjs):
officers see their reach's figures equal to `aggregates` read through the API, suppressed
cells as suppressed, no person's name, no other municipality's school; the monthly report's
XLSX and PDF download."""

from __future__ import annotations

from tests.webclient import run_spec


def test_officers_see_their_districts_figures_as_the_api_gives_them(site: str) -> None:
    run_spec(site, "district.test.mjs")
