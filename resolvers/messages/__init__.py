"""Messages between school staff and families, and class announcements (docs/notifications.md
"Messages"). Who may write to whom:

- a guardian, about their own child, to a teacher teaching the child now, the child's class
  teacher, or an administrator; a student, about themselves, to the same people;
- a teacher, to the guardians (or the student) of a student they teach now or whose class they
  lead; an administrator, about any student of the school;
- a class announcement: by the class teacher, to the class's students and their guardians.

Officers and API tokens read and write nothing here. Text only: there are no attachments.
A new message or announcement writes a notification outbox row (kind `message`) in the same
transaction; its email names no one and carries no text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, ScalarSelect, Select, cast, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import Actor, Change, record, snapshot
from db.models import (
    Announcement,
    Enrollment,
    Guardianship,
    Message,
    MessageParticipant,
    MessageThread,
    NotificationOutbox,
    Person,
    School,
    SchoolClass,
    SchoolRole,
)
from db.models.messages import BODY_MAX
from tenants.access import AccessContext, SchoolMembership
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found
from tenants.rules import is_admin

THREAD_KEYS = (MessageParticipant.created_at, MessageParticipant.id)
MESSAGE_KEYS = (Message.created_at, Message.id)
ANNOUNCEMENT_KEYS = (Announcement.created_at, Announcement.id)
STAFF = frozenset({SchoolRole.TEACHER, SchoolRole.ADMINISTRATOR})

# Whether `staff` may be written to (or write) about `student` today (the school's local
# date): an administrator of the school, a teacher of a group the student is in now, or the
# class teacher of their class now.
_MAY_ADDRESS = text("""
WITH d AS (SELECT CAST(now() AT TIME ZONE timezone AS date) AS today FROM schools
            WHERE id = :school)
SELECT EXISTS (
  SELECT 1 FROM person_roles pr
   WHERE pr.school_id = :school AND pr.person_id = :staff
     AND CAST(pr.role AS text) = 'administrator'
  UNION ALL
  SELECT 1 FROM d, teacher_assignments ta
    JOIN group_memberships gm ON gm.school_id = ta.school_id AND gm.group_id = ta.group_id
   WHERE ta.school_id = :school AND ta.teacher_id = :staff AND gm.student_id = :student
     AND ta.starts_on <= d.today AND (ta.ends_on IS NULL OR ta.ends_on >= d.today)
     AND gm.starts_on <= d.today AND (gm.ends_on IS NULL OR gm.ends_on >= d.today)
  UNION ALL
  SELECT 1 FROM d, classes c
    JOIN enrollments e ON e.school_id = c.school_id AND e.class_id = c.id
   WHERE c.school_id = :school AND c.class_teacher_id = :staff AND e.student_id = :student
     AND e.starts_on <= d.today AND (e.ends_on IS NULL OR e.ends_on >= d.today))""")


def check_body(body: str, field: str) -> str:
    """The text of a message or announcement, or a refusal naming `field`."""
    if "\x00" in body:
        raise DomainError(Problem(field, ErrorCode.INVALID, "must not contain NUL characters"))
    if not body.strip():
        raise DomainError(Problem(field, ErrorCode.REQUIRED, "must not be blank"))
    if len(body) > BODY_MAX:
        raise DomainError(Problem(field, ErrorCode.INVALID,
                                  f"is {len(body)} characters long; at most {BODY_MAX}"))
    return body


def _person_member(access: AccessContext) -> list[SchoolMembership]:
    """The viewer's memberships as a person (a token or an officer has none)."""
    if access.token_id is not None:
        return []
    return list(access.memberships.values())


async def _may_address(session: AsyncSession, school: uuid.UUID, staff: uuid.UUID,
                       student: uuid.UUID) -> bool:
    return bool(await session.scalar(_MAY_ADDRESS, {"school": school, "staff": staff,
                                                    "student": student}))


def _audited(row: Message | Announcement) -> dict[str, object]:
    """What the audit log keeps of a message: who, where, when and how long, not the text
    (the log is read by administrators, the message is for its participants)."""
    after = dict(snapshot(row) or {})
    after["body"] = f"<{len(row.body)} characters>"
    return after


async def _outbox(session: AsyncSession, school: uuid.UUID, entity: str,
                  entity_id: uuid.UUID) -> None:
    session.add(NotificationOutbox(school_id=school, id=uuid.uuid4(), kind="message",
                                   entity=entity, op="insert", entity_id=entity_id,
                                   student_id=None, group_id=None))


