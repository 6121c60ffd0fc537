"""The `diaryEvents` subscription: a student's new or changed marks, attendance and homework.

Authorised once when subscribing (the student's person must be visible to the viewer, as for
the diary); after that each batch of notices is read in a fresh short transaction with the
viewer's RLS scope, filtered on the school and the student, so a notice can only ever turn
into data the viewer may read. The viewer is re-checked now and then, so a logged-out session
or a revoked token stops receiving events; and the subscription ends with an UNAUTHENTICATED
error when the access token of connection_init expires. There is no re-authentication
message: the client opens a new socket with a fresh token and subscribes again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info

from db.engine import transaction
from db.models import (
    Attendance,
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
from resolvers.auth.settings import AuthSettings
from resolvers.events.notifications import DiaryListener, DiaryNotice, InboxOverflow
from schema.events import (
    DiaryEvent,
    DiaryEventAttendance,
    DiaryEventKind,
    DiaryEventLesson,
    DiaryEventMark,
    DiaryEventOp,
)
from schema.ids import query_id, to_global_id
from schema.permissions import IsAuthenticated
from tenants.access import ANONYMOUS, AccessContext
from tenants.errors import request_error
from tenants.visibility import person_filter

# How stale the viewer resolved at connection_init may get before it is resolved again.
RECHECK_SECONDS = 60.0

Reauthenticate = Callable[[AsyncSession], Awaitable[AccessContext]]


@dataclass
class SocketContext:
    """The context of one WebSocket connection, shared by its subscriptions. The viewer is
    set by `connection_init` (server/graphql.py); there is no request-wide transaction:
    every read opens its own."""

    request_id: str
    sessions: async_sessionmaker[AsyncSession]
    settings: AuthSettings
    listener: DiaryListener | None
    access: AccessContext = ANONYMOUS
    connection_params: dict[str, Any] | None = None
    websocket: Any = None
    reauthenticate: Reauthenticate | None = None
    checked_at: float = field(default_factory=time.monotonic)
    # When the access token of connection_init expires (None: an integrator token, whose
    # expiry and revocation the re-check sees).
    expires_at: datetime | None = None

    def seconds_left(self) -> float | None:
        if self.expires_at is None:
            return None
        return (self.expires_at - datetime.now(UTC)).total_seconds()


def token_expired() -> Exception:
    return request_error("UNAUTHENTICATED", "the access token has expired: open a new connection "
                                        "with a fresh token and subscribe again")


async def _until_expiry(ctx: SocketContext, batches: AsyncIterator[list[DiaryNotice]]
                        ) -> AsyncIterator[list[DiaryNotice]]:
    """The batches, ending with `token_expired` when the token does, even if none comes."""
    while True:
        left = ctx.seconds_left()
        if left is not None and left <= 0:
            raise token_expired()
        try:
            yield await asyncio.wait_for(anext(batches), timeout=left)
        except TimeoutError:
            raise token_expired() from None
        except StopAsyncIteration:
            return


def not_found() -> Exception:
    return request_error("NOT_FOUND", "not found: no such student, or not one whose diary you "
                                  "may read")


async def _student_school(
    session: AsyncSession, access: AccessContext, student_id: uuid.UUID
) -> uuid.UUID | None:
    """The student's school if the viewer may read their diary; None alike for missing and
    forbidden."""
    await set_tenant_async(session, access.school_ids, access.account_id)
    return await session.scalar(
        select(Person.school_id).where(Person.id == student_id,
                                       person_filter(access, staff=False)))


async def _recheck(ctx: SocketContext, session: AsyncSession, student_id: uuid.UUID) -> bool:
    """Resolve the viewer again (logout, revoked token, lost role) at most once a minute."""
    if ctx.reauthenticate is None or time.monotonic() - ctx.checked_at < RECHECK_SECONDS:
        return True
    ctx.access = await ctx.reauthenticate(session)
    ctx.checked_at = time.monotonic()
    return ctx.access.is_authenticated and await _student_school(
        session, ctx.access, student_id) is not None


async def diary_events(
    info: Info,
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
) -> AsyncGenerator[DiaryEvent, None]:
    ctx = info.context
    if not isinstance(ctx, SocketContext) or ctx.listener is None:
        raise request_error("BAD_REQUEST", "subscriptions are served over WebSocket "
                                       "(graphql-transport-ws) at /graphql")
    student = query_id(student_id, "Person", "studentId")
    assert student is not None
    left = ctx.seconds_left()
    if left is not None and left <= 0:
        raise token_expired()
    async with transaction(ctx.sessions) as session:
        school_id = await _student_school(session, ctx.access, student)
    if school_id is None:
        raise not_found()
    with ctx.listener.subscribe(school_id, student) as inbox:
        try:
            async for batch in _until_expiry(ctx, inbox.batches()):
                async with transaction(ctx.sessions) as session:
                    if not await _recheck(ctx, session, student):
                        raise request_error("UNAUTHENTICATED", "the session has ended or lost "
                                                           "access; subscribe again")
                    await set_tenant_async(session, ctx.access.school_ids,
                                           ctx.access.account_id)
                    events = await read_events(session, school_id, student, batch)
                for event in events:
                    yield event
        except InboxOverflow as err:
            raise request_error("OVERFLOW", str(err)) from None


async def read_events(
    session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
    batch: list[DiaryNotice],
) -> list[DiaryEvent]:
    """The events of a batch of notices, with details read now (so a mark changed twice
    reports its latest state both times); at most one statement per kind."""
    ids = {kind: [n.id for n in batch if n.entity == kind and n.op != "delete"]
           for kind in ("marks", "attendance", "lessons")}
    marks = await _marks(session, school_id, student_id, ids["marks"])
    attendance = await _attendance(session, school_id, student_id, ids["attendance"])
    lessons = await _lessons(session, school_id, student_id, ids["lessons"])
    student_gid = strawberry.ID(to_global_id("Person", student_id))
    events: list[DiaryEvent] = []
    for n in batch:
        kind, type_name, details = {
            "marks": (DiaryEventKind.MARK, "Mark", marks),
            "attendance": (DiaryEventKind.ATTENDANCE, "AttendanceEntry", attendance),
            "lessons": (DiaryEventKind.LESSON, "Lesson", lessons),
        }[n.entity]
        detail = details.get(n.id)
        if n.op != "delete" and detail is None:
            continue  # gone since, or not this viewer's to read: say nothing
        lesson_id = n.id if n.entity == "lessons" else n.lesson_id
        events.append(DiaryEvent(
            kind=kind, op=DiaryEventOp(n.op), student_id=student_gid,
            lesson_id=strawberry.ID(to_global_id("Lesson", lesson_id)) if lesson_id else None,
            entity_id=strawberry.ID(to_global_id(type_name, n.id)), occurred_at=n.received_at,
            mark=detail if isinstance(detail, DiaryEventMark) else None,
            attendance=detail if isinstance(detail, DiaryEventAttendance) else None,
            lesson=detail if isinstance(detail, DiaryEventLesson) else None,
        ))
    return events


async def _marks(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                 ids: list[uuid.UUID]) -> dict[uuid.UUID, DiaryEventMark]:
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
    return {r[0]: DiaryEventMark(label=r[1], work_type_name=r[2], work_date=r[3],
                                 subject_name=r[4], comment=r[5]) for r in rows}


async def _attendance(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                      ids: list[uuid.UUID]) -> dict[uuid.UUID, DiaryEventAttendance]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Attendance.id, Attendance.kind, Attendance.late_minutes)
        .where(Attendance.school_id == school_id, Attendance.student_id == student_id,
               Attendance.id.in_(ids)))
    return {r[0]: DiaryEventAttendance(kind=r[1], late_minutes=r[2]) for r in rows}


async def _lessons(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                   ids: list[uuid.UUID]) -> dict[uuid.UUID, DiaryEventLesson]:
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
    return {r[0]: DiaryEventLesson(date=r[1], subject_name=r[2], status=LessonStatus(r[3]),
                                   topic=r[4], homework=r[5],
                                   homework_links=[str(x) for x in r[6] or []],
                                   homework_due_on=r[7]) for r in rows}


@strawberry.type
class EventsSubscription:
    diary_events: AsyncGenerator[DiaryEvent, None] = strawberry.subscription(
        resolver=diary_events, permission_classes=[IsAuthenticated],
        description="Live changes in a student's diary (дневник): new or changed marks and "
                    "attendance, and new homework or topics of the student's lessons, as they "
                    "are committed by any server. Over WebSocket (graphql-transport-ws), "
                    "authenticated at connection_init with {\"Authorization\": \"Bearer "
                    "<token>\"}. For the student, their guardians, their teachers, their class "
                    "teacher and administrators; anyone else gets a NOT_FOUND error, as for a "
                    "student that does not exist.")
