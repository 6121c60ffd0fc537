"""bench.web runs end to end on a fresh demo (one cold load per view, no timing asserts)."""

from __future__ import annotations

from pathlib import Path

from bench.web import VIEWS, measure, report
from tests.webclient import demo_site


def test_bench_web_loads_each_views_first_page_and_counts_its_bytes() -> None:
    # given the demo served with the built client
    with demo_site() as base:
        # when each view's first page is loaded once, and the floor
        result = measure(base, runs=1)
    rows = {row["view"]: row for row in report(result)}
    # then every view reached its first content, after the shell's script had arrived
    assert set(rows) == {"floor", *(view for view, _ in VIEWS)}
    assert len(result["floor"]["ms"]) == 1 and result["floor"]["ms"][0] > 0
    for view, _ in VIEWS:
        figures = result["views"][view]
        assert figures["ms"][0] > figures["shellAt"][0] > 0, view
        # and the bytes are the page, the shell's script and the view's own chunk
        names = [Path(f["path"]).name for f in figures["files"]]
        assert names[0] == view and any(n.startswith("index-") and n.endswith(".js") for n in names)
        assert rows[view]["bytes"] > rows[view]["gzip"] > 0
    assert any(n.startswith("FamilyPage-") for n in
               (Path(f["path"]).name for f in result["views"]["diary"]["files"]))
