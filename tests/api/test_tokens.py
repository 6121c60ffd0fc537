"""Integrator API tokens: issued with a reach and scopes, listed, used, revoked."""

from __future__ import annotations

from sqlalchemy import select, text

from db.engine import DatabaseUrls, owner_session
from db.models import ApiToken
from schema.ids import to_global_id
from tests.factories import TwoSchools

ISSUE = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) {
    apiToken { id name scopes reach school { name } lastUsedAt }
    secret
    errors { field code message }
  }
}
"""
REVOKE = """
mutation Revoke($id: ID!) {
  revokeApiToken(input: {id: $id}) { apiToken { revokedAt } errors { field code } }
}
"""
LIST = "query { apiTokens(first: 50) { edges { node { id name } } } }"
ME = "query { me { login tokenScopes } }"
SCHOOLS = "query { schools { edges { node { name } } } }"


def issue(gql, token: str, **input_: object) -> dict:
    return gql.post(ISSUE, {"input": {"name": "dashboard", "scopes": ["READ"], **input_}},
                    token=token)["data"]["issueApiToken"]


def test_issue_api_token_by_an_administrator_gives_a_secret_that_authenticates(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    # when
    result = issue(gql, admin, schoolId=to_global_id("School", schools.a.id))
    # then
    assert result["errors"] == []
    assert result["apiToken"]["reach"] == "SCHOOL"
    assert result["apiToken"]["school"]["name"] == schools.a.name
    secret = result["secret"]
    assert secret.startswith("zt_")
    viewer = gql.post(ME, token=secret)["data"]["me"]
    assert viewer == {"login": "token:dashboard", "tokenScopes": ["READ"]}
    # the secret is stored hashed only, and its use is recorded
    with owner_session(database.owner) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "dashboard")
                       .order_by(ApiToken.created_at.desc()))
        assert row is not None and secret.encode() not in row.token_hash
        assert row.last_used_at is not None


def test_issue_api_token_writes_an_audit_row_in_the_school(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    admin = token_for(schools.a.logins["admin"])
    result = issue(gql, admin, name="audited", schoolId=to_global_id("School", schools.a.id))
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(schools.a.id)})
        actions = s.execute(text(
            "SELECT action, after->>'name' FROM audit_log WHERE entity = 'api_tokens' "
            "AND after->>'name' = 'audited'")).all()
    assert result["errors"] == [] and actions == [("issue", "audited")]


def test_issue_api_token_for_another_school_is_not_found_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    admin_b = token_for(schools.b.logins["admin"])
    result = issue(gql, admin_b, name="intruder", schoolId=to_global_id("School", schools.a.id))
    assert result["apiToken"] is None
    assert result["errors"][0] == {"field": "input.schoolId", "code": "NOT_FOUND",
                                   "message": "no such school"}
    with owner_session(database.owner) as s:
        assert s.scalar(select(ApiToken).where(ApiToken.name == "intruder")) is None


def test_issue_api_token_by_a_teacher_is_forbidden(gql, token_for, schools: TwoSchools) -> None:
    result = issue(gql, token_for(schools.a.logins["teacher"]),
                   schoolId=to_global_id("School", schools.a.id))
    assert result["errors"][0]["code"] == "FORBIDDEN"


def test_issue_api_token_by_an_officer_is_limited_to_aggregates(
    gql, token_for, schools: TwoSchools
) -> None:
    officer = token_for(schools.officer_logins["region"])
    refused = issue(gql, officer, region=True, scopes=["READ"])
    allowed = issue(gql, officer, region=True, scopes=["READ_AGGREGATES"])
    assert refused["errors"][0]["field"] == "input.scopes.0"
    assert allowed["errors"] == [] and allowed["apiToken"]["reach"] == "REGION"


def test_issue_api_token_with_two_reaches_is_invalid(gql, token_for, schools: TwoSchools
                                                     ) -> None:
    result = issue(gql, token_for(schools.officer_logins["region"]), region=True,
                   schoolId=to_global_id("School", schools.a.id))
    assert result["errors"][0]["field"] == "input"


def test_revoke_api_token_stops_it_on_the_next_request(gql, token_for, schools: TwoSchools
                                                       ) -> None:
    # given
    admin = token_for(schools.a.logins["admin"])
    issued = issue(gql, admin, name="short-lived", schoolId=to_global_id("School", schools.a.id))
    assert gql.post(SCHOOLS, token=issued["secret"])["data"]["schools"]
    # when
    result = gql.post(REVOKE, {"id": issued["apiToken"]["id"]}, token=admin)
    # then
    assert result["data"]["revokeApiToken"]["errors"] == []
    body = gql.post(SCHOOLS, token=issued["secret"])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_api_tokens_lists_only_tokens_the_viewer_manages(gql, token_for, schools: TwoSchools
                                                        ) -> None:
    admin_a, admin_b = (token_for(schools.a.logins["admin"]),
                        token_for(schools.b.logins["admin"]))
    issued = issue(gql, admin_a, name="a-only", schoolId=to_global_id("School", schools.a.id))
    token_id = issued["apiToken"]["id"]
    names_a = [e["node"]["id"] for e in gql.post(LIST, token=admin_a)["data"]["apiTokens"]["edges"]]
    names_b = [e["node"]["id"] for e in gql.post(LIST, token=admin_b)["data"]["apiTokens"]["edges"]]
    assert token_id in names_a and token_id not in names_b
    # and school B's admin can neither see it by id nor revoke it
    node = gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": token_id}, token=admin_b)
    assert node["data"]["node"] is None
    revoke = gql.post(REVOKE, {"id": token_id}, token=admin_b)["data"]["revokeApiToken"]
    assert revoke["errors"] == [{"field": "input.id", "code": "NOT_FOUND"}]


def test_a_token_cannot_issue_tokens(gql, token_for, schools: TwoSchools) -> None:
    admin = token_for(schools.a.logins["admin"])
    secret = issue(gql, admin, name="parent", schoolId=to_global_id("School", schools.a.id))[
        "secret"]
    result = issue(gql, secret, name="child", schoolId=to_global_id("School", schools.a.id))
    assert result["errors"][0]["code"] == "FORBIDDEN"
