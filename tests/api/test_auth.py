"""Logging in, refreshing and logging out over HTTP."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
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


def refresh(gql, token: str) -> dict:
    return gql.post(REFRESH, {"token": token})["data"]["refreshToken"]


def age_last_rotation(database: DatabaseUrls, refresh_token: str, seconds: int) -> None:
    """Time travel: the session's last rotation happened `seconds` earlier."""
    session_id = uuid.UUID(hex=refresh_token.split(".")[0])
    with owner_session(database.owner) as s:
        s.execute(text("UPDATE refresh_tokens SET rotated_at = rotated_at - make_interval("
                       "secs => :s) WHERE id = :id"), {"s": seconds, "id": session_id})


def test_refresh_token_rotates_to_a_new_pair_that_works(gql, schools: TwoSchools) -> None:
    # given
    first = login(gql, schools.a.logins["student"])["tokens"]
    # when
    second = refresh(gql, first["refreshToken"])
    # then
    assert second["errors"] == [] and second["tokens"]["refreshToken"] != first["refreshToken"]
    assert gql.post(ME, token=second["tokens"]["accessToken"])["data"]["me"]
    assert refresh(gql, second["tokens"]["refreshToken"])["errors"] == []


def test_refresh_token_presented_twice_at_once_gives_both_the_same_pair(
    server_url: str, gql, schools: TwoSchools
) -> None:
    # given two tabs holding the same refresh token
    token = login(gql, schools.a.logins["class_teacher"])["tokens"]["refreshToken"]
    clients = [httpx.Client(base_url=server_url, timeout=30) for _ in range(2)]
    barrier = threading.Barrier(2)

    def tab(client: httpx.Client) -> dict:
        barrier.wait()
        return client.post("/graphql", json={"query": REFRESH, "variables": {"token": token}}
                           ).json()["data"]["refreshToken"]

    # when both refresh at the same moment
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(tab, clients))
    for client in clients:
        client.close()
    # then both stay logged in, with the same new pair
    assert [a["errors"] for a in answers] == [[], []], answers
    assert answers[0]["tokens"] == answers[1]["tokens"]
    assert gql.post(ME, token=answers[0]["tokens"]["accessToken"])["data"]["me"]


def test_refresh_token_presented_again_within_the_grace_window_gives_the_same_pair(
    gql, schools: TwoSchools
) -> None:
    # given
    first = login(gql, schools.a.logins["teacher"])["tokens"]
    second = refresh(gql, first["refreshToken"])
    # when
    again = refresh(gql, first["refreshToken"])
    # then
    assert again == second


def test_refresh_token_reused_after_the_grace_window_revokes_the_session(
    gql, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given a session rotated a minute ago (the grace window is 30 s)
    first = login(gql, schools.a.logins["admin"])["tokens"]
    second = refresh(gql, first["refreshToken"])["tokens"]
    assert gql.post(ME, token=second["accessToken"])["data"]["me"]
    age_last_rotation(database, second["refreshToken"], 60)
    # when the old refresh token comes back
    reused = refresh(gql, first["refreshToken"])
    # then it is refused, and every token of the session stops working
    assert reused["tokens"] is None
    assert reused["errors"][0]["field"] == "input.refreshToken"
    assert "already used" in reused["errors"][0]["message"]
    body = gql.post(ME, token=second["accessToken"])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refresh(gql, second["refreshToken"])["tokens"] is None


def test_refresh_token_two_rotations_old_revokes_the_session_even_within_the_window(
    gql, schools: TwoSchools
) -> None:
    # given a session rotated twice
    first = login(gql, schools.a.logins["guardian"])["tokens"]
    second = refresh(gql, first["refreshToken"])["tokens"]
    third = refresh(gql, second["refreshToken"])["tokens"]
    # when the first refresh token comes back
    reused = refresh(gql, first["refreshToken"])
    # then
    assert reused["tokens"] is None
    assert refresh(gql, third["refreshToken"])["tokens"] is None
    assert gql.post(ME, token=third["accessToken"])["data"] is None


def test_forged_refresh_token_of_a_session_is_refused_without_ending_it(
    gql, schools: TwoSchools
) -> None:
    # given a session, and a token naming it that it never issued
    tokens = login(gql, schools.a.logins["student"])["tokens"]
    current = refresh(gql, tokens["refreshToken"])["tokens"]
    forged = tokens["refreshToken"].split(".")[0] + ".forged"
    # when
    answer = refresh(gql, forged)
    # then: refused, and the session lives on (knowing its id is not enough to end it)
    assert answer["tokens"] is None
    assert "unknown" in answer["errors"][0]["message"]
    assert refresh(gql, current["refreshToken"])["errors"] == []


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
