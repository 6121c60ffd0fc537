"""Live diary events (`diaryEvents`): what changed in a student's diary, as it happens.

Authorised once when subscribing (the student's person must be visible to the viewer, as for
the diary); after that each batch of notices is read in a fresh short transaction in the
viewer's scope (resolvers/events/diary.py). The viewer is re-checked now and then, so a
logged-out session or a revoked token stops receiving events; and the subscription ends with
an UNAUTHENTICATED error when the access token of connection_init expires. There is no
re-authentication message: the client opens a new socket with a fresh token and subscribes
again.
"""

from __future__ import annotations

import asyncio
import enum
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from db.engine import transaction
from resolvers.events.diary import (
    AttendanceDetail,
    Event,
    LessonDetail,
    MarkDetail,
    access_lost,
    events_for,
    may_follow,
    not_found,
    student_school,
    token_expired,
)
from resolvers.events.notifications import DiaryNotice, InboxOverflow
from schema.context import SocketContext
from schema.ids import query_id, to_global_id
from schema.lessons import LessonStatusEnum
from schema.marks import AttendanceKindEnum
from schema.permissions import IsAuthenticated
from tenants.errors import request_error

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# How stale the viewer resolved at connection_init may get before it is resolved again.
RECHECK_SECONDS = 60.0


@strawberry.enum(description="What a diary event is about.")
class DiaryEventKind(enum.Enum):
    MARK = strawberry.enum_value("mark", description="A mark (отметка).")
    ATTENDANCE = strawberry.enum_value("attendance", description="An attendance entry "
                                                                 "(посещаемость).")
    LESSON = strawberry.enum_value("lesson", description="A lesson's topic, homework or status.")


@strawberry.enum(description="What happened to the object of a diary event.")
class DiaryEventOp(enum.Enum):
    CREATED = strawberry.enum_value("insert", description="It was created.")
    UPDATED = strawberry.enum_value("update", description="It was changed.")
    DELETED = strawberry.enum_value("delete", description="It was removed; no details follow.")


@strawberry.type(description="The mark of a mark event, as it is now.")
class DiaryEventMark:
    label: str = strawberry.field(description="The mark as written, e.g. «5».")
    work_type_name: str = strawberry.field(description="The kind of work (вид работы).")
    work_date: date = strawberry.field(description="The day of the work.")
    subject_name: str = strawberry.field(description="The subject (предмет).")
    comment: str | None = strawberry.field(description="The teacher's comment, if any.")


@strawberry.type(description="The attendance entry of an attendance event, as it is now.")
class DiaryEventAttendance:
    kind: AttendanceKindEnum = strawberry.field(description="Absent, ill, excused or late.")
    late_minutes: int | None = strawberry.field(description="With LATE: minutes late.")


@strawberry.type(description="The lesson of a lesson event, as it is now.")
class DiaryEventLesson:
    date: date = strawberry.field(description="The lesson's day.")
    subject_name: str = strawberry.field(description="The subject (предмет).")
    status: LessonStatusEnum = strawberry.field(description="Scheduled, held or cancelled.")
    topic: str | None = strawberry.field(description="The lesson's topic (тема урока).")
    homework: str | None = strawberry.field(description="The homework (домашнее задание).")
    homework_links: list[str] = strawberry.field(description="Links that go with the homework.")
    homework_due_on: date | None = strawberry.field(description="When the homework is due.")


@strawberry.type(description="A change in a student's diary: a new or changed mark or "
                             "attendance entry, or a lesson's new homework or topic. The detail "
                             "field of its kind is set unless the object was deleted.")
class DiaryEvent:
    kind: DiaryEventKind = strawberry.field(description="What the event is about.")
    op: DiaryEventOp = strawberry.field(description="What happened to it.")
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id).")
    lesson_id: strawberry.ID | None = strawberry.field(
        description="The lesson concerned (a Lesson id); null for a mark of a work with its "
                    "own date.")
    entity_id: strawberry.ID = strawberry.field(
        description="The object that changed: a Mark, AttendanceEntry or Lesson id.")
    occurred_at: datetime = strawberry.field(
        description="When the server heard of the change (just after it was committed).")
    mark: DiaryEventMark | None = strawberry.field(description="With MARK: the mark.")
    attendance: DiaryEventAttendance | None = strawberry.field(
        description="With ATTENDANCE: the entry.")
    lesson: DiaryEventLesson | None = strawberry.field(description="With LESSON: the lesson.")

    @classmethod
    def from_event(cls, event: Event) -> DiaryEvent:
        kind, type_name = _KINDS[event.entity]
        detail = event.detail
        return cls(
            kind=kind, op=DiaryEventOp(event.op),
            student_id=strawberry.ID(to_global_id("Person", event.student_id)),
            lesson_id=strawberry.ID(to_global_id("Lesson", event.lesson_id))
            if event.lesson_id else None,
            entity_id=strawberry.ID(to_global_id(type_name, event.entity_id)),
            occurred_at=event.occurred_at,
            mark=DiaryEventMark(
                label=detail.label, work_type_name=detail.work_type_name,
                work_date=detail.work_date, subject_name=detail.subject_name,
                comment=detail.comment) if isinstance(detail, MarkDetail) else None,
            attendance=DiaryEventAttendance(kind=detail.kind, late_minutes=detail.late_minutes)
            if isinstance(detail, AttendanceDetail) else None,
            lesson=DiaryEventLesson(
                date=detail.date, subject_name=detail.subject_name, status=detail.status,
                topic=detail.topic, homework=detail.homework,
                homework_links=detail.homework_links, homework_due_on=detail.homework_due_on)
            if isinstance(detail, LessonDetail) else None,
        )


# A notice's table: the event's kind and the type of its object's global id.
_KINDS = {
    "marks": (DiaryEventKind.MARK, "Mark"),
    "attendance": (DiaryEventKind.ATTENDANCE, "AttendanceEntry"),
    "lessons": (DiaryEventKind.LESSON, "Lesson"),
}


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


async def _recheck(ctx: SocketContext, session: AsyncSession, student_id: uuid.UUID) -> bool:
    """Resolve the viewer again (logout, revoked token, lost role) at most once a minute."""
    if ctx.reauthenticate is None or time.monotonic() - ctx.checked_at < RECHECK_SECONDS:
        return True
    ctx.access = await ctx.reauthenticate(session)
    ctx.checked_at = time.monotonic()
    return await may_follow(session, ctx.access, student_id)


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
        school_id = await student_school(session, ctx.access, student)
    if school_id is None:
        raise not_found()
    with ctx.listener.subscribe(school_id, student) as inbox:
        try:
            async for batch in _until_expiry(ctx, inbox.batches()):
                async with transaction(ctx.sessions) as session:
                    if not await _recheck(ctx, session, student):
                        raise access_lost()
                    events = await events_for(session, ctx.access, school_id, student, batch)
                for event in events:
                    yield DiaryEvent.from_event(event)
        except InboxOverflow as err:
            raise request_error("OVERFLOW", str(err)) from None


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
