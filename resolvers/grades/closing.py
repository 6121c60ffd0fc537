"""Closing periods and academic years, and the locks they put on the journal.

- A period is closed by an administrator once it has ended — and, when the school has a
  posting window, once that window has passed for its last day. From then on the marks,
  attendance and grades dated inside it (for the grade levels whose scheme it belongs to) may
  be changed by administrators only; every change is audited like any other.
- An academic year whose periods are all closed is closed in turn: it becomes `archived`, and
  nothing dated in it may be written any more, by anyone (regulation 5.10).

Which period holds a day for a group: the period of the scheme its grade level uses in the
year (grade_level_schemes; a cross-class group takes its youngest class, as grading_uses);
when the grade level has no scheme, any period of the year holding the day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor, Change
from resolvers.grading.uses import GROUP_GRADE_LEVEL
from resolvers.school_config import admin_row
from resolvers.timeliness import deadlines
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, refusal
from tenants.rules import is_admin

# The lock rows of `req` (group_id, day pairs, defined by the caller) as the CTE `locks`.
LOCK_CTES = f"""
lock_groups AS (
  SELECT req.group_id, req.day, sg.school_id, sg.academic_year_id,
         {GROUP_GRADE_LEVEL} AS grade_level
  FROM req JOIN study_groups sg ON sg.id = req.group_id
),
locks AS (
  SELECT g.school_id, g.group_id, g.day, y.name AS year_name, y.status AS year_status,
         (SELECT p.name FROM period_schemes ps
          JOIN periods p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
          WHERE ps.school_id = g.school_id AND ps.academic_year_id = g.academic_year_id
            AND (ps.id = lvl.scheme_id OR lvl.scheme_id IS NULL)
            AND g.day BETWEEN p.starts_on AND p.ends_on AND p.closed_at IS NOT NULL
          ORDER BY p.ends_on LIMIT 1) AS closed_period
  FROM lock_groups g
  JOIN academic_years y ON y.school_id = g.school_id AND y.id = g.academic_year_id
  LEFT JOIN grade_level_schemes lvl ON lvl.school_id = g.school_id
   AND lvl.academic_year_id = g.academic_year_id AND lvl.grade_level = g.grade_level
)"""

LOCKS = text(f"""
WITH req AS (
  SELECT DISTINCT r.group_id, r.day
  FROM unnest(CAST(:group_ids AS uuid[]), CAST(:days AS date[])) AS r(group_id, day)
), {LOCK_CTES}
SELECT * FROM locks WHERE school_id = :school_id""")


def is_open(period: models.Period) -> bool:
    """A period is open until an administrator closes it. Closing needs its end (and its
    posting window) to have passed, so an open period is one not yet over, or over but not
    yet closed: either way its grades may still change. The year-grade rule
    (resolvers/grades/year.py) and the report card (resolvers/grades/report_card.py) read it."""
    return period.closed_at is None


@dataclass(frozen=True)
class Lock:
    """What stands in the way of writing a group's entry of one day."""

    year_name: str
    archived: bool
    closed_period: str | None  # name of the closed period holding the day


async def period_locks(session: AsyncSession, school_id: uuid.UUID,
                       group_days: Iterable[tuple[uuid.UUID, date]]
                       ) -> dict[tuple[uuid.UUID, date], Lock]:
    """The lock of each (group, day), in one statement however many; a pair without a lock
    (open year, no closed period holding the day) is absent from the answer."""
    pairs = list(dict.fromkeys(group_days))
    if not pairs:
        return {}
    rows = await session.execute(LOCKS, {"school_id": school_id,
                                         "group_ids": [g for g, _ in pairs],
                                         "days": [d for _, d in pairs]})
    return locks_of(rows)


def locks_of(rows: Iterable[Any]) -> dict[tuple[uuid.UUID, date], Lock]:
    """LOCK_CTES' rows as locks; a pair without a lock is left out."""
    out: dict[tuple[uuid.UUID, date], Lock] = {}
    for r in rows:
        archived = r.year_status == models.YearStatus.ARCHIVED.value
        if archived or r.closed_period is not None:
            out[(r.group_id, r.day)] = Lock(r.year_name, archived, r.closed_period)
    return out


def lock_error(access: AccessContext, school_id: uuid.UUID, lock: Lock | None, field: str
               ) -> Problem | None:
    """The refusal a lock means for this viewer, if any."""
    if lock is None:
        return None
    if lock.archived:
        return archived_error(lock.year_name, field)
    if lock.closed_period is not None and not is_admin(access, school_id):
        return Problem(field=field, code=ErrorCode.FORBIDDEN,
                         message=f"the period «{lock.closed_period}» is closed: only an "
                                 "administrator may change its marks, attendance and grades")
    return None