@dataclass(frozen=True)
class StartRequest:
    student_id: uuid.UUID
    teacher_id: uuid.UUID | None
    to_student: bool
    body: str


async def start_thread(session: AsyncSession, access: AccessContext, req: StartRequest,
                       actor: Callable[[uuid.UUID], Actor]) -> MessageThread:
    """A new thread about one student with its first message; audited, outbox row written."""
    members = {m.school_id: m for m in _person_member(access)}
    student = None if not members else await session.scalar(select(Person).where(
        Person.school_id.in_(list(members)), Person.id == req.student_id))
    if student is None:
        raise not_found("input.studentId", "student")
    school = student.school_id
    m = members[school]
    if m.roles & STAFF:
        if req.teacher_id not in (None, m.person_id):
            raise forbidden("input.teacherId", "staff write as themselves; leave it empty")
        staff = m.person_id
        if not await _may_address(session, school, staff, student.id):
            raise forbidden("input.studentId", "you may write only about students you teach "
                                               "now or whose class you lead")
        to_student = req.to_student
    elif student.id in m.child_ids or student.id == m.person_id:
        if req.teacher_id is None:
            raise DomainError(Problem("input.teacherId", ErrorCode.REQUIRED,
                                      "name the teacher to write to"))
        if req.to_student and student.id != m.person_id:
            raise forbidden("input.toStudent", "only staff address a student directly")
        staff = req.teacher_id
        to_student = student.id == m.person_id
        if staff == m.person_id or not await _may_address(session, school, staff, student.id):
            raise forbidden("input.teacherId", "you may write only to the student's current "
                                               "teachers, class teacher or administration")
    else:
        raise forbidden("input.studentId", "you may write only about your own children")
    body = check_body(req.body, "input.body")
    if to_student:
        family = [student.id]
    else:
        family = list(await session.scalars(select(Guardianship.guardian_id).where(
            Guardianship.school_id == school, Guardianship.student_id == student.id)))
        if not family:
            raise DomainError(Problem("input.studentId", ErrorCode.INVALID,
                                      "the student has no guardians to write to"))
    thread = MessageThread(school_id=school, id=uuid.uuid4(), student_id=student.id,
                           staff_id=staff, started_by_id=m.person_id)
    session.add(thread)
    await session.flush()
    for person in dict.fromkeys([staff, *family, m.person_id]):
        session.add(MessageParticipant(
            school_id=school, id=uuid.uuid4(), thread_id=thread.id, person_id=person,
            read_at=func.clock_timestamp() if person == m.person_id else None))
    await session.flush()
    await record(session, actor(school), Change(school, "create", "message_threads", thread.id,
                                                None, snapshot(thread)))
    await _write(session, school, thread.id, m.person_id, body, actor)
    await session.refresh(thread)
    return thread


async def _write(session: AsyncSession, school: uuid.UUID, thread_id: uuid.UUID,
                 author: uuid.UUID, body: str, actor: Callable[[uuid.UUID], Actor]) -> Message:
    message = Message(school_id=school, id=uuid.uuid4(), thread_id=thread_id, author_id=author,
                      body=body)
    session.add(message)
    await session.flush()
    await session.refresh(message)
    await _outbox(session, school, "messages", message.id)
    await record(session, actor(school), Change(school, "create", "messages", message.id,
                                                None, _audited(message)))
    return message


async def own_participation(session: AsyncSession, access: AccessContext,
                            thread_id: uuid.UUID) -> MessageParticipant | None:
    """The viewer's place in a thread, or None: not a participant (or not a person)."""
    persons = [m.person_id for m in _person_member(access)]
    if not persons:
        return None
    return await session.scalar(select(MessageParticipant).where(
        MessageParticipant.school_id.in_([m.school_id for m in _person_member(access)]),
        MessageParticipant.thread_id == thread_id, MessageParticipant.person_id.in_(persons)))


async def send(session: AsyncSession, access: AccessContext, thread_id: uuid.UUID, body: str,
               actor: Callable[[uuid.UUID], Actor]) -> Message:
    """A message to a thread the viewer takes part in; their own read receipt moves on."""
    me = await own_participation(session, access, thread_id)
    if me is None:
        raise not_found("input.threadId", "message thread")
    text_ = check_body(body, "input.body")
    message = await _write(session, me.school_id, thread_id, me.person_id, text_, actor)
    me.read_at = func.clock_timestamp()  # type: ignore[assignment]
    await session.flush()
    return message


