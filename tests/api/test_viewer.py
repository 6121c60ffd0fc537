"""`me`: the access context as each role sees it."""

from __future__ import annotations

from tests.factories import TwoSchools

ME = """
query {
  me {
    login
    schools { school { name } person { fullName } roles }
    classes { name }
    groups { name kind }
    children { id fullName }
    officerMunicipalities { name }
    officerRegion
    tokenScopes
  }
}
"""


def me(gql, token_for, login: str) -> dict:
    body = gql.post(ME, token=token_for(login))
    assert "errors" not in body, body
    return body["data"]["me"]


def test_me_of_a_teacher_lists_the_groups_they_teach(gql, token_for, schools: TwoSchools
                                                     ) -> None:
    viewer = me(gql, token_for, schools.a.logins["teacher"])
    assert viewer["schools"] == [{"school": {"name": schools.a.name},
                                  "person": {"fullName": "Teacherов A"},
                                  "roles": ["TEACHER"]}]
    assert [g["name"] for g in viewer["groups"]] == ["5А Математика"]
    assert viewer["classes"] == [] and viewer["children"] == []
    assert viewer["tokenScopes"] is None


def test_me_of_a_class_teacher_lists_their_class(gql, token_for, schools: TwoSchools) -> None:
    viewer = me(gql, token_for, schools.b.logins["class_teacher"])
    assert [c["name"] for c in viewer["classes"]] == ["5А"]
    assert viewer["schools"][0]["school"]["name"] == schools.b.name


def test_me_of_a_guardian_lists_their_child(gql, token_for, schools: TwoSchools) -> None:
    viewer = me(gql, token_for, schools.a.logins["guardian"])
    assert [c["fullName"] for c in viewer["children"]] == ["Studentов A"]


def test_me_of_officers_shows_their_reach_and_no_school_membership(
    gql, token_for, schools: TwoSchools
) -> None:
    regional = me(gql, token_for, schools.officer_logins["region"])
    municipal = me(gql, token_for, schools.officer_logins["muni_a"])
    assert regional["officerRegion"] is True and regional["schools"] == []
    assert municipal["officerRegion"] is False
    assert [m["name"] for m in municipal["officerMunicipalities"]] == ["г. Альфа"]
