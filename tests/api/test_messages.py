"""Messages and class announcements over the real HTTP endpoint: who may write to whom, read
receipts, officers and tokens see nothing, cross-school and wrong-role negatives for every
field, bad input named by field, a constant number of statements for the thread list, and the
email a message sends (through the real worker and an in-process SMTP server)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry import relay

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id as gid
from tests.factories import PASSWORD, TwoSchools
from tests.sql_counter import count_statements
from tests.system.test_notifications import drain, prefer, sessions, smtp  # noqa: F401

START = """
mutation Start($input: StartMessageThreadInput!) {
  startMessageThread(input: $input) {
    thread { id readAt student { id } staff { id }
             participants { readAt personId name }
             messages(first: 10) { edges { node { body mine author { id } } } } }
    errors { field code message }
  }
}
"""
SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id body mine } errors { field code message } }
}
"""
READ = """
mutation Read($input: MarkThreadReadInput!) {
  markThreadRead(input: $input) {
    thread { id readAt participants { readAt personId name } }
    errors { field code message }
  }
}
"""
THREADS = """
query Threads($schoolId: ID!) {
  messageThreads(schoolId: $schoolId, first: 50) {
    edges { node { id readAt createdAt student { id }
                   messages(first: 10) { edges { node { body } } } } }
  }
}
"""
THREADS_FLAT = """
query Threads($schoolId: ID!) {
  messageThreads(schoolId: $schoolId, first: 50) {
    edges { node { id readAt createdAt student { id fullName } staff { id } } }
  }
}
"""
POST = """
mutation Post($input: PostAnnouncementInput!) {
  postAnnouncement(input: $input) {
    announcement { id body classId author { id } } errors { field code message }
  }
}
"""
ANNOUNCEMENTS = """
query A($schoolId: ID!) {
  announcements(schoolId: $schoolId, first: 50) { edges { node { id body classId } } }
}
"""
ISSUE = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { secret errors { field code message } }
}
"""


@pytest.fixture(autouse=True, scope="module")
def _no_messages_left_for_other_modules(database: DatabaseUrls, schools: TwoSchools):
    """The messages written here are not fanned out to addresses other modules set later
    (their tests count the emails a school's guardian receives)."""
    yield
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        s.execute(text("UPDATE notification_outbox SET fanned_out_at = clock_timestamp() "
                       "WHERE kind = 'message' AND fanned_out_at IS NULL"))


def person(key: str, schools: TwoSchools, school: str = "a") -> str:
    return gid("Person", getattr(schools, school).people[key])


def start(gql, token: str, student: str, body: str = "Добрый день", **extra: object) -> dict:
    return gql.post(START, {"input": {"studentId": student, "body": body, **extra}},
                    token=token)["data"]["startMessageThread"]


def other_teacher(database: DatabaseUrls, school_id: uuid.UUID) -> str:
    """A teacher of the school who teaches no group and leads no class; their login."""
    login = f"teacher.{uuid.uuid4().hex[:8]}"
    with owner_session(database.owner) as s:
        account = m.Account(id=uuid.uuid4(), login=login, password_hash=hash_password(PASSWORD))
        s.add(account)
        s.flush()
        set_tenant(s, [school_id])
        p = m.Person(school_id=school_id, id=uuid.uuid4(), account_id=account.id,
                     last_name="Посторонний", first_name="Учитель")
        s.add(p)
        s.flush()
        s.add(m.PersonRole(school_id=school_id, person_id=p.id, role=m.SchoolRole.TEACHER))
    return login


def person_of(database: DatabaseUrls, login: str) -> uuid.UUID:
    with owner_session(database.owner) as s:
        return s.scalar(select(m.Person.id).join(m.Account, m.Account.id == m.Person.account_id)
                        .where(m.Account.login == login))


def count(database: DatabaseUrls, school_id: uuid.UUID, model: type, **where: object) -> int:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.scalar(stmt) or 0


def test_a_guardian_writes_to_their_childs_teacher_who_reads_and_answers(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    teacher = token_for(schools.a.logins["teacher"])
    result = start(gql, guardian, person("student", schools), "Вопрос про контрольную",
                   teacherId=person("teacher", schools))
    assert result["errors"] == []
    thread = result["thread"]
    assert thread["student"] == {"id": person("student", schools)}
    assert thread["staff"] == {"id": person("teacher", schools)}
    assert thread["readAt"] is not None  # the writer has read what they wrote
    receipts = {p["personId"]: p["readAt"] for p in thread["participants"]}
    assert set(receipts) == {person("guardian", schools), person("teacher", schools)}
    assert receipts[person("teacher", schools)] is None
    assert thread["messages"]["edges"][0]["node"]["mine"] is True
    # the teacher finds it among their threads, unread, and reads it
    listed = gql.post(THREADS, {"schoolId": gid("School", schools.a.id)},
                      token=teacher)["data"]["messageThreads"]["edges"]
    mine = [e["node"] for e in listed if e["node"]["id"] == thread["id"]]
    assert mine and mine[0]["readAt"] is None
    assert mine[0]["messages"]["edges"] == [{"node": {"body": "Вопрос про контрольную"}}]
    read = gql.post(READ, {"input": {"threadId": thread["id"]}},
                    token=teacher)["data"]["markThreadRead"]
    assert read["errors"] == [] and read["thread"]["readAt"] is not None
    after = {p["personId"]: p["readAt"] for p in read["thread"]["participants"]}
    assert after[person("teacher", schools)] == read["thread"]["readAt"]
    answer = gql.post(SEND, {"input": {"threadId": thread["id"], "body": "Завтра обсудим"}},
                      token=teacher)["data"]["sendMessage"]
    assert answer["errors"] == [] and answer["message"]["mine"] is True
    # a new message is unread by the guardian until they read it again
    threads = gql.post(THREADS, {"schoolId": gid("School", schools.a.id)},
                       token=guardian)["data"]["messageThreads"]["edges"]
    node = next(e["node"] for e in threads if e["node"]["id"] == thread["id"])
    assert [e["node"]["body"] for e in node["messages"]["edges"]] == [
        "Вопрос про контрольную", "Завтра обсудим"]
    # each message wrote an outbox row (kind message) and an audit row without its text
    message_id = uuid.UUID(relay.GlobalID.from_id(answer["message"]["id"]).node_id)
    assert count(database, schools.a.id, m.NotificationOutbox, entity_id=message_id,
                 kind="message") == 1
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        audit = s.scalar(select(m.AuditEntry).where(m.AuditEntry.entity_id == message_id))
        assert audit is not None and audit.action == "create"
        assert "Завтра обсудим" not in str(audit.after)


def test_a_guardian_may_write_to_the_class_teacher_and_the_administration(
        gql, token_for, schools: TwoSchools) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    for staff in ("class_teacher", "admin"):
        result = start(gql, guardian, person("student", schools), teacherId=person(staff, schools))
        assert result["errors"] == [], staff


def test_a_guardian_may_not_write_to_a_teacher_who_does_not_teach_the_child(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    stranger = person_of(database, other_teacher(database, schools.a.id))
    guardian = token_for(schools.a.logins["guardian"])
    before = count(database, schools.a.id, m.MessageThread)
    result = start(gql, guardian, person("student", schools), teacherId=gid("Person", stranger))
    assert result["thread"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.teacherId",
                                                                    "FORBIDDEN")]
    # nor to another guardian, nor without naming anyone
    result = start(gql, guardian, person("student", schools), teacherId=person("guardian", schools))
    assert result["errors"][0]["field"] == "input.teacherId"
    result = start(gql, guardian, person("student", schools))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.teacherId",
                                                                    "REQUIRED")]
    assert count(database, schools.a.id, m.MessageThread) == before