def archived_error(year_name: str, field: str | None) -> Problem:
    return Problem(field=field, code=ErrorCode.FORBIDDEN,
                     message=f"the academic year «{year_name}» is archived and read-only")


async def require_period_open(session: AsyncSession, access: AccessContext,
                              school_id: uuid.UUID, group_id: uuid.UUID, day: date,
                              field: str) -> None:
    """Refuse a non-administrator's write of the group's entry dated `day` when the period
    holding that day is closed (FORBIDDEN on `field`); refuse anyone's write into an archived
    year. For many entries at once read `period_locks` and use `require_unlocked`."""
    locks = await period_locks(session, school_id, [(group_id, day)])
    error = lock_error(access, school_id, locks.get((group_id, day)), field)
    if error is not None:
        raise DomainError(error)


def require_unlocked(access: AccessContext, school_id: uuid.UUID,
                     locks: dict[tuple[uuid.UUID, date], Lock],
                     entries: Iterable[tuple[uuid.UUID, date, str]]) -> None:
    """Refuse the (group, day, field) entries that `locks` forbid this viewer: every refused
    entry is reported, each on its field."""
    errors = [e for g, d, f in entries
              if (e := lock_error(access, school_id, locks.get((g, d)), f)) is not None]
    if errors:
        raise DomainError(*errors)


async def require_year_writable(session: AsyncSession, school_id: uuid.UUID,
                                year_id: uuid.UUID, field: str | None) -> None:
    """Refuse any write into an archived academic year (FORBIDDEN on `field`)."""
    year = await session.scalar(select(models.AcademicYear).where(
        models.AcademicYear.school_id == school_id, models.AcademicYear.id == year_id))
    if year is not None and year.status == models.YearStatus.ARCHIVED:
        raise DomainError(archived_error(year.name, field))


async def close_period(session: AsyncSession, access: AccessContext, period_id: uuid.UUID, *,
                       actor: ActorFor) -> models.Period:
    period = await admin_row(session, access, models.Period, period_id, "input.periodId",
                             "period")
    school_id = period.school_id
    scheme = await session.scalar(select(models.PeriodScheme).where(
        models.PeriodScheme.school_id == school_id, models.PeriodScheme.id == period.scheme_id))
    assert scheme is not None
    await require_year_writable(session, school_id, scheme.academic_year_id, "input.periodId")
    if period.closed_at is not None:
        raise refusal("input.periodId", ErrorCode.INVALID,
                         f"the period «{period.name}» is already closed")
    rules = await deadlines(session, school_id)
    now = datetime.now(UTC)
    today = rules.local_day(now)
    window = rules.posting_window_days or 0
    opens_on = period.ends_on + timedelta(days=window + 1)
    if today < opens_on:
        why = (f"it ends on {period.ends_on.isoformat()}" if not window else
               f"it ends on {period.ends_on.isoformat()} and the posting window of {window} "
               "days must pass")
        raise refusal("input.periodId", ErrorCode.INVALID,
                         f"the period «{period.name}» cannot be closed yet: {why}; it can be "
                         f"closed from {opens_on.isoformat()}")
    before = audit.snapshot(period)
    period.closed_at = now
    await session.flush()
    await audit.record(session, actor(school_id), Change(
        school_id=school_id, action="close", entity="periods", entity_id=period.id,
        before=before, after=audit.snapshot(period)))
    return period


async def close_academic_year(session: AsyncSession, access: AccessContext, year_id: uuid.UUID,
                              *, actor: ActorFor) -> models.AcademicYear:
    year = await admin_row(session, access, models.AcademicYear, year_id,
                           "input.academicYearId", "academic year")
    if year.status == models.YearStatus.ARCHIVED:
        raise refusal("input.academicYearId", ErrorCode.INVALID,
                         f"the academic year «{year.name}» is already archived")
    still_open = (await session.scalars(
        select(models.Period.name)
        .join(models.PeriodScheme, (models.PeriodScheme.school_id == models.Period.school_id)
              & (models.PeriodScheme.id == models.Period.scheme_id))
        .where(models.PeriodScheme.school_id == year.school_id,
               models.PeriodScheme.academic_year_id == year.id,
               models.Period.closed_at.is_(None))
        .order_by(models.PeriodScheme.name, models.Period.ordinal))).all()
    if still_open:
        raise refusal("input.academicYearId", ErrorCode.INVALID,
                         "close every period first; still open: "
                         + ", ".join(f"«{n}»" for n in still_open))
    before = audit.snapshot(year)
    year.status = models.YearStatus.ARCHIVED
    await session.flush()
    await audit.record(session, actor(year.school_id), Change(
        school_id=year.school_id, action="archive", entity="academic_years", entity_id=year.id,
        before=before, after=audit.snapshot(year)))
    return year
