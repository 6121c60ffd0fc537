"""Writes of the calendar domain: each validates all of its input, then writes and audits.

The caller hands over the objects it has already checked the viewer administers (the year,
scheme or holiday, schema/school_access.py) and the author of the change for the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import Actor, Change, record, snapshot
from resolvers.calendar.checks import (
    GRADE_LEVELS,
    NAME_LENGTH,
    YEAR_NAME_LENGTH,
    Problems,
    Span,
    check_holidays,
    check_period_changes,
    check_periods,
    require_open,
    scheme_name_taken,
    table_of,
    used_periods,
    year_contents,
    year_name_taken,
)
from tenants.errors import DomainError, ErrorCode, Problem

# The period schemes of some ids, in their order (None where not visible): the request's
# cached batch read, so the payload's schemes cost no second statement.
SchemesById = Callable[[list[uuid.UUID]], Awaitable[list[models.PeriodScheme | None]]]


@dataclass(frozen=True)
class GradeLevelAssignment:
    """One grade level's scheme: `period_scheme_id` None removes it; `id_problems` say why
    the id given could not be read (then it is None too)."""

    grade_level: int
    period_scheme_id: uuid.UUID | None
    id_problems: tuple[Problem, ...] = ()


async def _year_of(session: AsyncSession, row: models.PeriodScheme | models.Holiday
                   ) -> models.AcademicYear:
    year = await session.scalar(select(models.AcademicYear).where(
        models.AcademicYear.id == row.academic_year_id))
    assert year is not None  # same school, same RLS scope as the row
    return year


# Academic years ----------------------------------------------------------------------------

async def create_academic_year(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                               name: str, starts_on: date, ends_on: date
                               ) -> models.AcademicYear:
    """A new open year in a school the caller administers."""
    problems = Problems()
    name = problems.name("input.name", name, YEAR_NAME_LENGTH)
    if starts_on >= ends_on:
        problems.add("input.endsOn", ErrorCode.INVALID, "the year must end after it starts")
    if name and await year_name_taken(session, school_id, name):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the school already has an academic year «{name}»")
    problems.raise_any()
    year = models.AcademicYear(school_id=school_id, id=uuid.uuid4(), name=name,
                               starts_on=starts_on, ends_on=ends_on,
                               status=models.YearStatus.OPEN)
    session.add(year)
    await session.flush()
    await record(session, actor, Change(school_id, "create", "academic_years", year.id,
                                        after=snapshot(year)))
    return year


async def update_academic_year(session: AsyncSession, actor: Actor, year: models.AcademicYear,
                               *, name: str | None, starts_on: date | None,
                               ends_on: date | None) -> models.AcademicYear:
    """Rename or re-date a year (None: unchanged); it must keep containing its periods and
    holidays."""
    problems = Problems()
    new_name = year.name if name is None else problems.name("input.name", name,
                                                            YEAR_NAME_LENGTH)
    new_start = year.starts_on if starts_on is None else starts_on
    new_end = year.ends_on if ends_on is None else ends_on
    if new_start >= new_end:
        problems.add("input.endsOn" if ends_on else "input.startsOn", ErrorCode.INVALID,
                     "the year must end after it starts")
    if new_name and new_name != year.name and await year_name_taken(
            session, year.school_id, new_name, year.id):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the school already has an academic year «{new_name}»")
    for what, span in await year_contents(session, year):
        if span.starts_on < new_start:
            problems.add("input.startsOn", ErrorCode.OUT_OF_RANGE,
                         f"{what} «{span.name}» starts on {span.starts_on}, before the year")
        if span.ends_on > new_end:
            problems.add("input.endsOn", ErrorCode.OUT_OF_RANGE,
                         f"{what} «{span.name}» ends on {span.ends_on}, after the year")
    problems.raise_any()
    before = snapshot(year)
    year.name, year.starts_on, year.ends_on = new_name, new_start, new_end
    await session.flush()
    after = snapshot(year)
    if after != before:
        await record(session, actor, Change(year.school_id, "update", "academic_years",
                                            year.id, before=before, after=after))
    return year


# Period schemes ----------------------------------------------------------------------------

async def create_period_scheme(session: AsyncSession, actor: Actor, year: models.AcademicYear,
                               *, name: str, kind: models.SchemeKind, periods: Sequence[Span],
                               holidays: Sequence[Span]) -> models.PeriodScheme:
    """A scheme of an open year with its periods (ordinals 1..n, in the order given) and its
    holidays."""
    require_open(year, "input.academicYearId")
    problems = Problems()
    name = problems.name("input.name", name, NAME_LENGTH)
    if name and await scheme_name_taken(session, year, name):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the year already has a period scheme «{name}»")
    period_spans = check_periods(problems, periods, year, "input.periods")
    holiday_spans = check_holidays(problems, holidays, year, "input.holidays")
    problems.raise_any()
    scheme = models.PeriodScheme(school_id=year.school_id, id=uuid.uuid4(),
                                 academic_year_id=year.id, name=name,
                                 kind=models.SchemeKind(kind))
    session.add(scheme)
    await session.flush()  # the periods' foreign key needs the scheme first
    rows: list[Any] = [scheme]
    rows += [_new_period(scheme, n, span) for n, span in enumerate(period_spans, start=1)]
    rows += [_new_holiday(year, scheme.id, span) for span in holiday_spans]
    session.add_all(rows[1:])
    await session.flush()
    await record(session, actor, *[
        Change(year.school_id, "create", table_of(r), r.id, after=snapshot(r)) for r in rows])
    return scheme


def _new_period(scheme: models.PeriodScheme, ordinal: int, span: Span) -> models.Period:
    return models.Period(school_id=scheme.school_id, id=uuid.uuid4(), scheme_id=scheme.id,
                         ordinal=ordinal, name=span.name, starts_on=span.starts_on,
                         ends_on=span.ends_on, closed_at=None)


def _new_holiday(year: models.AcademicYear, scheme_id: uuid.UUID | None, span: Span
                 ) -> models.Holiday:
    return models.Holiday(school_id=year.school_id, id=uuid.uuid4(), academic_year_id=year.id,
                          scheme_id=scheme_id, name=span.name, starts_on=span.starts_on,
                          ends_on=span.ends_on)


async def update_period_scheme(session: AsyncSession, actor: Actor,
                               scheme: models.PeriodScheme, year: models.AcademicYear, *,
                               name: str | None, periods: Sequence[Span] | None,
                               holidays: Sequence[Span] | None) -> models.PeriodScheme:
    """Rename a scheme of `year` or replace its periods or holidays (None: unchanged)."""
    require_open(year, "input.id")
    problems = Problems()
    new_name = scheme.name if name is None else problems.name("input.name", name, NAME_LENGTH)
    if new_name and new_name != scheme.name and await scheme_name_taken(
            session, year, new_name, scheme.id):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the year already has a period scheme «{new_name}»")
    old_periods = list(await session.scalars(
        select(models.Period).where(models.Period.school_id == scheme.school_id,
                                    models.Period.scheme_id == scheme.id)
        .order_by(models.Period.ordinal)))
    period_spans: list[Span] | None = None
    if periods is not None:
        period_spans = check_periods(problems, periods, year, "input.periods")
        await check_period_changes(session, problems, old_periods, period_spans)
    holiday_spans = (None if holidays is None
                     else check_holidays(problems, holidays, year, "input.holidays"))
    problems.raise_any()

    changes: list[Change] = []
    if new_name != scheme.name:
        before = snapshot(scheme)
        scheme.name = new_name
        changes.append(Change(scheme.school_id, "update", "period_schemes", scheme.id,
                              before=before, after=snapshot(scheme)))
    if period_spans is not None:
        changes += await _sync(session, old_periods, period_spans,
                               lambda n, span: _new_period(scheme, n, span), "periods")
    if holiday_spans is not None:
        old_holidays = list(await session.scalars(
            select(models.Holiday).where(models.Holiday.school_id == scheme.school_id,
                                         models.Holiday.scheme_id == scheme.id)
            .order_by(models.Holiday.starts_on, models.Holiday.id)))
        # Holidays have no order of their own: match them to the old ones by date.
        ordered = sorted(holiday_spans, key=lambda s: (s.starts_on, s.ends_on, s.name))
        changes += await _sync(session, old_holidays, ordered,
                               lambda _, span: _new_holiday(year, scheme.id, span), "holidays")
    await session.flush()
    await record(session, actor, *changes)
    return scheme


async def _sync(session: AsyncSession, old: Sequence[Any], new: Sequence[Span],
                make: Callable[[int, Span], Any], entity: str) -> list[Change]:
    """Replace a list in place: position n keeps row n's id (what points at it stays), extra
    rows are added, missing ones deleted; only real changes are written and audited."""
    changes: list[Change] = []
    for n, span in enumerate(new):
        if n < len(old):
            row = old[n]
            if (row.name, row.starts_on, row.ends_on) != (span.name, span.starts_on,
                                                          span.ends_on):
                before = snapshot(row)
                row.name, row.starts_on, row.ends_on = span.name, span.starts_on, span.ends_on
                changes.append(Change(row.school_id, "update", entity, row.id, before=before,
                                      after=snapshot(row)))
        else:
            row = make(n + 1, span)
            session.add(row)
            changes.append(Change(row.school_id, "create", entity, row.id,
                                  after=snapshot(row)))
    for row in old[len(new):]:
        changes.append(Change(row.school_id, "delete", entity, row.id, before=snapshot(row)))
        await session.delete(row)
    return changes


async def delete_period_scheme(session: AsyncSession, actor: Actor,
                               scheme: models.PeriodScheme) -> uuid.UUID:
    """Delete a scheme with its periods and holidays, while nothing depends on it."""
    year = await _year_of(session, scheme)
    require_open(year, "input.id")
    deleted = scheme.id
    levels = list(await session.scalars(
        select(models.GradeLevelScheme.grade_level)
        .where(models.GradeLevelScheme.school_id == scheme.school_id,
               models.GradeLevelScheme.scheme_id == scheme.id)
        .order_by(models.GradeLevelScheme.grade_level)))
    if levels:
        raise DomainError(Problem(
            field="input.id", code=ErrorCode.INVALID,
            message=f"grade levels {', '.join(map(str, levels))} use the scheme "
                    f"«{scheme.name}»; assign them another scheme first"))
    periods = list(await session.scalars(
        select(models.Period).where(models.Period.school_id == scheme.school_id,
                                    models.Period.scheme_id == scheme.id)
        .order_by(models.Period.ordinal)))
    if any(p.closed_at for p in periods) or await used_periods(session, [p.id for p in periods]):
        raise DomainError(Problem(
            field="input.id", code=ErrorCode.INVALID,
            message=f"the scheme «{scheme.name}» has closed periods, grades or curriculum "
                    f"hours and cannot be deleted"))
    holidays = list(await session.scalars(
        select(models.Holiday).where(models.Holiday.school_id == scheme.school_id,
                                     models.Holiday.scheme_id == scheme.id)))
    changes = [Change(r.school_id, "delete", table_of(r), r.id, before=snapshot(r))
               for r in [scheme, *periods, *holidays]]
    # Children first and flushed, so the session forgets them and nothing is left for the
    # database's cascade to remove behind its back.
    for row in [*holidays, *periods]:
        await session.delete(row)
    await session.flush()
    await session.delete(scheme)
    await session.flush()
    await record(session, actor, *changes)
    return deleted


# Grade levels ------------------------------------------------------------------------------

async def set_grade_level_schemes(session: AsyncSession, actor: Actor,
                                  year: models.AcademicYear,
                                  assignments: Sequence[GradeLevelAssignment],
                                  schemes_by_id: SchemesById) -> models.AcademicYear:
    """Choose the scheme of the grade levels given; the others keep theirs."""
    require_open(year, "input.academicYearId")
    problems = Problems()
    wanted: dict[int, uuid.UUID | None] = {}
    scheme_ids: dict[int, uuid.UUID] = {}
    for i, a in enumerate(assignments):
        field = f"input.assignments.{i}"
        if a.grade_level not in GRADE_LEVELS:
            problems.add(f"{field}.gradeLevel", ErrorCode.OUT_OF_RANGE,
                         f"grade level {a.grade_level} is not between 1 and 11")
        elif a.grade_level in wanted:
            problems.add(f"{field}.gradeLevel", ErrorCode.DUPLICATE,
                         f"grade level {a.grade_level} is given more than once")
        problems.errors.extend(a.id_problems)
        if a.period_scheme_id is not None:
            scheme_ids[i] = a.period_scheme_id
        wanted.setdefault(a.grade_level, scheme_ids.get(i))
    schemes = await schemes_by_id(list(scheme_ids.values()))
    for (i, _), scheme in zip(scheme_ids.items(), schemes, strict=True):
        # A scheme of another year, or of another school, is simply not one of this year's.
        if scheme is None or scheme.school_id != year.school_id or \
                scheme.academic_year_id != year.id:
            problems.add(f"input.assignments.{i}.periodSchemeId", ErrorCode.NOT_FOUND,
                         f"no such period scheme in the academic year «{year.name}»")
    problems.raise_any()

    current = {r.grade_level: r for r in await session.scalars(
        select(models.GradeLevelScheme).where(
            models.GradeLevelScheme.school_id == year.school_id,
            models.GradeLevelScheme.academic_year_id == year.id))}
    changes: list[Change] = []
    for level, scheme_id in sorted(wanted.items()):
        row = current.get(level)
        if row is None and scheme_id is not None:
            row = models.GradeLevelScheme(school_id=year.school_id, id=uuid.uuid4(),
                                          academic_year_id=year.id, grade_level=level,
                                          scheme_id=scheme_id)
            session.add(row)
            changes.append(Change(year.school_id, "create", "grade_level_schemes", row.id,
                                  after=snapshot(row)))
        elif row is not None and scheme_id is None:
            changes.append(Change(year.school_id, "delete", "grade_level_schemes", row.id,
                                  before=snapshot(row)))
            await session.delete(row)
        elif row is not None and row.scheme_id != scheme_id:
            before = snapshot(row)
            row.scheme_id = scheme_id  # type: ignore[assignment]
            changes.append(Change(year.school_id, "update", "grade_level_schemes", row.id,
                                  before=before, after=snapshot(row)))
    await session.flush()
    await record(session, actor, *changes)
    return year


# School-wide holidays ----------------------------------------------------------------------

async def create_holiday(session: AsyncSession, actor: Actor, year: models.AcademicYear,
                         holiday: Span) -> models.Holiday:
    """A school-wide holiday (in no scheme) of an open year."""
    require_open(year, "input.academicYearId")
    problems = Problems()
    [span] = check_holidays(problems, [holiday], year, None)
    problems.raise_any()
    row = _new_holiday(year, None, span)
    session.add(row)
    await session.flush()
    await record(session, actor, Change(year.school_id, "create", "holidays", row.id,
                                        after=snapshot(row)))
    return row


async def delete_holiday(session: AsyncSession, actor: Actor, holiday: models.Holiday
                         ) -> uuid.UUID:
    """Delete a school-wide holiday; a scheme's holidays change with their scheme."""
    if holiday.scheme_id is not None:
        raise DomainError(Problem(
            field="input.id", code=ErrorCode.INVALID,
            message=f"«{holiday.name}» is a holiday of a period scheme; change it with "
                    f"updatePeriodScheme"))
    year = await _year_of(session, holiday)
    require_open(year, "input.id")
    deleted = holiday.id
    change = Change(holiday.school_id, "delete", "holidays", deleted, before=snapshot(holiday))
    await session.delete(holiday)
    await session.flush()
    await record(session, actor, change)
    return deleted
