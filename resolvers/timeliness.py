"""Deadlines of the regulation, in the school's time zone (5.4–5.6), and the posting window.

- topic and attendance on the lesson day; homework no later than the lesson day;
- marks within `mark_deadline_days` (7) days of the work;
- after the school's posting window (days after the lesson), only an administrator may change
  an entry (and the change is audited like every other).
Late entries are accepted with a warning; the entry times are stored, so reports measure them.

Lateness is judged by the server's clock. An offline client may say when an entry was really
made (`recordedAt`): that time counts only inside the school's offline window
(`offline_window_hours`, 72 by default) and never before the lesson's (or work's) day; any
other `recordedAt` is refused, so dating an entry back cannot hide that it is late.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import School, SchoolSettings
from tenants.access import AccessContext
from tenants.errors import EntryWarning, ErrorCode, Problem, WarningCode, forbidden
from tenants.rules import is_admin

DEFAULT_OFFLINE_WINDOW_HOURS = 72
# A client clock a little off ours is neither a recording from the future nor one just outside
# the window.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Deadlines:
    timezone: ZoneInfo
    mark_deadline_days: int
    posting_window_days: int | None
    offline_window_hours: int = DEFAULT_OFFLINE_WINDOW_HOURS

    @classmethod
    def of(cls, timezone: str, mark_deadline_days: int | None,
           posting_window_days: int | None, offline_window_hours: int | None = None
           ) -> Deadlines:
        """From a school's settings: without settings, the regulation's 7 days for marks and
        72 hours of offline window."""
        # `is None`, not `or`: a deadline of 0 days (marks on the day of the work) is a setting
        return cls(ZoneInfo(timezone), 7 if mark_deadline_days is None else mark_deadline_days,
                   posting_window_days,
                   DEFAULT_OFFLINE_WINDOW_HOURS if offline_window_hours is None
                   else offline_window_hours)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def late_for_lesson_day(self, lesson_day: date, entered: datetime) -> bool:
        """Topic, attendance and homework belong to the lesson day itself."""
        return self.local_day(entered) > lesson_day

    def late_mark(self, work_day: date, entered: datetime) -> bool:
        return self.local_day(entered) > work_day + timedelta(days=self.mark_deadline_days)

    def entry_time(self, recorded_at: datetime | None, now: datetime, day: date,
                   field: str, errors: list[Problem]) -> datetime | None:
        """The client's `recordedAt` of an entry for `day` (the lesson's or the work's), checked:
        returned when it may count as the time of entry, else None with a problem on `field`
        (no time zone; in the future; before `day`; older than the offline window)."""
        if recorded_at is None:
            return None
        if recorded_at.tzinfo is None:
            errors.append(Problem(field=field, code=ErrorCode.INVALID, message=(
                "needs a time zone offset, e.g. 2015-09-01T09:15:00+09:00")))
            return None
        if recorded_at > now + CLOCK_SKEW:
            errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                  message="is in the future"))
            return None
        if self.local_day(recorded_at) < day:
            errors.append(Problem(field=field, code=ErrorCode.INVALID, message=(
                f"is before the day of the entry ({day.isoformat()})")))
            return None
        if recorded_at < now - timedelta(hours=self.offline_window_hours) - CLOCK_SKEW:
            errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE, message=(
                f"is outside the school's offline window ({self.offline_window_hours} hours "
                "before now): send the entry without recordedAt; lateness is judged by the "
                "server's time")))
            return None
        return recorded_at

    def window_closed(self, day: date, now: datetime) -> bool:
        if self.posting_window_days is None:
            return False
        return self.local_day(now) > day + timedelta(days=self.posting_window_days)


async def deadlines(session: AsyncSession, school_id: uuid.UUID) -> Deadlines:
    row = (await session.execute(
        select(School.timezone, SchoolSettings.mark_deadline_days,
               SchoolSettings.posting_window_days, SchoolSettings.offline_window_hours)
        .outerjoin(SchoolSettings, SchoolSettings.school_id == School.id)
        .where(School.id == school_id))).one()
    return Deadlines.of(row.timezone, row.mark_deadline_days, row.posting_window_days,
                        row.offline_window_hours)


def late_warning(field: str, what: str, deadline: str) -> EntryWarning:
    return EntryWarning(field=field, code=WarningCode.LATE_ENTRY,
                       message=f"{what} entered after the deadline ({deadline}); accepted and "
                               "flagged as late")


def require_open_window(access: AccessContext, school_id: uuid.UUID, rules: Deadlines,
                        day: date, now: datetime, field: str) -> None:
    """Past the posting window only an administrator may change the entry."""
    if rules.window_closed(day, now) and not is_admin(access, school_id):
        raise forbidden(field, f"the posting window for {day.isoformat()} has closed: ask an "
                               "administrator to make this change")
