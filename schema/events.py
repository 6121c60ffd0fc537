"""Live diary events (`diaryEvents`): what changed in a student's diary, as it happens, and
what changed since a cursor.

Authorised once when subscribing (the student's person must be visible to the viewer, as for
the diary). The subscription registers for live notices first, then reads the diary event log
after its position (`after:`, else the school's position when the socket was acknowledged),
then the live notices after the last event it read, and the log again whenever the notices
may have a gap (resolvers/events/log.py). Every batch is read in a fresh short transaction in
the viewer's scope (resolvers/events/diary.py), replayed and live alike, and its events' fields
(a `Grade`) resolve in it. The viewer is re-checked now and then, so a logged-out session or
a revoked token stops receiving events; and the subscription ends with an UNAUTHENTICATED
error when the access token of connection_init expires. There is no re-authentication
message: the client opens a new socket with a fresh token and subscribes again, with `after:`
its last event's cursor.
"""

from __future__ import annotations

import asyncio
import enum
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from db import models
from db.engine import transaction
from resolvers.events.diary import (
    AttendanceDetail,
    Event,
    LessonDetail,
    MarkDetail,
    access_lost,
    catch_up,
    events_for,
    may_follow,
    not_found,
    student_school,
    token_expired,
)
from resolvers.events.log import REPLAY_PAGE, decode_cursor, encode_cursor, positions
from resolvers.events.notifications import DiaryNotice
from schema.context import SocketContext, event_scope
from schema.grades import Grade, readable_grades
from schema.ids import query_id, to_global_id
from schema.lessons import LessonStatusEnum
from schema.loaders import Loaders
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
    GRADE = strawberry.enum_value("grade", description="A period, year, exam or final grade "
                                                       "(итоговая оценка).")


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
                             "attendance entry, a lesson's new homework or topic, or a new or "
                             "changed period, year, exam or final grade. The detail field of "
                             "its kind is set unless the object was deleted.")
class DiaryEvent:
    cursor: str = strawberry.field(
        description="Its position in the student's event stream: subscribe again with "
                    "`after:` this value to receive every event after it (within the replay "
                    "window, 24 h). Opaque.")
    kind: DiaryEventKind = strawberry.field(description="What the event is about.")
    op: DiaryEventOp = strawberry.field(description="What happened to it.")
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id).")
    lesson_id: strawberry.ID | None = strawberry.field(
        description="The lesson concerned (a Lesson id); null for a mark of a work with its "
                    "own date.")
    entity_id: strawberry.ID = strawberry.field(
        description="The object that changed: a Mark, AttendanceEntry or Lesson id.")
    occurred_at: datetime = strawberry.field(
        description="When the change was written (in its transaction, just before the commit).")
    mark: DiaryEventMark | None = strawberry.field(description="With MARK: the mark.")
    attendance: DiaryEventAttendance | None = strawberry.field(
        description="With ATTENDANCE: the entry.")
    lesson: DiaryEventLesson | None = strawberry.field(description="With LESSON: the lesson.")
    grade: Grade | None = strawberry.field(
        description="With GRADE: the grade as it is now (only events of grades the viewer may "
                    "read are sent).")

    @classmethod
    def from_event(cls, event: Event) -> DiaryEvent:
        kind, type_name = _KINDS[event.entity]
        detail = event.detail
        assert event.cursor is not None
        return cls(
            cursor=encode_cursor(event.cursor, event.occurred_at),
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
            grade=Grade.from_model(detail) if isinstance(detail, models.Grade) else None,
        )


# A notice's table: the event's kind and the type of its object's global id.
_KINDS = {
    "marks": (DiaryEventKind.MARK, "Mark"),
    "attendance": (DiaryEventKind.ATTENDANCE, "AttendanceEntry"),
    "lessons": (DiaryEventKind.LESSON, "Lesson"),
    "grades": (DiaryEventKind.GRADE, "Grade"),
}


async def _until_expiry(ctx: SocketContext, wakeups: AsyncIterator[tuple[bool, list[DiaryNotice]]]
                        ) -> AsyncIterator[tuple[bool, list[DiaryNotice]]]:
    """The wake-ups, ending with `token_expired` when the token does, even if none comes.

    `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` returns the result when the
    wake-up and a cancellation (the client closed the socket) come together, swallowing the
    cancellation; the stream then waited for ever and held the server's shutdown for its
    whole grace period."""
    while True:
        left = ctx.seconds_left()
        if left is not None and left <= 0:
            raise token_expired()
        try:
            async with asyncio.timeout(left):
                wakeup = await anext(wakeups)
        except TimeoutError:
            raise token_expired() from None
        except StopAsyncIteration:
            return
        yield wakeup


async def _recheck(ctx: SocketContext, session: AsyncSession, student_id: uuid.UUID) -> bool:
    """Resolve the viewer again (logout, revoked token, lost role) at most once a minute."""
    if ctx.reauthenticate is None or time.monotonic() - ctx.checked_at < RECHECK_SECONDS:
        return True
    ctx.access = await ctx.reauthenticate(session)
    ctx.checked_at = time.monotonic()
    return await may_follow(session, ctx.access, student_id)


