"""Web Push subscriptions in the API: a student or guardian registers, lists and unregisters
their own browsers; bad input names the field; staff, officers and other schools are refused."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from sqlalchemy import func, select

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools

REGISTER = """
mutation R($input: RegisterPushSubscriptionInput!) {
  registerPushSubscription(input: $input) {
    subscriptions { id endpoint schoolId } errors { field code message } } }
"""
UNREGISTER = """
mutation U($endpoint: String!) {
  unregisterPushSubscription(input: {endpoint: $endpoint}) {
    removed errors { field code message } } }
"""
LIST = "query { pushSubscriptions { endpoint schoolId } webPushPublicKey }"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def keys() -> dict[str, str]:
    # shapes only: a point's 65 bytes start with 4 (uncompressed); the API checks no curve
    return {"p256dh": b64(b"\x04" + os.urandom(64)), "auth": b64(os.urandom(16))}


def endpoint() -> str:
    return f"https://push.example.test/send/{uuid.uuid4().hex}"


def register(gql, token: str, url: str, **key_values: str) -> dict:
    return gql.post(REGISTER, {"input": {"endpoint": url, "keys": {**keys(), **key_values}}},
                    token=token)["data"]["registerPushSubscription"]


def rows(database: DatabaseUrls, school_id: uuid.UUID, url: str) -> list[uuid.UUID]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return list(s.scalars(select(m.PushSubscription.person_id)
                              .where(m.PushSubscription.endpoint == url)))


def test_a_guardian_registers_lists_and_unregisters_a_browser(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    # given
    guardian = token_for(schools.a.logins["guardian"])
    url = endpoint()
    # when
    made = register(gql, guardian, url)
    # then one subscription in the guardian's school, for the guardian's person
    assert made["errors"] == []
    assert [(s["endpoint"], s["schoolId"]) for s in made["subscriptions"]] == [
        (url, gid("School", schools.a.id))]
    assert rows(database, schools.a.id, url) == [schools.a.people["guardian"]]
    again = register(gql, guardian, url)  # a browser registering again replaces its keys
    assert again["errors"] == [] and again["subscriptions"][0]["id"] == \
        made["subscriptions"][0]["id"]
    listed = gql.post(LIST, token=guardian)["data"]["pushSubscriptions"]
    assert {"endpoint": url, "schoolId": gid("School", schools.a.id)} in listed
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        audited = s.scalars(select(m.AuditEntry.after).where(
            m.AuditEntry.entity == "push_subscriptions", m.AuditEntry.action == "create")).all()
        assert audited and all(url not in str(a) for a in audited)  # the capability stays out
        assert {"person_id": str(schools.a.people["guardian"]),
                "push_service": "push.example.test"} in audited
    removed = gql.post(UNREGISTER, {"endpoint": url},
                       token=guardian)["data"]["unregisterPushSubscription"]
    assert removed == {"removed": 1, "errors": []}
    assert rows(database, schools.a.id, url) == []


def test_bad_subscriptions_name_the_field_and_save_nothing(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    student = token_for(schools.a.logins["student"])
    cases = [("ftp://push.example.test/x", {}, "input.endpoint"),
             ("http://push.example.test/x", {}, "input.endpoint"),  # http only to loopback
             ("https://u:p@push.example.test/x", {}, "input.endpoint"),
             (endpoint(), {"p256dh": b64(b"\x04" * 10)}, "input.keys.p256dh"),
             (endpoint(), {"p256dh": "!!not base64!!"}, "input.keys.p256dh"),
             (endpoint(), {"auth": b64(b"short")}, "input.keys.auth")]
    for url, bad, field in cases:
        result = register(gql, student, url, **bad)
        assert result["subscriptions"] == []
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, "INVALID")], url
        assert rows(database, schools.a.id, url) == []


def test_in_production_an_http_endpoint_is_refused_even_on_loopback(
        gql, token_for, schools: TwoSchools, monkeypatch: pytest.MonkeyPatch) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    url = "http://127.0.0.1:9/push"
    monkeypatch.setenv("ZHURNAL_ENV", "production")
    result = register(gql, guardian, url)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.endpoint", "INVALID")]
    assert "https://" in result["errors"][0]["message"]
    monkeypatch.setenv("ZHURNAL_ENV", "development")
    assert register(gql, guardian, url)["errors"] == []
    gql.post(UNREGISTER, {"endpoint": url}, token=guardian)


def test_staff_officers_and_tokens_may_not_register(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    url = endpoint()
    for login in (schools.a.logins["teacher"], schools.a.logins["admin"],
                  schools.a.logins["class_teacher"], schools.officer_logins["region"]):
        result = register(gql, token_for(login), url)
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.endpoint", "FORBIDDEN")], login
        assert gql.post(LIST, token=token_for(login))["data"]["pushSubscriptions"] == []
    assert rows(database, schools.a.id, url) == []


def test_another_school_neither_sees_nor_unregisters_a_browser(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    # given a browser of school A's guardian
    guardian_a = token_for(schools.a.logins["guardian"])
    url = endpoint()
    assert register(gql, guardian_a, url)["errors"] == []
    try:
        for role in ("guardian", "student", "admin"):
            other = token_for(schools.b.logins[role])
            # when school B's people list theirs or try to remove it
            listed = gql.post(LIST, token=other)["data"]["pushSubscriptions"]
            removed = gql.post(UNREGISTER, {"endpoint": url},
                               token=other)["data"]["unregisterPushSubscription"]
            # then they see nothing of it and it stays
            assert all(s["endpoint"] != url for s in listed)
            assert removed["removed"] == 0
            assert [(e["field"], e["code"]) for e in removed["errors"]] == [
                ("input.endpoint", "NOT_FOUND")]
        # a person of the same school who is not its owner cannot remove it either
        student_a = token_for(schools.a.logins["student"])
        refused = gql.post(UNREGISTER, {"endpoint": url},
                           token=student_a)["data"]["unregisterPushSubscription"]
        assert refused["errors"][0]["code"] == "NOT_FOUND"
        assert rows(database, schools.a.id, url) == [schools.a.people["guardian"]]
    finally:
        gql.post(UNREGISTER, {"endpoint": url}, token=guardian_a)


def test_push_subscriptions_read_in_one_statement_whatever_their_number(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    from tests.sql_counter import count_statements

    guardian = token_for(schools.b.logins["guardian"])
    urls = [endpoint() for _ in range(4)]
    try:
        register(gql, guardian, urls[0])
        with count_statements() as one:
            gql.post(LIST, token=guardian)
        for url in urls[1:]:
            register(gql, guardian, url)
        with count_statements() as four:
            gql.post(LIST, token=guardian)
        assert four.count == one.count
        with owner_session(database.owner) as s:
            set_tenant(s, [schools.b.id])
            assert s.scalar(select(func.count()).select_from(m.PushSubscription).where(
                m.PushSubscription.endpoint.in_(urls))) == 4
    finally:
        for url in urls:
            gql.post(UNREGISTER, {"endpoint": url}, token=guardian)


def test_the_public_key_is_given_to_signed_in_apps_when_web_push_is_configured(
        gql, token_for, schools: TwoSchools, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolvers.notifications.push import new_vapid_keys

    guardian = token_for(schools.a.logins["guardian"])
    monkeypatch.delenv("ZHURNAL_VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("ZHURNAL_VAPID_PUBLIC_KEY", raising=False)
    assert gql.post(LIST, token=guardian)["data"]["webPushPublicKey"] is None
    private, public = new_vapid_keys()
    monkeypatch.setenv("ZHURNAL_VAPID_PRIVATE_KEY", private)
    monkeypatch.setenv("ZHURNAL_VAPID_PUBLIC_KEY", public)
    assert gql.post(LIST, token=guardian)["data"]["webPushPublicKey"] == public
    assert len(base64.urlsafe_b64decode(public + "=")) == 65
    anonymous = gql.post("query { webPushPublicKey }")
    assert anonymous["data"] == {"webPushPublicKey": None}  # signed-in apps only
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
