"""Logging in, refreshing and logging out over HTTP."""

from __future__ import annotations

from tests.factories import PASSWORD, TwoSchools

LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    tokens { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt }
    errors { field code message }
  }
}
"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    tokens { accessToken refreshToken }
    errors { field code message }
  }
}
"""
LOGOUT = """
mutation Logout($token: String) {
  logout(input: {refreshToken: $token}) { revoked errors { code } }
}
"""
ME = "query { me { login } }"


def login(gql, login: str, password: str = PASSWORD) -> dict:
    return gql.post(LOGIN, {"login": login, "password": password})["data"]["login"]


def test_login_with_the_right_password_gives_tokens_that_work(gql, schools: TwoSchools) -> None:
    # when
    result = login(gql, schools.a.logins["teacher"])
    # then
    assert result["errors"] == []
    token = result["tokens"]["accessToken"]
    assert gql.post(ME, token=token)["data"]["me"]["login"] == schools.a.logins["teacher"]


def test_login_is_case_insensitive_on_the_login(gql, schools: TwoSchools) -> None:
    result = login(gql, schools.a.logins["teacher"].upper())
    assert result["errors"] == []


def test_login_with_a_wrong_password_and_an_unknown_login_fail_alike(
    gql, schools: TwoSchools
) -> None:
    wrong = login(gql, schools.a.logins["teacher"], "wrong password")
    unknown = login(gql, "nobody.at.all", "wrong password")
    assert wrong["tokens"] is None and unknown["tokens"] is None
    assert wrong["errors"] == unknown["errors"]
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_refresh_token_rotates_and_the_old_one_stops_working(gql, schools: TwoSchools) -> None:
    # given
    first = login(gql, schools.a.logins["student"])["tokens"]
    # when
    second = gql.post(REFRESH, {"token": first["refreshToken"]})["data"]["refreshToken"]
    again = gql.post(REFRESH, {"token": first["refreshToken"]})["data"]["refreshToken"]
    # then
    assert second["errors"] == [] and second["tokens"]["refreshToken"] != first["refreshToken"]
    assert gql.post(ME, token=second["tokens"]["accessToken"])["data"]["me"]
    assert again["tokens"] is None
    assert again["errors"][0]["field"] == "input.refreshToken"


def test_logout_revokes_the_session_and_its_access_token_on_the_next_request(
    gql, schools: TwoSchools
) -> None:
    # given
    tokens = login(gql, schools.a.logins["guardian"])["tokens"]
    access = tokens["accessToken"]
    assert gql.post(ME, token=access)["data"]["me"]
    # when
    result = gql.post(LOGOUT, {"token": None}, token=access)["data"]["logout"]
    # then
    assert result["revoked"] is True
    body = gql.post(ME, token=access)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refreshed = gql.post(REFRESH, {"token": tokens["refreshToken"]})["data"]["refreshToken"]
    assert refreshed["tokens"] is None


def test_me_without_a_token_is_unauthenticated(gql) -> None:
    body = gql.post(ME)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
