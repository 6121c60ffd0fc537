"""Diary events: one LISTEN connection per process, fanned out to in-process subscribers.

The triggers (db/rls.py DIARY_EVENT_LOG) write every change of a mark, an attendance entry, a
lesson's homework/topic or a grade to the diary event log and announce it, with its cursor,
when its transaction commits, on one channel. Each server process keeps one dedicated
connection (the application role: LISTEN needs no privilege) that receives them all, routes
each to the inboxes of the subscribers it concerns, and reconnects with backoff when the
database goes away. Notices missed meanwhile are not lost: on reconnecting (and when a
subscriber falls too far behind) every inbox is told to read the log again
(resolvers/events/log.py). Details are not read here: each subscriber reads them in its own
viewer's scope (resolvers/events/diary.py), so routing can never leak data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import psycopg
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import GroupMembership, Lesson
from db.rls import DIARY_CHANNEL
from db.tenancy import set_tenant_async

log = logging.getLogger(__name__)

# Names the connection in pg_stat_activity (operators, and the reconnection test).
LISTENER_APPLICATION_NAME = "zhurnal-diary-listener"

StudentKey = tuple[uuid.UUID, uuid.UUID]  # (school_id, student_id)


@dataclass(frozen=True)
class DiaryNotice:
    """One row change as the trigger announced it (or as the log holds it): its cursor, and
    when it was written (or, from a trigger older than the log, when it was heard)."""

    school_id: uuid.UUID
    entity: str  # marks | attendance | lessons
    op: str  # insert | update | delete
    id: uuid.UUID
    received_at: datetime
    student_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    cursor: int | None = None

    @classmethod
    def parse(cls, payload: str, received_at: datetime) -> DiaryNotice | None:
        try:
            data = json.loads(payload)

            def opt(key: str) -> uuid.UUID | None:
                return uuid.UUID(data[key]) if data.get(key) else None

            at = datetime.fromisoformat(data["at"]) if data.get("at") else received_at
            cursor = int(data["cursor"]) if data.get("cursor") is not None else None
            return cls(school_id=uuid.UUID(data["school_id"]), entity=str(data["entity"]),
                       op=str(data["op"]), id=uuid.UUID(data["id"]), received_at=at,
                       student_id=opt("student_id"), lesson_id=opt("lesson_id"),
                       group_id=opt("group_id"), cursor=cursor)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed diary notification: %.200s", payload)
            return None


class Watcher(Protocol):
    """Something that must hear every notice at once (the diary cache)."""

    def heard(self, notice: DiaryNotice) -> None: ...

    def connected(self, listening: bool) -> None: ...


class Inbox:
    """The notices for one subscription to one student, consumed in wake-ups: each says
    whether the live notices may have a gap (so the subscriber reads the log again) and which
    notices arrived since the last one."""

    def __init__(self, key: StudentKey, limit: int) -> None:
        self.key = key
        self._limit = limit
        self._pending: deque[DiaryNotice] = deque()
        self._wake = asyncio.Event()
        self._ended = False
        self._gap = False  # the subscriber reads the log itself before the first wake-up

    def deliver(self, notice: DiaryNotice) -> None:
        if self._ended:
            return
        if len(self._pending) >= self._limit:
            # Fallen too far behind: drop what is held, the log has it.
            self.gap()
            return
        self._pending.append(notice)
        self._wake.set()

    def gap(self) -> None:
        """Notices may have been missed: the next wake-up reads the log."""
        self._pending.clear()
        self._gap = True
        self._wake.set()

    def end(self) -> None:
        self._ended = True
        self._wake.set()

    async def batches(self) -> AsyncIterator[tuple[bool, list[DiaryNotice]]]:
        """(read the log first?, the notices since the last wake-up); returns when the
        listener stops."""
        while True:
            if self._ended:
                return
            if self._gap or self._pending:
                gap, batch = self._gap, list(self._pending)
                self._gap = False
                self._pending.clear()
                yield gap, batch
                continue
            self._wake.clear()
            await self._wake.wait()


class DiaryListener:
    """The process's LISTEN connection and its subscribers."""

    def __init__(
        self, dsn: str, sessions: async_sessionmaker[AsyncSession], *,
        inbox_limit: int = 1000, keepalive: float = 30.0,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._dsn = dsn
        self._sessions = sessions
        self._inbox_limit = inbox_limit
        self._keepalive = keepalive
        self._backoff = backoff
        self._inboxes: dict[StudentKey, set[Inbox]] = defaultdict(set)
        self._incoming: list[DiaryNotice] = []
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._watchers: list[Watcher] = []
        self.listening = asyncio.Event()
        self.stopped = False

    def watch(self, watcher: Watcher) -> None:
        """Tell `watcher` every notice as soon as it is heard, and whether the listener is
        connected (notices are lost while it is not)."""
        self._watchers.append(watcher)

    def _connected(self, listening: bool) -> None:
        if listening:
            self.listening.set()
        else:
            self.listening.clear()
        for watcher in self._watchers:
            watcher.connected(listening)

    async def start(self, *, wait: float = 5.0) -> None:
        """Start listening; waits (briefly) for LISTEN so a just-started server hears writes
        made right after it answers. A database that is down only delays events."""
        self._tasks = [asyncio.create_task(self._listen(), name="diary-listen"),
                       asyncio.create_task(self._dispatch(), name="diary-dispatch")]
        with suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), wait)

    async def stop(self) -> None:
        """Stop listening and end every subscriber's stream (they complete cleanly)."""
        self.stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._connected(False)
        for inboxes in list(self._inboxes.values()):
            for inbox in list(inboxes):
                inbox.end()

    @contextmanager
    def subscribe(self, school_id: uuid.UUID, student_id: uuid.UUID) -> Iterator[Inbox]:
        inbox = Inbox((school_id, student_id), self._inbox_limit)
        if self.stopped:
            inbox.end()
        self._inboxes[inbox.key].add(inbox)
        try:
            yield inbox
        finally:
            subscribers = self._inboxes.get(inbox.key)
            if subscribers is not None:
                subscribers.discard(inbox)
                if not subscribers:
                    del self._inboxes[inbox.key]

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._inboxes.values())

    async def _listen(self) -> None:
        delay = self._backoff[0]
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True, connect_timeout=10,
                    application_name=LISTENER_APPLICATION_NAME)
                async with conn:
                    await conn.execute(f"LISTEN {DIARY_CHANNEL}")
                    self._connected(True)
                    # Anything committed while no LISTEN was in place is only in the log.
                    for inboxes in list(self._inboxes.values()):
                        for inbox in list(inboxes):
                            inbox.gap()
                    delay = self._backoff[0]
                    log.info("listening for diary events on %s", DIARY_CHANNEL)
                    while True:
                        async for n in conn.notifies(timeout=self._keepalive):
                            notice = DiaryNotice.parse(n.payload, datetime.now(UTC))
                            if notice is not None:
                                for watcher in self._watchers:
                                    watcher.heard(notice)
                                self._incoming.append(notice)
                                self._arrived.set()
                        # An idle connection that died silently shows up here, not in notifies.
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as err:  # any failure means: reconnect later
                # Notices committed while disconnected are not heard; the subscribers read
                # them from the log once the listener is back.
                log.warning("diary listener disconnected (%s); retrying in %.1fs",
                            str(err).strip().splitlines()[0] if str(err).strip() else
                            type(err).__name__, delay)
            self._connected(False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _dispatch(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            batch, self._incoming = self._incoming, []
            try:
                await self._route(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not route %d diary notices", len(batch))
                # Whoever they concerned reads them from the log instead.
                for inboxes in list(self._inboxes.values()):
                    for inbox in list(inboxes):
                        inbox.gap()

    async def _route(self, batch: list[DiaryNotice]) -> None:
        """Deliver each notice to the inboxes of the students it concerns, in the order heard
        (commit order): a subscriber skips a notice whose cursor is not above the last it
        read, so a lesson delivered after a later mark would be lost."""
        subscribed_schools = {school for school, _ in self._inboxes}
        lessons = [n for n in batch
                   if n.entity == "lessons" and n.school_id in subscribed_schools]
        members = await self._lesson_members(lessons) if lessons else {}
        for notice in batch:
            if notice.entity == "lessons":
                students: Iterable[uuid.UUID] = members.get((notice.school_id, notice.id), ())
            elif notice.student_id is not None:
                students = (notice.student_id,)
            else:
                continue
            for student_id in students:
                for inbox in list(self._inboxes.get((notice.school_id, student_id), ())):
                    inbox.deliver(notice)

    async def _lesson_members(
        self, lessons: list[DiaryNotice]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]]:
        """Which subscribed students were members of each lesson's group on the lesson's day
        (as the diary shows it): one statement for the whole batch. Only routing: the
        subscriber reads the details again in its viewer's scope."""
        schools = {n.school_id for n in lessons}
        students = [s for school, s in self._inboxes if school in schools]
        async with self._sessions() as session, session.begin():
            await set_tenant_async(session, schools)
            rows = (await session.execute(
                select(Lesson.school_id, Lesson.id, GroupMembership.student_id)
                .join(GroupMembership, and_(
                    GroupMembership.school_id == Lesson.school_id,
                    GroupMembership.group_id == Lesson.group_id,
                    GroupMembership.starts_on <= Lesson.date,
                    or_(GroupMembership.ends_on.is_(None), GroupMembership.ends_on >= Lesson.date),
                ))
                .where(tuple_(Lesson.school_id, Lesson.id).in_(
                    [(n.school_id, n.id) for n in lessons]),
                    GroupMembership.student_id.in_(students))
            )).all()
        out: dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]] = defaultdict(set)
        for school_id, lesson_id, student_id in rows:
            out[(school_id, lesson_id)].add(student_id)
        return out
