"""Notifications in the API: an administrator's dead letters and their retry, and a student's
or guardian's own preferences; cross-school and wrong-role negatives for each field."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from strawberry import relay

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

DEAD = """
query Dead($schoolId: ID!) {
  notificationDeadLetters(schoolId: $schoolId, first: 50) {
    edges { node { id channel status attempts lastError idempotencyKey
                   recipient { id } } }
  }
}
"""
RETRY = """
mutation Retry($id: ID!) {
  retryNotification(input: {id: $id}) {
    delivery { id status attempts }
    errors { field code message }
  }
}
"""
SET = """
mutation Set($input: SetNotificationPreferencesInput!) {
  setNotificationPreferences(input: $input) {
    preferences { email emailEnabled events quietFrom quietUntil emailMode messagesByEmail }
    errors { field code message }
  }
}
"""
GET = """
query Get($personId: ID!) {
  notificationPreferences(personId: $personId) { email emailEnabled events }
}
"""
GET_MODE = """
query Get($personId: ID!) {
  notificationPreferences(personId: $personId) { emailMode messagesByEmail }
}
"""
NODE = "query N($id: ID!) { node(id: $id) { ... on NotificationDelivery { status } } }"


def dead_letter(database: DatabaseUrls, school_id: uuid.UUID, recipient: uuid.UUID) -> uuid.UUID:
    """A delivery whose every attempt failed, written as the owner."""
    outbox, delivery = uuid.uuid4(), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        s.add(m.NotificationOutbox(school_id=school_id, id=outbox, kind="mark", entity="marks",
                                   op="insert", entity_id=uuid.uuid4(), student_id=None))
        s.flush()
        s.add(m.NotificationDelivery(school_id=school_id, id=delivery, outbox_id=outbox,
                                     recipient_id=recipient, channel="email",
                                     idempotency_key=f"{outbox}:{recipient}:email",
                                     status="dead", attempts=6, last_error="550 no mailbox"))
    return delivery


def test_an_administrator_lists_and_retries_a_dead_letter(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    delivery = dead_letter(database, schools.a.id, schools.a.people["guardian"])
    admin = token_for(schools.a.logins["admin"])
    nodes = [e["node"] for e in gql.post(DEAD, {"schoolId": gid("School", schools.a.id)},
                                         token=admin)["data"]["notificationDeadLetters"]["edges"]]
    mine = [n for n in nodes if n["id"] == gid("NotificationDelivery", delivery)]
    assert mine == [{"id": gid("NotificationDelivery", delivery), "channel": "email",
                     "status": "dead", "attempts": 6, "lastError": "550 no mailbox",
                     "idempotencyKey": mine[0]["idempotencyKey"],
                     "recipient": {"id": gid("Person", schools.a.people["guardian"])}}]
    result = gql.post(RETRY, {"id": gid("NotificationDelivery", delivery)},
                      token=admin)["data"]["retryNotification"]
    assert result["errors"] == []
    assert result["delivery"]["status"] == "pending" and result["delivery"]["attempts"] == 0
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        audit = s.scalar(select(m.AuditEntry).where(m.AuditEntry.entity_id == delivery))
        assert audit is not None and audit.action == "retry"
    # a second retry finds nothing dead
    again = gql.post(RETRY, {"id": gid("NotificationDelivery", delivery)},
                     token=admin)["data"]["retryNotification"]
    assert again["delivery"] is None
    assert again["errors"][0]["field"] == "input.id" and again["errors"][0]["code"] == "CONFLICT"


def test_dead_letters_of_another_school_are_not_seen_nor_retried(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    delivery = dead_letter(database, schools.a.id, schools.a.people["guardian"])
    other_admin = token_for(schools.b.logins["admin"])
    listed = gql.post(DEAD, {"schoolId": gid("School", schools.a.id)}, token=other_admin)
    assert listed["data"]["notificationDeadLetters"]["edges"] == []
    own = gql.post(DEAD, {"schoolId": gid("School", schools.b.id)}, token=other_admin)
    assert gid("NotificationDelivery", delivery) not in str(own)
    retried = gql.post(RETRY, {"id": gid("NotificationDelivery", delivery)},
                       token=other_admin)["data"]["retryNotification"]
    assert retried["delivery"] is None
    assert retried["errors"][0]["code"] == "NOT_FOUND"
    node = gql.post(NODE, {"id": gid("NotificationDelivery", delivery)}, token=other_admin)
    assert node["data"]["node"] is None
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        assert s.get(m.NotificationDelivery, (schools.a.id, delivery)).status == "dead"


def test_dead_letters_are_refused_to_every_role_but_the_administrator(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    delivery = dead_letter(database, schools.a.id, schools.a.people["guardian"])
    for role in ("teacher", "class_teacher", "student", "guardian"):
        token = token_for(schools.a.logins[role])
        listed = gql.post(DEAD, {"schoolId": gid("School", schools.a.id)}, token=token)
        assert listed["data"] is None or listed["data"]["notificationDeadLetters"] is None
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, listed)
        retried = gql.post(RETRY, {"id": gid("NotificationDelivery", delivery)},
                           token=token)["data"]["retryNotification"]
        assert retried["delivery"] is None and retried["errors"][0]["code"] == "NOT_FOUND"
        node = gql.post(NODE, {"id": gid("NotificationDelivery", delivery)}, token=token)
        assert node["data"]["node"] is None, role
    officer = token_for(schools.officer_logins["region"])
    listed = gql.post(DEAD, {"schoolId": gid("School", schools.a.id)}, token=officer)
    assert listed["data"]["notificationDeadLetters"]["edges"] == []
    anonymous = gql.post(DEAD, {"schoolId": gid("School", schools.a.id)})
    assert anonymous["data"] is None


def test_the_dead_letters_list_reads_in_statements_that_do_not_grow_with_it(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    admin = token_for(schools.b.logins["admin"])
    variables = {"schoolId": gid("School", schools.b.id)}
    dead_letter(database, schools.b.id, schools.b.people["guardian"])
    with count_statements() as few:
        gql.post(DEAD, variables, token=admin)
    for _ in range(5):
        dead_letter(database, schools.b.id, schools.b.people["student"])
    with count_statements() as many:
        result = gql.post(DEAD, variables, token=admin)
    assert len(result["data"]["notificationDeadLetters"]["edges"]) >= 6
    assert many.count == few.count, (few.statements, many.statements)


def test_a_guardian_sets_and_reads_their_own_preferences(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    guardian = token_for(schools.b.logins["guardian"])
    person = gid("Person", schools.b.people["guardian"])
    result = gql.post(SET, {"input": {
        "personId": person, "email": "parent@example.test", "events": ["MARK", "GRADE"],
        "quietFrom": "22:00:00", "quietUntil": "07:00:00", "emailMode": "DAILY_DIGEST",
        "messagesByEmail": False}},
        token=guardian)["data"]["setNotificationPreferences"]
    assert result["errors"] == []
    assert result["preferences"] == {"email": "parent@example.test", "emailEnabled": True,
                                     "events": ["GRADE", "MARK"], "quietFrom": "22:00:00",
                                     "quietUntil": "07:00:00", "emailMode": "DAILY_DIGEST",
                                     "messagesByEmail": False}
    read = gql.post(GET, {"personId": person}, token=guardian)["data"]
    assert read["notificationPreferences"]["email"] == "parent@example.test"
    # replaced whole
    gql.post(SET, {"input": {"personId": person, "email": "p2@example.test",
                             "emailEnabled": False}}, token=guardian)
    read = gql.post(GET, {"personId": person}, token=guardian)["data"]
    assert read["notificationPreferences"] == {"email": "p2@example.test",
                                               "emailEnabled": False, "events": None}
    assert gql.post(GET_MODE, {"personId": person}, token=guardian)["data"][
        "notificationPreferences"] == {"emailMode": "IMMEDIATE", "messagesByEmail": True}
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.b.id])
        actions = s.scalars(select(m.AuditEntry.action).where(
            m.AuditEntry.entity == "notification_preferences")).all()
        assert "create" in actions and "update" in actions


def test_bad_preferences_name_the_field_and_save_nothing(
        gql, token_for, schools: TwoSchools) -> None:
    student = token_for(schools.a.logins["student"])
    person = gid("Person", schools.a.people["student"])
    cases = [({"email": "not an address"}, "input.email", "INVALID"),
             ({}, "input.email", "REQUIRED"),
             ({"email": "s@example.test", "quietFrom": "22:00:00"}, "input.quietUntil",
              "REQUIRED")]
    for extra, field, code in cases:
        result = gql.post(SET, {"input": {"personId": person, **extra}},
                          token=student)["data"]["setNotificationPreferences"]
        assert result["preferences"] is None
        assert {(e["field"], e["code"]) for e in result["errors"]} >= {(field, code)}, result
    assert gql.post(GET, {"personId": person},
                    token=student)["data"]["notificationPreferences"] is None
    bad_kind = gql.post(SET, {"input": {"personId": person, "email": "s@example.test",
                                        "events": ["SALARY"]}}, token=student)
    assert bad_kind["data"] is None and "SALARY" in bad_kind["errors"][0]["message"]


def test_preferences_are_refused_for_staff_and_for_another_person(
        gql, token_for, schools: TwoSchools) -> None:
    guardian_b = token_for(schools.b.logins["guardian"])
    gql.post(SET, {"input": {"personId": gid("Person", schools.b.people["guardian"]),
                             "email": "b@example.test"}}, token=guardian_b)
    cases = [("teacher", schools.a.people["teacher"], "FORBIDDEN"),  # one's own, but staff
             ("admin", schools.a.people["admin"], "FORBIDDEN"),
             ("guardian", schools.a.people["student"], "NOT_FOUND"),  # their child's: no
             ("guardian", schools.b.people["guardian"], "NOT_FOUND"),  # another school's
             ("student", schools.a.people["guardian"], "NOT_FOUND")]
    for role, person, code in cases:
        token = token_for(schools.a.logins[role])
        result = gql.post(SET, {"input": {"personId": gid("Person", person),
                                          "email": "x@example.test"}},
                          token=token)["data"]["setNotificationPreferences"]
        assert result["preferences"] is None
        assert result["errors"][0]["field"] == "input.personId"
        assert result["errors"][0]["code"] == code, (role, result)
        read = gql.post(GET, {"personId": gid("Person", schools.b.people["guardian"])},
                        token=token)["data"]["notificationPreferences"]
        assert read is None
    assert gql.post(GET, {"personId": gid("Person", schools.b.people["guardian"])},
                    token=guardian_b)["data"]["notificationPreferences"] is not None


ISSUE = """mutation I($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { apiToken { id } errors { field code message } } }"""
CREATE = """mutation C($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url apiTokenId } secret
                                 errors { field code message } } }"""
HOOKS = "query { webhooks(first: 100) { edges { node { id url } } } }"
LOG = """query L($id: ID!) { webhookDeliveries(webhookId: $id) { edges { node { id } } } }"""
DELETE = """mutation D($id: ID!) { deleteWebhook(input: {id: $id}) {
  deletedId errors { field code } } }"""
REPLAY = """mutation R($id: ID!) { replayWebhookDelivery(input: {id: $id}) {
  delivery { status } errors { field code } } }"""
NODE_HOOK = "query N($id: ID!) { node(id: $id) { ... on Webhook { url } } }"


def school_token(gql, token_for, schools: TwoSchools, scopes=("READ",)) -> str:
    admin = token_for(schools.a.logins["admin"])
    issued = gql.post(ISSUE, {"input": {"name": f"t-{uuid.uuid4().hex[:6]}",
                                        "scopes": list(scopes),
                                        "schoolId": gid("School", schools.a.id)}},
                      token=admin)["data"]["issueApiToken"]
    assert issued["errors"] == [], issued
    return issued["apiToken"]["id"]


def test_an_administrator_creates_lists_and_deletes_a_webhook(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    admin = token_for(schools.a.logins["admin"])
    token_id = school_token(gql, token_for, schools)
    made = gql.post(CREATE, {"input": {"tokenId": token_id, "url": "https://example.test/h"}},
                    token=admin)["data"]["createWebhook"]
    assert made["errors"] == [] and made["webhook"]["apiTokenId"] == token_id
    hook = made["webhook"]["id"]
    listed = [e["node"]["id"] for e in gql.post(HOOKS, token=admin)["data"]["webhooks"]["edges"]]
    assert hook in listed
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        audit = s.scalar(select(m.AuditEntry).where(
            m.AuditEntry.entity == "webhooks", m.AuditEntry.action == "create",
            m.AuditEntry.entity_id == uuid.UUID(
                relay.GlobalID.from_id(hook).node_id)))
        assert audit is not None and "secret" not in (audit.after or {})
        assert made["secret"] not in str(audit.after)
    deleted = gql.post(DELETE, {"id": hook}, token=admin)["data"]["deleteWebhook"]
    assert deleted == {"deletedId": hook, "errors": []}
    listed = [e["node"]["id"] for e in gql.post(HOOKS, token=admin)["data"]["webhooks"]["edges"]]
    assert hook not in listed


def test_bad_webhook_input_names_the_field(gql, token_for, schools: TwoSchools) -> None:
    admin = token_for(schools.a.logins["admin"])
    token_id = school_token(gql, token_for, schools)
    aggregates_only = school_token(gql, token_for, schools, scopes=("READ_AGGREGATES",))
    for tid, url, field in ((token_id, "ftp://example.test/x", "input.url"),
                            (token_id, "https://user:pw@example.test/", "input.url"),
                            (token_id, "not a url", "input.url"),
                            (aggregates_only, "https://example.test/", "input.tokenId")):
        result = gql.post(CREATE, {"input": {"tokenId": tid, "url": url}},
                          token=admin)["data"]["createWebhook"]
        assert result["webhook"] is None and result["secret"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, "INVALID")], url


def test_webhooks_of_another_school_or_role_are_refused(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    admin = token_for(schools.a.logins["admin"])
    token_id = school_token(gql, token_for, schools)
    hook = gql.post(CREATE, {"input": {"tokenId": token_id, "url": "https://example.test/h"}},
                    token=admin)["data"]["createWebhook"]["webhook"]["id"]
    # a webhook delivery of school A, straight into the database
    hook_uuid = uuid.UUID(relay.GlobalID.from_id(hook).node_id)
    outbox, delivery = uuid.uuid4(), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        s.add(m.NotificationOutbox(school_id=schools.a.id, id=outbox, kind="mark",
                                   entity="marks", op="insert", entity_id=uuid.uuid4()))
        s.flush()
        s.add(m.NotificationDelivery(school_id=schools.a.id, id=delivery, outbox_id=outbox,
                                     webhook_id=hook_uuid, channel="webhook",
                                     idempotency_key=f"{outbox}:{hook_uuid}:webhook",
                                     status="sent", attempts=1))
    attackers = [("B admin", schools.b.logins["admin"], "NOT_FOUND"),
                 ("A teacher", schools.a.logins["teacher"], "FORBIDDEN"),
                 ("A guardian", schools.a.logins["guardian"], "FORBIDDEN"),
                 ("officer", schools.officer_logins["region"], "NOT_FOUND")]
    for label, login, create_code in attackers:
        token = token_for(login)
        made = gql.post(CREATE, {"input": {"tokenId": token_id, "url": "https://evil.test/"}},
                        token=token)["data"]["createWebhook"]
        assert made["webhook"] is None
        assert made["errors"][0]["code"] == create_code, (label, made)
        listed = gql.post(HOOKS, token=token)["data"]["webhooks"]["edges"]
        assert hook not in str(listed), label
        assert gql.post(LOG, {"id": hook}, token=token)["data"]["webhookDeliveries"][
            "edges"] == [], label
        assert gql.post(NODE_HOOK, {"id": hook}, token=token)["data"]["node"] is None, label
        deleted = gql.post(DELETE, {"id": hook}, token=token)["data"]["deleteWebhook"]
        assert deleted["deletedId"] is None and deleted["errors"][0]["code"] == "NOT_FOUND"
        replayed = gql.post(REPLAY, {"id": gid("NotificationDelivery", delivery)},
                            token=token)["data"]["replayWebhookDelivery"]
        assert replayed["delivery"] is None
        assert replayed["errors"][0]["code"] == "NOT_FOUND", label
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        assert s.get(m.NotificationDelivery, (schools.a.id, delivery)).status == "sent"
        assert s.get(m.Webhook, (schools.a.id, hook_uuid)) is not None
    # the administrator may replay it
    replayed = gql.post(REPLAY, {"id": gid("NotificationDelivery", delivery)},
                        token=admin)["data"]["replayWebhookDelivery"]
    assert replayed == {"delivery": {"status": "pending"}, "errors": []}


def test_in_production_a_webhook_must_be_https(
        gql, token_for, schools: TwoSchools, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = token_for(schools.a.logins["admin"])
    token_id = school_token(gql, token_for, schools)

    def create(url: str) -> dict:
        return gql.post(CREATE, {"input": {"tokenId": token_id, "url": url}},
                        token=admin)["data"]["createWebhook"]

    # in development, http:// reaches the machine itself only (a test's or developer's receiver)
    local = create("http://127.0.0.1:9/hook")
    assert local["errors"] == []
    outside = create("http://integrator.example.test/hook")
    assert [(e["field"], e["code"]) for e in outside["errors"]] == [("input.url", "INVALID")]
    # in production, no http:// at all, with a message saying why
    monkeypatch.setenv("ZHURNAL_ENV", "production")
    refused = create("http://127.0.0.1:9/hook")
    assert refused["webhook"] is None and refused["secret"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("input.url", "INVALID")]
    assert "https://" in refused["errors"][0]["message"]
    assert "production" in refused["errors"][0]["message"]
    made = create("https://integrator.example.test/hook")
    assert made["errors"] == []
    for hook in (local, made):
        gql.post(DELETE, {"id": hook["webhook"]["id"]}, token=admin)