class _Stream:
    """One subscription's position in the student's event stream: the cursor of the last
    event it read (sent or not the viewer's to read)."""

    def __init__(self, info: Info, school_id: uuid.UUID, student_id: uuid.UUID,
                 position: int) -> None:
        self.info = info
        self.ctx: SocketContext = info.context
        self.school_id = school_id
        self.student_id = student_id
        self.position = position
        self.more = False

    async def read(self, from_log: bool, notices: list[DiaryNotice]
                   ) -> AsyncIterator[DiaryEvent]:
        """The events of a wake-up in cursor order, each once: the log after the position
        first (when asked), then the live notices after it. Grade events are sent inside the
        batch's transaction, so their fields read in it."""
        ctx = self.ctx
        async with transaction(ctx.sessions) as session:
            if not await _recheck(ctx, session, self.student_id):
                raise access_lost()
            batch = await catch_up(session, ctx.access, self.school_id, self.student_id,
                                   self.position) if from_log else []
            # A full page: more is in the log, the live notices included; read on first.
            self.more = len(batch) >= REPLAY_PAGE
            if not self.more:
                last = max([self.position, *(n.cursor or 0 for n in batch)])
                batch += sorted((n for n in notices
                                 if n.cursor is not None and n.cursor > last),
                                key=lambda n: n.cursor or 0)
            if not batch:
                return
            events = await events_for(session, ctx.access, self.school_id, self.student_id,
                                      batch)
            self.position = max(self.position, *(n.cursor or 0 for n in batch))
            if any(isinstance(e.detail, models.Grade) for e in events):
                # A Grade's fields read the database: send them inside the transaction.
                with event_scope(session, Loaders(session, ctx.access)):
                    for event in await self._readable(events):
                        yield DiaryEvent.from_event(event)
                return
        # The other kinds are plain values: sent with the connection back in the pool, so a
        # slow client never holds one.
        for event in events:
            yield DiaryEvent.from_event(event)

    async def _readable(self, events: list[Event]) -> list[Event]:
        """Grades go by the grade's own rule (schema/grades.py), as `node(id:)` reads them."""
        rows = [e.detail for e in events if isinstance(e.detail, models.Grade)]
        if not rows:
            return events
        readable = dict(zip([r.id for r in rows], await readable_grades(self.info, rows),
                            strict=True))
        return [e for e in events
                if not isinstance(e.detail, models.Grade) or readable[e.detail.id]]


async def _first(wakeups: AsyncIterator[tuple[bool, list[DiaryNotice]]]
                 ) -> AsyncIterator[tuple[bool, list[DiaryNotice]]]:
    """A first wake-up that reads the log (the replay), then the inbox's."""
    yield True, []
    async for wakeup in wakeups:
        yield wakeup


async def diary_events(
    info: Info,
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
    after: Annotated[str | None, strawberry.argument(
        description="The `cursor` of the last event received: the events after it (within "
                    "the replay window, 24 h) are sent first, then the live ones, each once. "
                    "Without it the stream starts when the socket was acknowledged "
                    "(connection_ack).")] = None,
) -> AsyncGenerator[DiaryEvent, None]:
    ctx = info.context
    if not isinstance(ctx, SocketContext) or ctx.listener is None:
        raise request_error("BAD_REQUEST", "subscriptions are served over WebSocket "
                                       "(graphql-transport-ws) at /graphql")
    student = query_id(student_id, "Person", "studentId")
    assert student is not None
    start = decode_cursor(after) if after is not None else None
    left = ctx.seconds_left()
    if left is not None and left <= 0:
        raise token_expired()
    async with transaction(ctx.sessions) as session:
        school_id = await student_school(session, ctx.access, student)
    if school_id is None:
        raise not_found()
    # Registered before the log is read: whatever commits from now on is heard or read.
    with ctx.listener.subscribe(school_id, student) as inbox:
        if start is None:
            start = ctx.start_positions.get(school_id)
        if start is None:  # a school the socket's viewer did not have at connection_init
            async with transaction(ctx.sessions) as session:
                start = (await positions(session, [school_id]))[school_id]
        stream = _Stream(info, school_id, student, start)
        # aclosing: a batch's transaction ends here when the stream is closed mid-batch, never
        # in a finaliser after the server has gone (the shutdown test).
        async for gap, notices in _until_expiry(ctx, _first(inbox.batches())):
            while True:
                async with aclosing(stream.read(gap, notices)) as events:
                    async for event in events:
                        yield event
                if not stream.more:
                    break
                gap, notices = True, []


@strawberry.type
class EventsSubscription:
    diary_events: AsyncGenerator[DiaryEvent, None] = strawberry.subscription(
        resolver=diary_events, permission_classes=[IsAuthenticated],
        description="Live changes in a student's diary (дневник): new or changed marks and "
                    "attendance, and new homework or topics of the student's lessons, as they "
                    "are committed by any server, and new or changed period, year, exam and "
                    "final grades. Each event carries its `cursor`; subscribing with `after:` "
                    "replays the events since (kept 24 h), so a reconnect loses nothing. Over "
                    "WebSocket (graphql-transport-ws), authenticated at connection_init with "
                    "{\"Authorization\": \"Bearer <token>\"} (or `authorization`, "
                    "`authToken`, `token`, `headers.Authorization`; \"Bearer \" optional). "
                    "For the student, their guardians, their teachers, their class "
                    "teacher and administrators; anyone else gets a NOT_FOUND error, as for a "
                    "student that does not exist.")
