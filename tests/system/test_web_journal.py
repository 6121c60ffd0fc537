"""The teacher's journal in a real browser (issue 21, web/e2e/journal.test.mjs): marks and
attendance typed and stored, an edit made offline sent once, a conflict with both values, topic
and homework, and only the teacher's own school."""

from __future__ import annotations

from tests.webclient import run_spec


def test_a_teacher_fills_the_journal_in_the_browser(site: str) -> None:
    run_spec(site, "journal.test.mjs")
