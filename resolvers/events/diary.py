"""Reading a student's diary events for a viewer: who may follow the student, and what a batch
of notices turns into.

The `diaryEvents` subscription (schema/events.py) authorises once when subscribing with
`student_school`; after that each batch of notices is read in a fresh short transaction with
the viewer's RLS scope (`events_for`), filtered on the school and the student, so a notice can
only ever turn into data the viewer may read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    AttendanceKind,
    Grade,
    GroupMembership,
    Lesson,
    LessonStatus,
    Mark,
    MarkValue,
    Person,
    StudyGroup,
    Subject,
    WorkType,
)
from db.tenancy import set_tenant_async
from resolvers.events.log import replay
from resolvers.events.notifications import DiaryNotice
from tenants.access import AccessContext
from tenants.errors import request_error
from tenants.visibility import person_filter


@dataclass(frozen=True)
class MarkDetail:
    label: str
    work_type_name: str
    work_date: date
    subject_name: str
    comment: str | None


@dataclass(frozen=True)
class AttendanceDetail:
    kind: AttendanceKind
    late_minutes: int | None


@dataclass(frozen=True)
class LessonDetail:
    date: date
    subject_name: str
    status: LessonStatus
    topic: str | None
    homework: str | None
    homework_links: list[str]
    homework_due_on: date | None


@dataclass(frozen=True)
class Event:
    """A change in a student's diary: `entity` is the notice's table (marks, attendance,
    lessons, grades), `op` its operation (insert, update, delete); `detail` is None for a
    deletion. `cursor` is its position in the diary event log (resolvers/events/log.py)."""

    entity: str
    op: str
    student_id: uuid.UUID
    lesson_id: uuid.UUID | None
    entity_id: uuid.UUID
    occurred_at: datetime
    detail: MarkDetail | AttendanceDetail | LessonDetail | Grade | None
    cursor: int | None = None


def token_expired() -> Exception:
    return request_error("UNAUTHENTICATED", "the access token has expired: open a new connection "
                                        "with a fresh token and subscribe again")


def access_lost() -> Exception:
    return request_error("UNAUTHENTICATED", "the session has ended or lost access; subscribe "
                                            "again")


def not_found() -> Exception:
    return request_error("NOT_FOUND", "not found: no such student, or not one whose diary you "
                                  "may read")


async def student_school(
    session: AsyncSession, access: AccessContext, student_id: uuid.UUID
) -> uuid.UUID | None:
    """The student's school if the viewer may read their diary; None alike for missing and
    forbidden."""
    await set_tenant_async(session, access.school_ids, access.account_id)
    return await session.scalar(
        select(Person.school_id).where(Person.id == student_id,
                                       person_filter(access, staff=False)))


async def may_follow(session: AsyncSession, access: AccessContext, student_id: uuid.UUID
                     ) -> bool:
    """Whether a viewer resolved again (logout, revoked token, lost role) still may."""
    return access.is_authenticated and await student_school(
        session, access, student_id) is not None


async def events_for(
    session: AsyncSession, access: AccessContext, school_id: uuid.UUID,
    student_id: uuid.UUID, batch: list[DiaryNotice],
) -> list[Event]:
    """The events of a batch of notices, read in the viewer's RLS scope."""
    await set_tenant_async(session, access.school_ids, access.account_id)
    return await read_events(session, school_id, student_id, batch)


async def catch_up(
    session: AsyncSession, access: AccessContext, school_id: uuid.UUID,
    student_id: uuid.UUID, after: int,
) -> list[DiaryNotice]:
    """The student's events in the log after `after` (a page of them), read in the viewer's
    RLS scope; the caller reads again while pages come back full."""
    await set_tenant_async(session, access.school_ids, access.account_id)
    return await replay(session, school_id, student_id, after)


