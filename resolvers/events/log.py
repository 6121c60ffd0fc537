"""The diary event log (`diary_events`): cursors, replay and the retention window.

Every change a diary subscriber may be told of is a row, written by its table's trigger in the
writer's transaction (db/rls.py DIARY_EVENT_LOG) and numbered as that transaction commits, so
its cursor grows in commit order within a school. A subscription reads the rows after its
position (its `after:` cursor, or the school's position when its socket was acknowledged),
then the live notices after the last row it read; whenever the live notices may have a gap
(the LISTEN connection was lost, or the subscriber fell behind) it reads the log again. Rows
older than `REPLAY_WINDOW` are never replayed and are purged by every server process
(`purge`, every `PURGE_EVERY`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.models import DiaryEventEntry, GroupMembership, Lesson, School
from db.tenancy import set_tenant_async
from resolvers.events.notifications import DiaryNotice
from tenants.errors import RequestError, bad_argument

log = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(hours=24)
PURGE_EVERY = timedelta(minutes=10)
# Rows read per statement when catching up; a student's day holds far fewer.
REPLAY_PAGE = 500

_PREFIX = "diary:"


def encode_cursor(cursor: int, at: datetime) -> str:
    """An event's cursor as clients see it: opaque, carrying the position and the time (so a
    cursor older than the window is refused rather than silently replaying a gap)."""
    raw = f"{_PREFIX}{cursor}:{int(at.timestamp() * 1000)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str, now: datetime | None = None) -> int:
    """The position of an `after:` cursor; a clear error when it is not one of ours, or when
    events after it may already have been purged."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        position, _, millis = raw.removeprefix(_PREFIX).partition(":")
        cursor, at = int(position), datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise bad_argument("after", "is not a cursor of a diaryEvents event") from None
    if cursor < 0:
        raise bad_argument("after", "is not a cursor of a diaryEvents event")
    if at < (now or datetime.now(UTC)) - REPLAY_WINDOW:
        raise RequestError(
            "CURSOR_EXPIRED",
            f"argument 'after' is older than the replay window ({_hours(REPLAY_WINDOW)} h): "
            "events after it may be gone; read the diary again and subscribe without 'after'",
            argument="after")
    return cursor


def _hours(window: timedelta) -> int:
    return int(window.total_seconds() // 3600)


async def positions(session: AsyncSession, school_ids: Iterable[uuid.UUID]
                    ) -> dict[uuid.UUID, int]:
    """Each school's last committed cursor (0 when it has none): every event committed later
    in that school has a greater one. One statement, an index probe per school."""
    ids = list(school_ids)
    if not ids:
        return {}
    await set_tenant_async(session, ids)
    school = select(School.id.label("school_id")).where(School.id.in_(ids)).subquery()
    last = (select(func.coalesce(func.max(DiaryEventEntry.cursor), 0))
            .where(DiaryEventEntry.school_id == school.c.school_id)
            .scalar_subquery())
    rows = await session.execute(select(school.c.school_id, last))
    return {school_id: cursor for school_id, cursor in rows}


async def replay(session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID,
                 after: int, *, now: datetime | None = None,
                 limit: int = REPLAY_PAGE) -> list[DiaryNotice]:
    """The student's events after `after` within the window, in cursor order: their own rows
    (marks, attendance, grades) and the lessons of groups they were a member of on the
    lesson's day. The caller has set the viewer's RLS scope."""
    since = (now or datetime.now(UTC)) - REPLAY_WINDOW
    e = DiaryEventEntry
    recent = and_(e.school_id == school_id, e.cursor > after, e.created_at > since)
    own = select(e).where(recent, e.student_id == student_id)
    member = (select(GroupMembership.student_id)
              .join(Lesson, and_(Lesson.school_id == GroupMembership.school_id,
                                 Lesson.group_id == GroupMembership.group_id))
              .where(Lesson.school_id == e.school_id, Lesson.id == e.entity_id,
                     GroupMembership.student_id == student_id,
                     GroupMembership.starts_on <= Lesson.date,
                     or_(GroupMembership.ends_on.is_(None),
                         GroupMembership.ends_on >= Lesson.date)))
    lessons = select(e).where(recent, e.entity == "lessons", member.exists())
    stmt = select(e).from_statement(
        union_all(own, lessons).order_by(literal_column("cursor")).limit(limit))
    rows = (await session.scalars(stmt)).all()
    return [DiaryNotice(school_id=r.school_id, entity=r.entity, op=r.op, id=r.entity_id,
                        received_at=r.created_at, student_id=r.student_id,
                        lesson_id=r.lesson_id, group_id=r.group_id, cursor=r.cursor)
            for r in rows]


async def purge(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete every school's events older than the window (run by each server process; the
    rows are never replayed anyway)."""
    schools = (await session.scalars(select(School.id))).all()
    if not schools:
        return 0
    await set_tenant_async(session, schools)
    result = await session.execute(
        delete(DiaryEventEntry).where(
            DiaryEventEntry.created_at <= (now or datetime.now(UTC)) - REPLAY_WINDOW))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def purge_periodically(sessions: async_sessionmaker[AsyncSession],
                             every: timedelta = PURGE_EVERY) -> None:
    """`purge` now and every `every` until cancelled (the server's lifespan); a failure is
    logged and tried again next time."""
    while True:
        try:
            async with transaction(sessions) as session:
                purged = await purge(session)
            if purged:
                log.info("purged %d diary events older than %s", purged, REPLAY_WINDOW)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the database is away: next time
            log.warning("could not purge diary events: %s",
                        str(err).strip().splitlines()[0] if str(err).strip()
                        else type(err).__name__)
        await asyncio.sleep(every.total_seconds())
