"""Reading the audit log through the API: `auditLog` for administrators, `history` for teachers."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from db import models as m
from db.audit import Change
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.scratch import changes, write_audit
from tests.sql_counter import count_statements

AUDIT_LOG = """
query Log($school: ID!, $entity: String, $entityId: ID, $actorId: ID, $from: DateTime,
          $to: DateTime, $first: Int, $after: String) {
  auditLog(schoolId: $school, entity: $entity, entityId: $entityId, actorId: $actorId,
           from: $from, to: $to, first: $first, after: $after) {
    edges { node { id seq action entity entityId before after requestId occurredAt
                   actorTokenId actor { fullName } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
HISTORY = """
query History($school: ID!, $entityId: ID!) {
  history(schoolId: $school, entityId: $entityId) {
    edges { node { seq entity entityId after actor { fullName } } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { ... on AuditEntry { seq entity } } }"
ISSUE = """
mutation($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { apiToken { id } errors { field code } }
}
"""


def school_gid(school_id: uuid.UUID) -> str:
    return to_global_id("School", school_id)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def log(gql, token: str, school_id: uuid.UUID, **variables: object) -> dict:
    return gql.post(AUDIT_LOG, {"school": school_gid(school_id), **variables}, token=token)


def nodes(body: dict, field: str = "auditLog") -> list[dict]:
    assert "errors" not in body, body
    return [e["node"] for e in body["data"][field]["edges"]]


def lesson_in(database: DatabaseUrls, school_id: uuid.UUID, group_id: uuid.UUID) -> uuid.UUID:
    lesson_id = uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        s.add(m.Lesson(school_id=school_id, id=lesson_id, group_id=group_id,
                       date=date(2015, 10, 1)))
    return lesson_id


def mark_change(school_id: uuid.UUID, mark_id: uuid.UUID, action: str,
                before: dict | None, after: dict | None) -> Change:
    return Change(school_id=school_id, action=action, entity="marks", entity_id=mark_id,
                  before=before, after=after)


def untaught_group(database: DatabaseUrls, schools: TwoSchools) -> uuid.UUID:
    """A cross-class group of school A that nobody teaches."""
    a = schools.a
    with owner_session(database.owner) as s:
        set_tenant(s, [a.id])
        subject_id = s.scalar(select(m.StudyGroup.subject_id).where(
            m.StudyGroup.school_id == a.id, m.StudyGroup.id == a.group_id))
        group_id = uuid.uuid4()
        s.add(m.StudyGroup(school_id=a.id, id=group_id, academic_year_id=a.year_id,
                           subject_id=subject_id, kind=m.GroupKind.CROSS_CLASS,
                           name=unique("Элективный курс")))
    return group_id


# --- auditLog ---------------------------------------------------------------------------------


def test_audit_log_by_an_administrator_lists_changes_newest_first(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given three changes of one object by school A's teacher
    entity = unique("things")
    write_audit(database.app, schools.a.id, *changes(schools.a.id, entity, 3),
                person_id=schools.a.people["teacher"])
    # when
    body = log(gql, token_for(schools.a.logins["admin"]), schools.a.id, entity=entity)
    # then
    entries = nodes(body)
    assert [e["after"] for e in entries] == [{"value": 3}, {"value": 2}, {"value": 1}]
    assert entries[0]["seq"] > entries[1]["seq"] > entries[2]["seq"]
    assert entries[0]["before"] == {"value": 2} and entries[0]["action"] == "update"
    assert uuid.UUID(entries[0]["entityId"])  # the raw id, as stored
    assert entries[0]["actor"] == {"fullName": "Teacherов A"}
    assert entries[0]["requestId"].startswith("test-") and entries[0]["actorTokenId"] is None


def test_audit_log_shows_the_row_written_by_a_mutation(
    gql, token_for, schools: TwoSchools
) -> None:
    # given a token issued through the API
    admin = token_for(schools.a.logins["admin"])
    name = unique("audited")
    issued = gql.post(ISSUE, {"input": {"name": name, "scopes": ["READ"],
                                        "schoolId": school_gid(schools.a.id)}}, token=admin)
    token_id = issued["data"]["issueApiToken"]["apiToken"]["id"]
    # when
    entries = nodes(log(gql, admin, schools.a.id, entity="api_tokens", first=100))
    # then
    mine = [e for e in entries if e["after"]["name"] == name]
    assert len(mine) == 1
    assert mine[0]["action"] == "issue" and mine[0]["actor"] == {"fullName": "Adminов A"}
    assert to_global_id("ApiToken", uuid.UUID(mine[0]["entityId"])) == token_id
    assert "token_hash" not in mine[0]["after"]


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "student", "guardian"])
def test_audit_log_for_other_roles_of_the_school_is_forbidden(
    gql, token_for, schools: TwoSchools, role: str
) -> None:
    body = log(gql, token_for(schools.a.logins[role]), schools.a.id)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_audit_log_for_an_officer_is_empty(gql, token_for, schools: TwoSchools,
                                           database: DatabaseUrls) -> None:
    # given
    write_audit(database.app, schools.a.id, *changes(schools.a.id, unique("things"), 1))
    # when
    body = log(gql, token_for(schools.officer_logins["region"]), schools.a.id)
    # then
    assert nodes(body) == []


def test_audit_log_of_school_a_for_school_b_administrator_is_empty(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    entity = unique("things")
    write_audit(database.app, schools.a.id, *changes(schools.a.id, entity, 2))
    # when
    body = log(gql, token_for(schools.b.logins["admin"]), schools.a.id, entity=entity)
    own = log(gql, token_for(schools.b.logins["admin"]), schools.b.id, entity=entity)
    # then
    assert nodes(body) == [] and nodes(own) == []


def test_audit_log_filters_by_object_author_and_time(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given two objects, changed by the teacher and by the class teacher
    a = schools.a
    entity = unique("things")
    first_id, second_id = uuid.uuid4(), uuid.uuid4()
    write_audit(database.app, a.id, *changes(a.id, entity, 2, entity_id=first_id),
                person_id=a.people["teacher"])
    write_audit(database.app, a.id, *changes(a.id, entity, 1, entity_id=second_id),
                person_id=a.people["class_teacher"])
    admin = token_for(a.logins["admin"])
    # when / then: by object, as a raw UUID
    assert len(nodes(log(gql, admin, a.id, entity=entity, entityId=str(first_id)))) == 2
    # by author
    by_actor = nodes(log(gql, admin, a.id, entity=entity,
                         actorId=to_global_id("Person", a.people["class_teacher"])))
    assert [e["entityId"] for e in by_actor] == [str(second_id)]
    # by time
    occurred = nodes(log(gql, admin, a.id, entity=entity))[-1]["occurredAt"]
    assert len(nodes(log(gql, admin, a.id, entity=entity, **{"from": occurred}))) == 3
    assert nodes(log(gql, admin, a.id, entity=entity, to=occurred)) == []
    assert nodes(log(gql, admin, a.id, entity=entity, **{"from": "2100-01-01T00:00:00Z"})) == []


def test_audit_log_pages_by_seq(gql, token_for, schools: TwoSchools,
                                database: DatabaseUrls) -> None:
    # given
    entity = unique("things")
    write_audit(database.app, schools.a.id, *changes(schools.a.id, entity, 5))
    admin = token_for(schools.a.logins["admin"])
    # when
    page1 = log(gql, admin, schools.a.id, entity=entity, first=3)["data"]["auditLog"]
    page2 = log(gql, admin, schools.a.id, entity=entity, first=3,
                after=page1["pageInfo"]["endCursor"])["data"]["auditLog"]
    # then
    seqs = [e["node"]["seq"] for e in page1["edges"] + page2["edges"]]
    assert len(seqs) == 5 and seqs == sorted(seqs, reverse=True)
    assert page1["pageInfo"]["hasNextPage"] and not page2["pageInfo"]["hasNextPage"]


def test_audit_log_with_a_bad_school_id_names_the_argument(
    gql, token_for, schools: TwoSchools
) -> None:
    body = gql.post(AUDIT_LOG, {"school": to_global_id("Person", schools.a.id)},
                    token=token_for(schools.a.logins["admin"]))
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                               "argument": "schoolId"}


def test_audit_log_runs_the_same_statements_for_3_and_10_entries(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given two objects' logs of 3 and 10 changes by three different people
    a = schools.a
    admin = token_for(a.logins["admin"])
    counts = []
    for size in (3, 10):
        entity = unique("things")
        for i, change in enumerate(changes(a.id, entity, size)):
            write_audit(database.app, a.id, change,
                        person_id=a.people[("teacher", "class_teacher", "admin")[i % 3]])
        # when
        with count_statements() as counter:
            entries = nodes(log(gql, admin, a.id, entity=entity))
        # then
        assert len(entries) == size and all(e["actor"] for e in entries)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_node_gives_an_audit_entry_to_an_administrator_only(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    entity = unique("things")
    write_audit(database.app, schools.a.id, *changes(schools.a.id, entity, 1))
    entry = nodes(log(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                      entity=entity))[0]
    # when
    as_admin = gql.post(NODE, {"id": entry["id"]}, token=token_for(schools.a.logins["admin"]))
    as_teacher = gql.post(NODE, {"id": entry["id"]},
                          token=token_for(schools.a.logins["teacher"]))
    as_b = gql.post(NODE, {"id": entry["id"]}, token=token_for(schools.b.logins["admin"]))
    # then
    assert as_admin["data"]["node"] == {"seq": entry["seq"], "entity": entity}
    assert as_teacher["data"]["node"] is None and as_b["data"]["node"] is None


# --- history ----------------------------------------------------------------------------------


def test_history_of_a_lesson_for_its_teacher_class_teacher_and_administrator(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given a lesson of the group school A's teacher teaches, changed twice
    a = schools.a
    lesson_id = lesson_in(database, a.id, a.group_id)
    write_audit(database.app, a.id, *changes(a.id, "lessons", 2, entity_id=lesson_id),
                person_id=a.people["teacher"])
    variables = {"school": school_gid(a.id), "entityId": str(lesson_id)}
    for role in ("teacher", "class_teacher", "admin"):
        # when
        body = gql.post(HISTORY, variables, token=token_for(a.logins[role]))
        # then
        entries = nodes(body, "history")
        assert [e["after"] for e in entries] == [{"value": 2}, {"value": 1}], role
        assert entries[0]["actor"] == {"fullName": "Teacherов A"}


def test_history_accepts_the_lesson_global_id(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    a = schools.a
    lesson_id = lesson_in(database, a.id, a.group_id)
    write_audit(database.app, a.id, *changes(a.id, "lessons", 1, entity_id=lesson_id))
    body = gql.post(HISTORY, {"school": school_gid(a.id),
                              "entityId": to_global_id("Lesson", lesson_id)},
                    token=token_for(a.logins["teacher"]))
    assert len(nodes(body, "history")) == 1


@pytest.mark.parametrize("role", ["student", "guardian"])
def test_history_of_a_lesson_for_students_and_guardians_answers_as_for_an_unknown_id(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    # given a lesson with history, and an id that names nothing
    a = schools.a
    lesson_id = lesson_in(database, a.id, a.group_id)
    write_audit(database.app, a.id, *changes(a.id, "lessons", 1, entity_id=lesson_id))
    # when
    answers = [gql.post(HISTORY, {"school": school_gid(a.id), "entityId": str(entity)},
                        token=token_for(a.logins[role])) for entity in (lesson_id, uuid.uuid4())]
    # then: alike, so the answer does not tell that the lesson exists
    assert answers[0] == answers[1]
    assert nodes(answers[0], "history") == []


@pytest.mark.parametrize("role", ["teacher", "class_teacher"])
def test_history_of_a_lesson_the_teacher_does_not_teach_answers_as_for_an_unknown_id(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    # given a lesson of a group nobody teaches, and an id that names nothing
    a = schools.a
    lesson_id = lesson_in(database, a.id, untaught_group(database, schools))
    write_audit(database.app, a.id, *changes(a.id, "lessons", 1, entity_id=lesson_id))
    # when
    answers = [gql.post(HISTORY, {"school": school_gid(a.id), "entityId": str(entity)},
                        token=token_for(a.logins[role])) for entity in (lesson_id, uuid.uuid4())]
    # then
    assert answers[0] == answers[1]
    assert nodes(answers[0], "history") == []


def test_history_of_a_deleted_mark_follows_its_last_snapshot(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given a mark of the teacher's group that exists only in the log (created, deleted)
    a = schools.a
    mark_id = uuid.uuid4()
    snapshot = {"group_id": str(a.group_id), "student_id": str(a.people["student"])}
    write_audit(database.app, a.id,
                mark_change(a.id, mark_id, "create", None, snapshot),
                mark_change(a.id, mark_id, "delete", snapshot, None))
    # when
    body = gql.post(HISTORY, {"school": school_gid(a.id), "entityId": str(mark_id)},
                    token=token_for(a.logins["teacher"]))
    # then
    assert [e["after"] for e in nodes(body, "history")] == [None, snapshot]


def test_history_of_school_a_for_school_b_is_empty(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    a = schools.a
    lesson_id = lesson_in(database, a.id, a.group_id)
    write_audit(database.app, a.id, *changes(a.id, "lessons", 1, entity_id=lesson_id))
    for viewer in (schools.b.logins["admin"], schools.b.logins["teacher"],
                   schools.officer_logins["region"]):
        body = gql.post(HISTORY, {"school": school_gid(a.id), "entityId": str(lesson_id)},
                        token=token_for(viewer))
        assert nodes(body, "history") == [], viewer