async def mark_read(session: AsyncSession, access: AccessContext,
                    thread_id: uuid.UUID) -> MessageParticipant:
    """The viewer's read receipt of a thread set to now."""
    me = await own_participation(session, access, thread_id)
    if me is None:
        raise not_found("input.threadId", "message thread")
    me.read_at = func.clock_timestamp()  # type: ignore[assignment]
    await session.flush()
    await session.refresh(me)
    return me


def threads(access: AccessContext,
            school_id: uuid.UUID) -> Select[tuple[MessageParticipant]] | None:
    """The viewer's own places in threads of a school, for THREAD_KEYS (None: not a person of
    the school — an officer, a token, another school's viewer)."""
    m = next((m for m in _person_member(access) if m.school_id == school_id), None)
    if m is None:
        return None
    return select(MessageParticipant).where(MessageParticipant.school_id == school_id,
                                            MessageParticipant.person_id == m.person_id)


async def threads_by_id(session: AsyncSession, school_id: uuid.UUID,
                        ids: list[uuid.UUID]) -> dict[uuid.UUID, MessageThread]:
    rows = await session.scalars(select(MessageThread).where(
        MessageThread.school_id == school_id, MessageThread.id.in_(ids)))
    return {r.id: r for r in rows}


def thread_messages(school_id: uuid.UUID, thread_id: uuid.UUID) -> Select[tuple[Message]]:
    """A thread's messages (the caller reached the thread as a participant)."""
    return select(Message).where(Message.school_id == school_id, Message.thread_id == thread_id)


async def participants(session: AsyncSession, school_id: uuid.UUID, thread_id: uuid.UUID
                       ) -> list[tuple[MessageParticipant, str]]:
    """A thread's participants with their names (each participant knows whom they write
    to, even where the person is otherwise not visible to them: a teacher and a guardian)."""
    rows = await session.execute(select(MessageParticipant, Person.last_name,
                                        Person.first_name).join(
        Person, (Person.school_id == MessageParticipant.school_id)
        & (Person.id == MessageParticipant.person_id)).where(
        MessageParticipant.school_id == school_id, MessageParticipant.thread_id == thread_id
    ).order_by(MessageParticipant.created_at, MessageParticipant.id))
    return [(p, f"{last} {first}") for p, last, first in rows]


def _school_today(school_id: uuid.UUID) -> ScalarSelect[date]:
    """The school's local date, as SQL."""
    return select(cast(func.timezone(School.timezone, func.now()), Date)).where(
        School.id == school_id).scalar_subquery()


def announcements(access: AccessContext,
                  school_id: uuid.UUID) -> Select[tuple[Announcement]] | None:
    """Announcements the viewer may read in a school: to a class they (or their children)
    are enrolled in now, of a class they lead, all of them for an administrator."""
    m = next((m for m in _person_member(access) if m.school_id == school_id), None)
    if m is None:
        return None
    stmt = select(Announcement).where(Announcement.school_id == school_id)
    if is_admin(access, school_id):
        return stmt
    today = _school_today(school_id)
    enrolled = select(Enrollment.class_id).where(
        Enrollment.school_id == school_id,
        Enrollment.student_id.in_([m.person_id, *m.child_ids]),
        Enrollment.starts_on <= today,
        or_(Enrollment.ends_on.is_(None), Enrollment.ends_on >= today))
    return stmt.where(or_(Announcement.class_id.in_(enrolled),
                          Announcement.class_id.in_(list(m.led_class_ids)),
                          Announcement.author_id == m.person_id))


async def post_announcement(session: AsyncSession, access: AccessContext,
                            class_id: uuid.UUID, body: str,
                            actor: Callable[[uuid.UUID], Actor]) -> Announcement:
    """An announcement by the class teacher to their class; audited, outbox row written."""
    members = {m.school_id: m for m in _person_member(access)}
    klass = None if not members else await session.scalar(select(SchoolClass).where(
        SchoolClass.school_id.in_(list(members)), SchoolClass.id == class_id))
    if klass is None:
        raise not_found("input.classId", "class")
    m = members[klass.school_id]
    if klass.id not in m.led_class_ids:
        raise forbidden("input.classId", "only the class teacher posts announcements to a class")
    row = Announcement(school_id=klass.school_id, id=uuid.uuid4(), class_id=klass.id,
                       author_id=m.person_id, body=check_body(body, "input.body"))
    session.add(row)
    await session.flush()
    await session.refresh(row)
    await _outbox(session, row.school_id, "announcements", row.id)
    await record(session, actor(row.school_id), Change(row.school_id, "create", "announcements",
                                                       row.id, None, _audited(row)))
    return row
