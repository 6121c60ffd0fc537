"""Kept access contexts across processes: a change made through one server process is seen by
another on its very next request (issue 18: never a revoked session, never a removed role).

Two processes serve one database, as `zhurnal serve --workers 2` does: the suite's in-process
server (`gql`, process 1) and a `zhurnal serve` subprocess (process 2) with the same key, both
keeping access contexts (on by default). Each test first makes process 2 keep the viewer's
context, then changes something through process 1 (or as the owner) and asks process 2 at
once, without waiting for anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bench.server import real_server
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from tests.api.test_auth import LOGIN, LOGOUT
from tests.api.test_diary import DIARY, FIRST, diary_vars
from tests.factories import PASSWORD, TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.server_fixture import TEST_SETTINGS, GraphQLClient

ME = "query { me { login schools { roles } groups { name } children { fullName } } }"


@pytest.fixture(scope="module")
def other_process(database: DatabaseUrls, schools: TwoSchools) -> Iterator[GraphQLClient]:
    with real_server(database, secret_key=TEST_SETTINGS.secret_key) as (base, _memory):
        client = GraphQLClient(base)
        yield client
        client.http.close()


@pytest.fixture()
def group(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=1, lessons=2)


def kept_by(client: GraphQLClient, token: str) -> dict:
    """`me` twice through `client`: the second answer comes from the kept context."""
    first = client.post(ME, token=token)
    assert "errors" not in first, first
    assert client.post(ME, token=token) == first
    return first["data"]["me"]


def test_a_session_logged_out_in_one_process_is_refused_by_another_at_once(
    gql, other_process: GraphQLClient, group: JournalGroup,
) -> None:
    # given a teacher logged in, their context kept by process 2
    tokens = gql.post(LOGIN, {"login": group.teacher_login, "password": PASSWORD}
                      )["data"]["login"]["tokens"]
    access = tokens["accessToken"]
    assert kept_by(other_process, access)["login"] == group.teacher_login
    # when they log out through process 1
    assert gql.post(LOGOUT, {"token": None}, token=access)["data"]["logout"]["revoked"]
    # then process 2 refuses the access token on its very next request
    body = other_process.post(ME, token=access)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_role_removed_in_one_process_is_gone_in_another_at_once(
    gql, other_process: GraphQLClient, group: JournalGroup, database: DatabaseUrls,
    token_for,
) -> None:
    # given the teacher's context (role and group) kept by process 2
    token = token_for(group.teacher_login)
    kept = kept_by(other_process, token)
    assert kept["schools"][0]["roles"] == ["TEACHER"] and kept["groups"]
    # when the role and the assignment are removed (committed by another process)
    with owner_session(database.owner) as s:
        set_tenant(s, [group.school.id])
        s.execute(
            text(
                "DELETE FROM teacher_assignments WHERE school_id = :s AND teacher_id = :t"),
            {"s": group.school.id, "t": group.teacher_id})
        s.execute(
            text(
                "DELETE FROM person_roles WHERE school_id = :s AND person_id = :t"),
            {"s": group.school.id, "t": group.teacher_id})
    # then process 2's very next answer has neither
    me = other_process.post(ME, token=token)["data"]["me"]
    assert me["schools"][0]["roles"] == [] and me["groups"] == []


def test_a_guardianship_removed_closes_the_childs_diary_in_another_process_at_once(
    gql, other_process: GraphQLClient, group: JournalGroup, database: DatabaseUrls,
    token_for,
) -> None:
    # given the guardian reads their child's diary through process 2
    token = token_for(group.guardian_login)
    variables = diary_vars(group.students[0], FIRST, FIRST + timedelta(days=6))
    assert kept_by(other_process, token)["children"]
    assert other_process.post(DIARY, variables, token=token)["data"]["diary"] is not None
    # when the guardianship is removed (committed by another process)
    with owner_session(database.owner) as s:
        set_tenant(s, [group.school.id])
        s.execute(text(
            "DELETE FROM guardianships WHERE school_id = :s AND guardian_id = :g"),
            {"s": group.school.id, "g": group.guardian_id})
    # then process 2 refuses the diary at once
    body = other_process.post(DIARY, variables, token=token)
    assert body["data"] is None or body["data"]["diary"] is None, body
