"""Regression of an attack run: a school administrator bound another school's (or an
officer's) account to one of their own people by its login alone, with `setPersonAccount` or
the «Логин» column of `importPeople`, and the error told whether a login existed anywhere.

Every attempt must be refused, write nothing, and answer in the same words for a login of
another school, an officer's login and a login that exists nowhere.
"""

from __future__ import annotations

import uuid

import pytest

from db import models as m
from db.engine import DatabaseUrls
from tests.api.test_people import (
    ME,
    SET_PERSON_ACCOUNT,
    add_person,
    owner_query,
    payload,
    person_gid,
    school_state,
    tag,
)
from tests.api.test_people_import import IMPORT, FreshSchool, csv_bytes, fresh, variables
from tests.factories import TwoSchools

__all__ = ["fresh"]  # the import tests' fixture, used here


def victims(schools: TwoSchools) -> dict[str, str]:
    """Logins B's administrator must not bind: school A's administrator, the regional officer,
    and (for comparison) a login nobody has."""
    return {"another school's": schools.a.logins["admin"],
            "an officer's": schools.officer_logins["region"],
            "unknown": f"nobody.{tag()}"}


def accounts_of(database: DatabaseUrls, school_id: uuid.UUID, login: str) -> list[tuple]:
    return owner_query(database, school_id, """
        SELECT p.id FROM persons p JOIN accounts a ON a.id = p.account_id
         WHERE p.school_id = %(school)s AND a.login = %(l)s""", {"l": login})


def test_set_person_account_binds_no_existing_account_and_reveals_no_login(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a person of school B and the logins B's administrator goes for
    target = add_person(database, schools.b.id, f"Захватов{tag()}", m.SchoolRole.ADMINISTRATOR)
    token = token_for(schools.b.logins["admin"])
    before = school_state(database, schools.b.id)
    # when: the attack as it was (login only), in any case of the letters
    results = {who: payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(target), "login": login.upper()}}, token=token),
        "setPersonAccount") for who, login in victims(schools).items()}
    # then: refused alike, whoever the login belongs to, and nothing written
    answers = {who: (r["person"], r["errors"]) for who, r in results.items()}
    assert answers["another school's"] == answers["an officer's"] == answers["unknown"]
    [error] = results["unknown"]["errors"]
    assert (error["field"], error["code"]) == ("input.password", "REQUIRED")
    assert "createAccountLinkCode" in error["message"]
    assert school_state(database, schools.b.id) == before
    for login in victims(schools).values():
        assert accounts_of(database, schools.b.id, login) == []
    # the officer still reads aggregates only: no school has come to their `me`
    me = payload(gql.post(ME, token=token_for(schools.officer_logins["region"])), "me")
    assert me["schools"] == []


@pytest.mark.parametrize("who", ["another school's", "an officer's"])
def test_set_person_account_with_a_password_and_a_taken_login_creates_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, who: str
) -> None:
    # given
    target = add_person(database, schools.b.id, f"Паролев{tag()}", m.SchoolRole.TEACHER)
    login = victims(schools)[who]
    before = school_state(database, schools.b.id)
    # when
    result = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(target), "login": login, "password": "a long password"}},
        token=token_for(schools.b.logins["admin"])), "setPersonAccount")
    # then: a taken login, in the words used for every taken login, and no binding
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.login", "DUPLICATE")]
    assert "another school" not in result["errors"][0]["message"]
    assert school_state(database, schools.b.id) == before
    assert accounts_of(database, schools.b.id, login) == []


def test_import_people_binds_no_existing_account_by_its_login(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, fresh: FreshSchool
) -> None:
    # given a file whose «Логин» cells name another school's administrator and an officer
    foreign, officer = schools.a.logins["admin"], schools.officer_logins["region"]
    content = csv_bytes(f"x1;учитель;Захватов;Иван;;;;;;{foreign}",
                        f"x2;учитель;Захватов;Пётр;;;;;;{officer}")
    before = school_state(database, fresh.id)
    # when
    result = gql.post(IMPORT, variables(fresh, content),
                      token=token_for(fresh.admin_login))["data"]["importPeople"]
    # then: one row problem each, in the same words but for the login itself
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.file.rows.2.login", "DUPLICATE"), ("input.file.rows.3.login", "DUPLICATE")]
    first, second = (e["message"] for e in result["errors"])
    assert first.replace(foreign, "L").replace("row 2", "row N") == \
        second.replace(officer, "L").replace("row 3", "row N")
    assert "createAccountLinkCode" in first
    assert result["created"] == 0 and result["accounts"] == []
    assert school_state(database, fresh.id) == before
    assert accounts_of(database, fresh.id, foreign) == accounts_of(database, fresh.id,
                                                                   officer) == []


def test_import_people_still_creates_an_account_for_a_new_login(
    gql, token_for, database: DatabaseUrls, fresh: FreshSchool
) -> None:
    # given
    login = f"imp.new.{tag()}"
    content = csv_bytes(f"n1;учитель;Новиков;Иван;;;;;;{login}")
    # when
    result = gql.post(IMPORT, variables(fresh, content),
                      token=token_for(fresh.admin_login))["data"]["importPeople"]
    # then
    assert result["errors"] == []
    assert [a["login"] for a in result["accounts"]] == [login]
    assert len(accounts_of(database, fresh.id, login)) == 1
