"""`monthlyReport`: the region's month through GraphQL, for those who may see figures only."""

from __future__ import annotations

import pytest

from tests.factories import TwoSchools

REPORT = """
query Report($month: String!, $municipality: String) {
  monthlyReport(month: $month, municipality: $municipality) {
    title minStudents
    rows { municipality school students lessonsHeld marks passPercent absences }
  }
}
"""


def report(gql, token: str, **variables: object) -> dict:
    body = gql.post(REPORT, {"month": "2015-09", **variables}, token=token)
    assert "errors" not in body, body
    return body["data"]["monthlyReport"]


def test_monthly_report_lists_the_regional_officers_schools_with_subtotals(
    gql, token_for, schools: TwoSchools
) -> None:
    # when
    result = report(gql, token_for(schools.officer_logins["region"]))
    # then: each school, a subtotal per municipality (school null), and the total last
    assert "2015" in result["title"]
    named = [r["school"] for r in result["rows"] if r["school"]]
    assert schools.a.name in named and schools.b.name in named
    assert result["rows"][-1]["school"] is None
    assert all(len(r["absences"]) == 4 for r in result["rows"])


def test_monthly_report_of_a_municipal_officer_holds_their_schools_only(
    gql, token_for, schools: TwoSchools
) -> None:
    result = report(gql, token_for(schools.officer_logins["muni_a"]))
    named = {r["school"] for r in result["rows"] if r["school"]}
    # other tests add schools to г. Альфа; what matters is that г. Бета's school is absent
    assert schools.a.name in named and schools.b.name not in named


def test_monthly_report_of_an_administrator_is_their_school(gql, token_for,
                                                             schools: TwoSchools) -> None:
    result = report(gql, token_for(schools.b.logins["admin"]))
    assert {r["school"] for r in result["rows"] if r["school"]} == {schools.b.name}


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian"])
def test_monthly_report_is_null_for_other_roles(gql, token_for, schools: TwoSchools,
                                                who: str) -> None:
    assert report(gql, token_for(schools.a.logins[who])) is None


def test_monthly_report_outside_the_reach_is_null(gql, token_for, schools: TwoSchools) -> None:
    assert report(gql, token_for(schools.officer_logins["muni_a"]),
                  municipality="г. Бета") is None


def test_monthly_report_with_a_bad_month_names_the_argument(gql, token_for,
                                                            schools: TwoSchools) -> None:
    body = gql.post(REPORT, {"month": "сентябрь"}, token=token_for(
        schools.officer_logins["region"]))
    assert body["errors"][0]["extensions"]["argument"] == "month"


def test_monthly_report_leaves_the_rest_of_the_request_as_it_was(
    gql, token_for, schools: TwoSchools
) -> None:
    # the report's officer role stays in the report's own transaction
    body = gql.post("""query($m: String!) { monthlyReport(month: $m) { title }
                      me { schools { person { fullName } } } }""", {"m": "2015-09"},
                    token=token_for(schools.a.logins["admin"]))
    assert "errors" not in body, body
    assert body["data"]["me"]["schools"][0]["person"]["fullName"]
