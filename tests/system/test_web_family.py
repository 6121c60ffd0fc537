"""The family view in a real browser (issue 21, web/e2e/family.test.mjs): a guardian's and a
student's diary week, homework due and report card equal to the API's, a teacher's new mark,
attendance, homework and period grades arriving live (and a mark missed while the socket was
down replayed from the last cursor), the child picker of a guardian with children in two
schools, no other school's data, no sideways scroll on a phone."""

from __future__ import annotations

from tests.webclient import run_spec


def test_the_family_sees_their_own_diary_report_card_and_live_changes(site: str) -> None:
    run_spec(site, "family.test.mjs")