def test_a_guardian_may_not_write_across_schools(gql, token_for, schools: TwoSchools) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    # a teacher of another school about their own child
    result = start(gql, guardian, person("student", schools),
                   teacherId=person("teacher", schools, "b"))
    assert result["thread"] is None and result["errors"][0]["field"] == "input.teacherId"
    # about a student of another school
    result = start(gql, guardian, person("student", schools, "b"),
                   teacherId=person("teacher", schools, "b"))
    assert result["thread"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.studentId",
                                                                    "NOT_FOUND")]


def test_a_guardian_may_not_write_about_another_child(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    other_guardian = token_for(schools.b.logins["guardian"])
    with owner_session(database.owner) as s:  # a second student in school B, not their child
        set_tenant(s, [schools.b.id])
        child_id = uuid.uuid4()
        child = m.Person(school_id=schools.b.id, id=child_id, last_name="Чужой",
                         first_name="Ребёнок")
        s.add(child)
        s.flush()
        s.add(m.PersonRole(school_id=schools.b.id, person_id=child.id, role=m.SchoolRole.STUDENT))
    result = start(gql, other_guardian, gid("Person", child_id),
                   teacherId=person("teacher", schools, "b"))
    assert result["thread"] is None
    assert result["errors"][0]["code"] in {"FORBIDDEN", "NOT_FOUND"}
    assert result["errors"][0]["field"] == "input.studentId"


def test_a_teacher_writes_to_the_guardians_or_the_student_of_a_student_they_teach(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    teacher = token_for(schools.b.logins["teacher"])
    student = token_for(schools.b.logins["student"])
    to_guardians = start(gql, teacher, person("student", schools, "b"))
    assert to_guardians["errors"] == []
    assert {p["personId"] for p in to_guardians["thread"]["participants"]} == {
        person("teacher", schools, "b"), person("guardian", schools, "b")}
    to_student = start(gql, teacher, person("student", schools, "b"), toStudent=True)
    assert to_student["errors"] == []
    seen = [e["node"]["id"] for e in gql.post(
        THREADS, {"schoolId": gid("School", schools.b.id)},
        token=student)["data"]["messageThreads"]["edges"]]
    assert to_student["thread"]["id"] in seen and to_guardians["thread"]["id"] not in seen
    # the student is not a participant of the guardians' thread: sending there is NOT_FOUND
    refused = gql.post(SEND, {"input": {"threadId": to_guardians["thread"]["id"],
                                        "body": "Я тоже"}}, token=student)["data"]["sendMessage"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("input.threadId",
                                                                     "NOT_FOUND")]
    # a teacher who does not teach the student is refused
    stranger = token_for(other_teacher(database, schools.b.id))
    result = start(gql, stranger, person("student", schools, "b"))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.studentId",
                                                                    "FORBIDDEN")]
    # a teacher of another school
    result = start(gql, token_for(schools.a.logins["teacher"]), person("student", schools, "b"))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.studentId",
                                                                    "NOT_FOUND")]


