"""The operations in examples/ stay valid, and run in order against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from schema.ids import to_global_id
from schema.root import schema
from tests.factories import PASSWORD, TwoSchools

EXAMPLES = Path(__file__).parents[2] / "examples"


def document(name: str) -> str:
    return (EXAMPLES / name).read_text()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.graphql")), ids=lambda p: p.name)
def test_example_is_valid_against_the_schema(path: Path) -> None:
    assert validate(schema._schema, parse(path.read_text())) == []


def run(gql, name: str, operation: str, variables: dict | None = None, token: str | None = None
        ) -> dict:
    body = gql.http.post("/graphql", json={"query": document(name), "operationName": operation,
                                           "variables": variables or {}},
                         headers={"Authorization": f"Bearer {token}"} if token else {}).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    if isinstance(payload, dict) and "errors" in payload:
        assert payload["errors"] == [], payload
    return payload


def test_examples_configure_a_school_and_list_a_class(gql, schools: TwoSchools) -> None:
    # given an administrator who logs in
    tokens = run(gql, "login.graphql", "Login",
                 {"login": schools.a.logins["admin"], "password": PASSWORD})["tokens"]
    # and trades the refresh token for a new pair, as the example says when it expires
    renewed = run(gql, "login.graphql", "Refresh", {"refreshToken": tokens["refreshToken"]})
    assert renewed["tokens"]["refreshToken"] != tokens["refreshToken"]
    token = renewed["tokens"]["accessToken"]
    me = run(gql, "me.graphql", "Me", token=token)
    school_id = me["schools"][0]["school"]["id"]
    assert school_id == to_global_id("School", schools.a.id)
    # when they configure the school with the example operations
    year = run(gql, "configure_school.graphql", "CreateYear", {"schoolId": school_id},
               token)["academicYear"]["id"]
    scheme = run(gql, "configure_school.graphql", "CreateQuarters", {"yearId": year},
                 token)["periodScheme"]
    assert [p["ordinal"] for p in scheme["periods"]] == [1, 2, 3, 4]
    run(gql, "configure_school.graphql", "UseQuartersForAllGrades",
        {"yearId": year, "schemeId": scheme["id"]}, token)
    system = run(gql, "configure_school.graphql", "CopyFivePointScale", {"schoolId": school_id},
                 token)["gradingSystem"]
    run(gql, "configure_school.graphql", "UseScaleByDefault",
        {"yearId": year, "systemId": system["id"]}, token)
    subject = run(gql, "configure_school.graphql", "CreateSubject", {"schoolId": school_id},
                  token)["subject"]["id"]
    klass = run(gql, "configure_school.graphql", "CreateClass", {"yearId": year},
                token)["schoolClass"]["id"]
    student = run(gql, "configure_school.graphql", "CreateStudent", {"schoolId": school_id},
                  token)["person"]["id"]
    run(gql, "configure_school.graphql", "EnrollStudent",
        {"classId": klass, "studentId": student}, token)
    run(gql, "configure_school.graphql", "CreateClassGroup",
        {"classId": klass, "subjectId": subject}, token)
    # then the class lists show it
    classes = run(gql, "list_class.graphql", "Classes", {"schoolId": school_id, "yearId": year},
                  token)
    assert [e["node"]["name"] for e in classes["edges"]] == ["5А"]
    listed = run(gql, "list_class.graphql", "ClassStudents",
                 {"classId": klass, "on": "2030-10-01"}, token)
    assert [s["student"]["fullName"] for s in listed["students"]] == ["Иванова Мария Петровна"]
    assert [g["name"] for g in listed["groups"]] == ["5А Астрономия"]
    assert listed["__typename"] == "SchoolClass"
    # and the journal example finds the group's period of a day and opens its page
    group = run(gql, "journal.graphql", "GroupPeriods",
                {"groupId": listed["groups"][0]["id"], "on": "2030-11-10"}, token)
    assert [p["name"] for p in group["periods"]] == [f"{n} четверть" for n in range(1, 5)]
    assert group["currentPeriod"]["name"] == "2 четверть"
    page = run(gql, "journal.graphql", "JournalPage",
               {"groupId": group["id"], "periodId": group["currentPeriod"]["id"]}, token)
    assert [s["fullName"] for s in page["students"]] == ["Иванова Мария Петровна"]
    # and the report card example reads the student's year: the subject, four open quarters
    card = run(gql, "report_card.graphql", "ReportCard",
               {"studentId": student, "academicYearId": year}, token)
    assert card["student"]["id"] == student and card["academicYear"]["id"] == year
    assert [s["subject"]["id"] for s in card["subjects"]] == [subject]
    assert [p["period"]["name"] for p in card["subjects"][0]["periods"]] == [
        f"{n} четверть" for n in range(1, 5)]
    # and logging out ends the session
    assert run(gql, "login.graphql", "Logout", token=token)["revoked"] is True


def test_example_me_leads_a_guardian_to_their_child_class_and_groups(
    gql, token_for, schools: TwoSchools
) -> None:
    # when
    me = run(gql, "me.graphql", "Me", token=token_for(schools.a.logins["guardian"]))
    # then: the child, with the class and group of today (the fixture's never end)
    (child,) = me["students"]
    assert child["student"]["id"] == to_global_id("Person", schools.a.people["student"])
    assert child["school"]["id"] == to_global_id("School", schools.a.id)
    assert child["schoolClass"]["name"] == "5А"
    assert [g["id"] for g in child["groups"]] == [to_global_id("StudyGroup", schools.a.group_id)]