async def read_events(
    session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
    batch: list[DiaryNotice],
) -> list[Event]:
    """The events of a batch of notices, with details read now (so a mark changed twice
    reports its latest state both times); at most one statement per kind."""
    ids = {kind: [n.id for n in batch if n.entity == kind and n.op != "delete"]
           for kind in ("marks", "attendance", "lessons", "grades")}
    marks = await _marks(session, school_id, student_id, ids["marks"])
    attendance = await _attendance(session, school_id, student_id, ids["attendance"])
    lessons = await _lessons(session, school_id, student_id, ids["lessons"])
    grades = await _grades(session, school_id, student_id, ids["grades"])
    details: dict[str, dict[uuid.UUID, MarkDetail] | dict[uuid.UUID, AttendanceDetail]
                  | dict[uuid.UUID, LessonDetail] | dict[uuid.UUID, Grade]] = {
        "marks": marks, "attendance": attendance, "lessons": lessons, "grades": grades}
    events: list[Event] = []
    for n in batch:
        if n.entity not in details:
            continue  # a table this server does not know yet
        detail = details[n.entity].get(n.id)
        if n.op != "delete" and detail is None:
            continue  # gone since, or not this viewer's to read: say nothing
        events.append(Event(
            entity=n.entity, op=n.op, student_id=student_id,
            lesson_id=n.id if n.entity == "lessons" else n.lesson_id, entity_id=n.id,
            occurred_at=n.received_at, detail=detail, cursor=n.cursor))
    return events


async def _marks(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                 ids: list[uuid.UUID]) -> dict[uuid.UUID, MarkDetail]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Mark.id, MarkValue.label, WorkType.name, Mark.work_date, Subject.name,
               Mark.comment)
        .join(MarkValue, and_(MarkValue.school_id == Mark.school_id,
                              MarkValue.id == Mark.value_id))
        .join(WorkType, and_(WorkType.school_id == Mark.school_id,
                             WorkType.id == Mark.work_type_id))
        .join(StudyGroup, and_(StudyGroup.school_id == Mark.school_id,
                               StudyGroup.id == Mark.group_id))
        .join(Subject, and_(Subject.school_id == StudyGroup.school_id,
                            Subject.id == StudyGroup.subject_id))
        .where(Mark.school_id == school_id, Mark.student_id == student_id, Mark.id.in_(ids)))
    return {r[0]: MarkDetail(label=r[1], work_type_name=r[2], work_date=r[3],
                             subject_name=r[4], comment=r[5]) for r in rows}


async def _grades(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                  ids: list[uuid.UUID]) -> dict[uuid.UUID, Grade]:
    """The grades as they are now; whether the viewer may read each is the schema's rule
    (schema/grades.py `readable_grades`), applied by the subscription."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Grade).where(Grade.school_id == school_id, Grade.student_id == student_id,
                            Grade.id.in_(ids)))
    return {r.id: r for r in rows}


async def _attendance(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                      ids: list[uuid.UUID]) -> dict[uuid.UUID, AttendanceDetail]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Attendance.id, Attendance.kind, Attendance.late_minutes)
        .where(Attendance.school_id == school_id, Attendance.student_id == student_id,
               Attendance.id.in_(ids)))
    return {r[0]: AttendanceDetail(kind=r[1], late_minutes=r[2]) for r in rows}


async def _lessons(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                   ids: list[uuid.UUID]) -> dict[uuid.UUID, LessonDetail]:
    """Lessons of the groups the student was a member of on the lesson's day."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Lesson.id, Lesson.date, Subject.name, Lesson.status, Lesson.topic,
               Lesson.homework, Lesson.homework_links, Lesson.homework_due_on)
        .join(StudyGroup, and_(StudyGroup.school_id == Lesson.school_id,
                               StudyGroup.id == Lesson.group_id))
        .join(Subject, and_(Subject.school_id == StudyGroup.school_id,
                            Subject.id == StudyGroup.subject_id))
        .join(GroupMembership, and_(
            GroupMembership.school_id == Lesson.school_id,
            GroupMembership.group_id == Lesson.group_id,
            GroupMembership.student_id == student_id,
            GroupMembership.starts_on <= Lesson.date,
            or_(GroupMembership.ends_on.is_(None), GroupMembership.ends_on >= Lesson.date)))
        .where(Lesson.school_id == school_id, Lesson.id.in_(ids))
        .distinct())
    return {r[0]: LessonDetail(date=r[1], subject_name=r[2], status=LessonStatus(r[3]),
                               topic=r[4], homework=r[5],
                               homework_links=[str(x) for x in r[6] or []],
                               homework_due_on=r[7]) for r in rows}