def test_bad_bodies_are_refused_naming_the_field_and_nothing_is_written(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    before = count(database, schools.a.id, m.MessageThread)
    for body, code in (("   ", "REQUIRED"), ("x" * 4001, "INVALID"), ("a\x00b", "INVALID")):
        result = start(gql, guardian, person("student", schools), body,
                       teacherId=person("teacher", schools))
        assert result["thread"] is None, body[:10]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.body", code)]
    assert count(database, schools.a.id, m.MessageThread) == before
    thread = start(gql, guardian, person("student", schools),
                   teacherId=person("teacher", schools))["thread"]
    result = gql.post(SEND, {"input": {"threadId": thread["id"], "body": ""}},
                      token=guardian)["data"]["sendMessage"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.body", "REQUIRED")]
    # there is no attachment field: an input that tries one is refused by the schema
    tried = gql.post(SEND, {"input": {"threadId": thread["id"], "body": "см. файл",
                                      "attachments": ["x.pdf"]}}, token=guardian)
    assert tried["data"] is None and "attachments" in tried["errors"][0]["message"]


def test_officers_and_tokens_see_no_messages_and_write_none(
        gql, token_for, schools: TwoSchools) -> None:
    guardian = token_for(schools.a.logins["guardian"])
    thread = start(gql, guardian, person("student", schools),
                   teacherId=person("teacher", schools))["thread"]
    admin = token_for(schools.a.logins["admin"])
    secret = gql.post(ISSUE, {"input": {"name": "msg", "scopes": ["READ", "WRITE_JOURNAL"],
                                        "schoolId": gid("School", schools.a.id)}},
                      token=admin)["data"]["issueApiToken"]["secret"]
    for viewer in (token_for(schools.officer_logins["region"]),
                   token_for(schools.officer_logins["muni_a"]), secret):
        for query in (THREADS, ANNOUNCEMENTS):
            result = gql.post(query, {"schoolId": gid("School", schools.a.id)}, token=viewer)
            data = result["data"] or {}
            edges = next(iter(data.values()))["edges"] if data else []
            assert edges == [], result
        for mutation, name, input_ in (
                (SEND, "sendMessage", {"threadId": thread["id"], "body": "x"}),
                (READ, "markThreadRead", {"threadId": thread["id"]}),
                (START, "startMessageThread", {"studentId": person("student", schools),
                                               "body": "x"}),
                (POST, "postAnnouncement", {"classId": gid("SchoolClass", schools.a.class_id),
                                            "body": "x"})):
            payload = gql.post(mutation, {"input": input_}, token=viewer)["data"][name]
            assert payload["errors"][0]["code"] == "NOT_FOUND", (name, payload)


def test_another_schools_people_neither_see_nor_touch_a_thread(
        gql, token_for, schools: TwoSchools) -> None:
    thread = start(gql, token_for(schools.a.logins["guardian"]), person("student", schools),
                   "Секрет школы А", teacherId=person("teacher", schools))["thread"]
    for role in ("admin", "teacher", "class_teacher", "guardian", "student"):
        viewer = token_for(schools.b.logins[role])
        listed = gql.post(THREADS, {"schoolId": gid("School", schools.a.id)}, token=viewer)
        assert listed["data"]["messageThreads"]["edges"] == [], role
        own = gql.post(THREADS, {"schoolId": gid("School", schools.b.id)}, token=viewer)
        assert "Секрет школы А" not in str(own), role
        for mutation, name in ((SEND, "sendMessage"), (READ, "markThreadRead")):
            input_ = {"threadId": thread["id"]} | ({"body": "x"} if name == "sendMessage"
                                                   else {})
            payload = gql.post(mutation, {"input": input_}, token=viewer)["data"][name]
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [
                ("input.threadId", "NOT_FOUND")], (role, name)


def test_the_same_schools_administrator_and_other_staff_do_not_read_others_threads(
        gql, token_for, schools: TwoSchools) -> None:
    thread = start(gql, token_for(schools.a.logins["guardian"]), person("student", schools),
                   "Только учителю", teacherId=person("teacher", schools))["thread"]
    for role in ("admin", "class_teacher", "student"):
        viewer = token_for(schools.a.logins[role])
        listed = gql.post(THREADS, {"schoolId": gid("School", schools.a.id)}, token=viewer)
        assert thread["id"] not in str(listed), role
        payload = gql.post(READ, {"input": {"threadId": thread["id"]}},
                           token=viewer)["data"]["markThreadRead"]
        assert payload["errors"][0]["code"] == "NOT_FOUND", role


def test_the_thread_list_reads_in_statements_that_do_not_grow_with_it(
        gql, token_for, schools: TwoSchools) -> None:
    teacher = token_for(schools.b.logins["class_teacher"])
    variables = {"schoolId": gid("School", schools.b.id)}
    start(gql, teacher, person("student", schools, "b"))
    with count_statements() as few:
        first = gql.post(THREADS_FLAT, variables, token=teacher)
    for _ in range(5):
        start(gql, teacher, person("student", schools, "b"))
    with count_statements() as many:
        result = gql.post(THREADS_FLAT, variables, token=teacher)
    assert len(result["data"]["messageThreads"]["edges"]) >= len(
        first["data"]["messageThreads"]["edges"]) + 5
    assert many.count == few.count, (few.statements, many.statements)


def test_the_class_teacher_posts_an_announcement_the_class_and_families_read(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls) -> None:
    class_teacher = token_for(schools.a.logins["class_teacher"])
    klass = gid("SchoolClass", schools.a.class_id)
    posted = gql.post(POST, {"input": {"classId": klass, "body": "Родительское собрание в 18:00"}},
                      token=class_teacher)["data"]["postAnnouncement"]
    assert posted["errors"] == [] and posted["announcement"]["classId"] == klass
    ann = posted["announcement"]["id"]
    for role in ("student", "guardian", "class_teacher", "admin"):
        seen = gql.post(ANNOUNCEMENTS, {"schoolId": gid("School", schools.a.id)},
                        token=token_for(schools.a.logins[role]))
        assert ann in str(seen), role
    # a teacher of the school who does not lead the class neither sees nor posts
    teacher = token_for(schools.a.logins["teacher"])
    assert ann not in str(gql.post(ANNOUNCEMENTS, {"schoolId": gid("School", schools.a.id)},
                                   token=teacher))
    refused = gql.post(POST, {"input": {"classId": klass, "body": "x"}},
                       token=teacher)["data"]["postAnnouncement"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("input.classId",
                                                                     "FORBIDDEN")]
    # the guardian of another school, and its class teacher
    for role in ("guardian", "class_teacher", "admin"):
        viewer = token_for(schools.b.logins[role])
        assert ann not in str(gql.post(ANNOUNCEMENTS, {"schoolId": gid("School", schools.a.id)},
                                       token=viewer))
        assert ann not in str(gql.post(ANNOUNCEMENTS, {"schoolId": gid("School", schools.b.id)},
                                       token=viewer))
        other = gql.post(POST, {"input": {"classId": klass, "body": "x"}},
                         token=viewer)["data"]["postAnnouncement"]
        assert [(e["field"], e["code"]) for e in other["errors"]] == [("input.classId",
                                                                       "NOT_FOUND")], role
    blank = gql.post(POST, {"input": {"classId": klass, "body": " \n"}},
                     token=class_teacher)["data"]["postAnnouncement"]
    assert [(e["field"], e["code"]) for e in blank["errors"]] == [("input.body", "REQUIRED")]


async def test_a_message_emails_the_other_participants_without_names_or_text(
        gql, token_for, schools: TwoSchools, database: DatabaseUrls, smtp,  # noqa: F811
        sessions: async_sessionmaker[AsyncSession]) -> None:  # noqa: F811
    inbox, settings = smtp
    tag = uuid.uuid4().hex[:8]
    teacher_mail, guardian_mail = f"t-{tag}@example.test", f"g-{tag}@example.test"
    school = schools.b
    await drain(sessions, settings)  # other tests' messages are sent before the addresses exist
    prefer(database, school.id, school.people["teacher"], teacher_mail, events=["mark"])
    prefer(database, school.id, school.people["guardian"], guardian_mail)
    result = start(gql, token_for(school.logins["guardian"]), person("student", schools, "b"),
                   "Очень личный текст", teacherId=person("teacher", schools, "b"))
    assert result["errors"] == []
    await drain(sessions, settings)
    got = inbox.to(teacher_mail)
    assert len(got) == 1  # the message is sent whatever the event filter
    text_ = got[0].get_content()
    assert "Очень личный текст" not in text_ and "Очень личный текст" not in got[0]["Subject"]
    for name in ("GUARDIANов", "STUDENTов", "TEACHERов", "B"):
        assert name not in got[0]["Subject"]
    assert "новое сообщение" in text_
    assert inbox.to(guardian_mail) == []  # the author hears nothing of their own message
    # an announcement reaches the class's students and guardians, not another teacher
    student_mail = f"s-{tag}@example.test"
    prefer(database, school.id, school.people["student"], student_mail)
    posted = gql.post(POST, {"input": {"classId": gid("SchoolClass", school.class_id),
                                       "body": "Личное объявление"}},
                      token=token_for(school.logins["class_teacher"]))["data"]
    assert posted["postAnnouncement"]["errors"] == []
    await drain(sessions, settings)
    assert len(inbox.to(student_mail)) == 1 and len(inbox.to(guardian_mail)) == 1
    assert len(inbox.to(teacher_mail)) == 1
    assert "Личное объявление" not in inbox.to(student_mail)[0].get_content()
    with owner_session(database.owner) as s:
        s.execute(text(
            "DELETE FROM notification_preferences WHERE school_id = :s AND email IN (:a, :b, :c)"),
            {"s": school.id, "a": teacher_mail, "b": guardian_mail, "c": student_mail})
