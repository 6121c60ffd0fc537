"""Link codes and unbinding: an existing account comes to a school only with its holder's code."""

from __future__ import annotations

import uuid

import pytest

from db import models as m
from db.engine import DatabaseUrls
from schema.ids import to_global_id
from tests.api.test_people import (
    CREATE_LINK_CODE,
    LOGIN,
    ME,
    UNBIND_PERSON_ACCOUNT,
    add_person,
    audit_rows,
    owner_query,
    payload,
    person_gid,
    school_state,
    tag,
)
from tests.factories import TwoSchools

REDEEM_LINK_CODE = """
mutation Redeem($input: RedeemAccountLinkCodeInput!) {
  redeemAccountLinkCode(input: $input) {
    person { id fullName roles school { name } }
    errors { field code message }
  }
}
"""


def issue(gql, token: str, person: uuid.UUID) -> dict:
    return payload(gql.post(CREATE_LINK_CODE, {"input": {"personId": person_gid(person)}},
                            token=token), "createAccountLinkCode")


def redeem(gql, token: str, code: str) -> dict:
    return payload(gql.post(REDEEM_LINK_CODE, {"input": {"code": code}}, token=token),
                   "redeemAccountLinkCode")


def codes(result: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


@pytest.fixture
def parent(database: DatabaseUrls, schools: TwoSchools) -> tuple[str, uuid.UUID]:
    """A parent with a login in school B, and their person record (no account) in school A."""
    login = f"parent.{tag()}"
    add_person(database, schools.b.id, f"Двушколов{tag()}", m.SchoolRole.GUARDIAN, login=login)
    in_a = add_person(database, schools.a.id, "Двушколов", m.SchoolRole.GUARDIAN,
                      first_name="Анна")
    return login, in_a


def test_link_code_redeemed_by_the_holder_binds_their_account_and_me_shows_the_school(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, parent: tuple[str, uuid.UUID]
) -> None:
    # given
    login, in_a = parent
    issued = issue(gql, token_for(schools.a.logins["admin"]), in_a)
    # when
    result = redeem(gql, token_for(login), issued["code"].lower().replace("-", " "))
    # then
    assert issued["errors"] == [] and issued["person"]["id"] == person_gid(in_a)
    assert result["errors"] == [], result
    assert result["person"]["id"] == person_gid(in_a)
    assert result["person"]["roles"] == ["GUARDIAN"]
    me = payload(gql.post(ME, token=token_for(login)), "me")
    assert me["login"] == login
    assert (schools.a.name, "Двушколов Анна", ["GUARDIAN"]) in [
        (s["school"]["name"], s["person"]["fullName"], s["roles"]) for s in me["schools"]]
    assert len(me["schools"]) == 2
    # both writes audited in school A, the code only by its hash
    [(action, before, after, actor)] = audit_rows(database, schools.a.id, "persons", in_a)[-1:]
    assert action == "update" and before["account_id"] is None and after["account_id"]
    assert str(actor) == str(in_a)
    logged = owner_query(database, schools.a.id, """
        SELECT action, after::text FROM audit_log WHERE school_id = %(school)s
           AND entity = 'account_link_codes' ORDER BY seq""")
    assert [a for a, _ in logged][-2:] == ["create", "update"]
    assert all(issued["code"].replace("-", "") not in text for _, text in logged)
    stored = owner_query(database, schools.a.id, """
        SELECT count(*) FROM account_link_codes WHERE school_id = %(school)s
           AND code_hash = sha256(convert_to(%(code)s, 'UTF8'))""",
        {"code": issued["code"].replace("-", "")})
    assert stored == [(1,)]


def test_link_code_is_single_use(gql, token_for, database: DatabaseUrls, schools: TwoSchools,
                                 parent: tuple[str, uuid.UUID]) -> None:
    # given a code already redeemed, and another account that wants it
    login, in_a = parent
    code = issue(gql, token_for(schools.a.logins["admin"]), in_a)["code"]
    assert redeem(gql, token_for(login), code)["errors"] == []
    other = f"other.{tag()}"
    add_person(database, schools.b.id, f"Другов{tag()}", m.SchoolRole.GUARDIAN, login=other)
    before = school_state(database, schools.a.id)
    # when
    again = redeem(gql, token_for(other), code)
    # then
    assert codes(again) == [("input.code", "NOT_FOUND")]
    assert again["person"] is None
    assert school_state(database, schools.a.id) == before


def test_link_code_past_its_expiry_is_refused(gql, token_for, database: DatabaseUrls,
                                              schools: TwoSchools,
                                              parent: tuple[str, uuid.UUID]) -> None:
    # given a code whose 72 hours have passed
    login, in_a = parent
    code = issue(gql, token_for(schools.a.logins["admin"]), in_a)["code"]
    owner_query(database, schools.a.id, """
        UPDATE account_link_codes SET expires_at = now() - interval '1 second'
         WHERE school_id = %(school)s AND person_id = %(p)s RETURNING id""", {"p": in_a})
    before = school_state(database, schools.a.id)
    # when
    result = redeem(gql, token_for(login), code)
    unknown = redeem(gql, token_for(login), "ZZZZ-ZZZZ-ZZZZ")
    # then: the same answer as for a code that never existed
    assert result["errors"] == unknown["errors"]
    assert codes(result) == [("input.code", "NOT_FOUND")]
    assert school_state(database, schools.a.id) == before


def test_link_code_binds_the_person_it_was_issued_for_and_a_new_one_replaces_it(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, parent: tuple[str, uuid.UUID]
) -> None:
    # given codes for two persons, and a second code for the first
    login, in_a = parent
    token = token_for(schools.a.logins["admin"])
    someone = add_person(database, schools.a.id, f"Посторонний{tag()}", m.SchoolRole.TEACHER)
    first = issue(gql, token, in_a)["code"]
    for_someone = issue(gql, token, someone)["code"]
    second = issue(gql, token, in_a)["code"]
    # when
    replaced = redeem(gql, token_for(login), first)
    result = redeem(gql, token_for(login), second)
    # then: the replaced code is dead; the live one binds its own person, not the other
    assert codes(replaced) == [("input.code", "NOT_FOUND")]
    assert result["person"]["id"] == person_gid(in_a)
    owned = owner_query(database, schools.a.id, """
        SELECT p.id FROM persons p JOIN accounts a ON a.id = p.account_id
         WHERE p.school_id = %(school)s AND a.login = %(l)s""", {"l": login})
    assert owned == [(in_a,)]
    # and a second person of the same school cannot take the same account
    assert codes(redeem(gql, token_for(login), for_someone)) == [("input.code", "INVALID")]


def test_link_code_for_a_person_who_has_an_account_or_malformed_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    before = school_state(database, schools.a.id)
    # when
    has_one = issue(gql, token_for(schools.a.logins["admin"]), schools.a.people["teacher"])
    malformed = redeem(gql, token_for(schools.b.logins["guardian"]), "not a code")
    # then
    assert codes(has_one) == [("input.personId", "INVALID")] and has_one["code"] is None
    assert codes(malformed) == [("input.code", "INVALID")]
    assert school_state(database, schools.a.id) == before


def test_link_code_redeemed_by_an_officer_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a live code for a person of school A
    person = add_person(database, schools.a.id, f"Чиновников{tag()}", m.SchoolRole.ADMINISTRATOR)
    code = issue(gql, token_for(schools.a.logins["admin"]), person)["code"]
    before = school_state(database, schools.a.id)
    # when
    result = redeem(gql, token_for(schools.officer_logins["region"]), code)
    # then: refused, and the code is still good for its real holder
    assert codes(result) == [("input.code", "FORBIDDEN")]
    assert school_state(database, schools.a.id) == before
    holder = f"holder.{tag()}"
    add_person(database, schools.b.id, f"Держателев{tag()}", m.SchoolRole.TEACHER, login=holder)
    assert redeem(gql, token_for(holder), code)["errors"] == []


def test_link_code_redeemed_with_an_integrator_token_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    issued = payload(gql.post("""
        mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) {
          secret errors { message } } }""", {"input": {
        "name": f"links-{tag()}", "scopes": ["READ"], "region": False,
        "schoolId": to_global_id("School", schools.b.id)}},
        token=token_for(schools.b.logins["admin"])), "issueApiToken")
    person = add_person(database, schools.a.id, f"Токенов{tag()}", m.SchoolRole.TEACHER)
    code = issue(gql, token_for(schools.a.logins["admin"]), person)["code"]
    # when
    result = redeem(gql, issued["secret"], code)
    # then
    assert codes(result) == [("input.code", "FORBIDDEN")]


def test_officer_account_cannot_be_bound_even_by_the_database_owner(
    database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given / when: a direct write, past the API
    with pytest.raises(Exception, match="officer"):
        owner_query(database, schools.a.id, """
            UPDATE persons SET account_id = (SELECT o.account_id FROM officer_roles o
                                              JOIN accounts a ON a.id = o.account_id
                                             WHERE a.login = %(l)s)
             WHERE school_id = %(school)s AND id = %(p)s RETURNING id""",
            {"l": schools.officer_logins["region"], "p": schools.a.people["student"]})


def test_unbind_person_account_takes_the_login_away_and_is_audited(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, parent: tuple[str, uuid.UUID]
) -> None:
    # given the parent bound to school A through a code
    login, in_a = parent
    token = token_for(schools.a.logins["admin"])
    assert redeem(gql, token_for(login), issue(gql, token, in_a)["code"])["errors"] == []
    # when
    result = payload(gql.post(UNBIND_PERSON_ACCOUNT, {"input": {"personId": person_gid(in_a)}},
                              token=token), "unbindPersonAccount")
    again = payload(gql.post(UNBIND_PERSON_ACCOUNT, {"input": {"personId": person_gid(in_a)}},
                             token=token), "unbindPersonAccount")
    # then: school A is gone from their `me`, school B stays, and the password still works
    assert result["errors"] == [] and result["person"]["hasAccount"] is False
    assert codes(again) == [("input.personId", "INVALID")]
    me = payload(gql.post(ME, token=token_for(login)), "me")
    assert [s["school"]["name"] for s in me["schools"]] == [schools.b.name]
    assert gql.post(LOGIN, {"input": {"login": login, "password": "a long password"}}
                    )["data"]["login"]["errors"] == []
    [(action, before, after, _)] = audit_rows(database, schools.a.id, "persons", in_a)[-1:]
    assert action == "update" and before["account_id"] and after["account_id"] is None


def test_unbind_own_account_is_refused(gql, token_for, database: DatabaseUrls,
                                      schools: TwoSchools) -> None:
    # given
    before = school_state(database, schools.a.id)
    # when
    result = payload(gql.post(UNBIND_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(schools.a.people["admin"])}},
        token=token_for(schools.a.logins["admin"])), "unbindPersonAccount")
    # then
    assert codes(result) == [("input.personId", "INVALID")]
    assert school_state(database, schools.a.id) == before
