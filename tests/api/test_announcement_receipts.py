"""Announcement read receipts: the class's students and guardians confirm reading, the class
teacher sees who did; other roles and schools are refused."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import make_journal_group
from tests.sql_counter import count_statements

POST = """
mutation Post($input: PostAnnouncementInput!) {
  postAnnouncement(input: $input) { announcement { id } errors { field code message } } }
"""
READ = """
mutation Read($id: ID!) {
  markAnnouncementRead(input: {announcementId: $id}) { readAt errors { field code message } } }
"""
RECEIPTS = """
query Receipts($id: ID!) {
  announcementReadReceipts(announcementId: $id) { personId studentId name relation readAt } }
"""


def post(gql, token_for, school) -> str:
    made = gql.post(POST, {"input": {"classId": gid("SchoolClass", school.class_id),
                                     "body": f"Собрание {uuid.uuid4().hex[:6]}"}},
                    token=token_for(school.logins["class_teacher"]))["data"]["postAnnouncement"]
    assert made["errors"] == [], made
    return made["announcement"]["id"]


def read(gql, token: str, announcement: str) -> dict:
    return gql.post(READ, {"id": announcement}, token=token)["data"]["markAnnouncementRead"]


def receipts(gql, token: str, announcement: str) -> dict:
    return gql.post(RECEIPTS, {"id": announcement}, token=token)


def test_the_class_teacher_sees_which_families_read_an_announcement(
        gql, token_for, schools: TwoSchools) -> None:
    # given an announcement to school A's class (one student, one guardian)
    school = schools.a
    announcement = post(gql, token_for, school)
    teacher = token_for(school.logins["class_teacher"])
    before = receipts(gql, teacher, announcement)["data"]["announcementReadReceipts"]
    assert {(r["personId"], r["relation"], r["readAt"]) for r in before} == {
        (gid("Person", school.people["student"]), "STUDENT", None),
        (gid("Person", school.people["guardian"]), "GUARDIAN", None)}
    assert all(r["studentId"] == gid("Person", school.people["student"]) for r in before)
    # when the guardian reads it (twice: the first reading counts)
    first = read(gql, token_for(school.logins["guardian"]), announcement)
    again = read(gql, token_for(school.logins["guardian"]), announcement)
    # then
    assert first["errors"] == [] and first["readAt"] is not None
    assert again == first
    after = {r["relation"]: r["readAt"] for r in
             receipts(gql, teacher, announcement)["data"]["announcementReadReceipts"]}
    assert after == {"GUARDIAN": first["readAt"], "STUDENT": None}
    admin = receipts(gql, token_for(school.logins["admin"]), announcement)
    assert len(admin["data"]["announcementReadReceipts"]) == 2


def test_families_read_but_do_not_see_receipts_and_staff_do_not_confirm(
        gql, token_for, schools: TwoSchools) -> None:
    school = schools.a
    announcement = post(gql, token_for, school)
    # a family of the class may confirm, not read who else did
    for role in ("student", "guardian"):
        refused = receipts(gql, token_for(school.logins[role]), announcement)
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the class teacher and an administrator see it but are not its audience
    for role in ("class_teacher", "admin"):
        result = read(gql, token_for(school.logins[role]), announcement)
        assert result["readAt"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.announcementId", "FORBIDDEN")]
    # a teacher of another class neither confirms nor reads the receipts
    teacher = token_for(school.logins["teacher"])
    assert [e["code"] for e in read(gql, teacher, announcement)["errors"]] == ["NOT_FOUND"]
    assert receipts(gql, teacher, announcement)["data"]["announcementReadReceipts"] == []


def test_another_school_neither_confirms_nor_sees_receipts(
        gql, token_for, schools: TwoSchools) -> None:
    announcement = post(gql, token_for, schools.a)
    read(gql, token_for(schools.a.logins["guardian"]), announcement)
    for role in ("admin", "class_teacher", "teacher", "student", "guardian"):
        token = token_for(schools.b.logins[role])
        result = read(gql, token, announcement)
        assert result["readAt"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.announcementId", "NOT_FOUND")], role
        assert receipts(gql, token, announcement)["data"]["announcementReadReceipts"] == []
    officer = token_for(schools.officer_logins["region"])
    assert receipts(gql, officer, announcement)["data"]["announcementReadReceipts"] == []
    assert read(gql, officer, announcement)["errors"][0]["code"] == "NOT_FOUND"


def test_receipts_read_in_statements_that_do_not_grow_with_the_class(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    counts = []
    for size in (1, 6):
        jg = make_journal_group(database.owner, schools.a, students=size, lessons=1)
        announcement = uuid.uuid4()
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            s.execute(text("UPDATE classes SET class_teacher_id = :t WHERE school_id = :s "
                           "AND id = :c"), {"t": jg.teacher_id, "s": jg.school.id,
                                           "c": jg.class_id})
            s.add(m.Announcement(school_id=jg.school.id, id=announcement, class_id=jg.class_id,
                                 author_id=jg.teacher_id, body="Экскурсия"))
        with count_statements() as counted:
            result = receipts(gql, token_for(jg.teacher_login), gid("Announcement",
                                                                   announcement))
        assert len(result["data"]["announcementReadReceipts"]) == size + 1  # and a guardian
        counts.append(counted.count)
    assert counts[0] == counts[1]
