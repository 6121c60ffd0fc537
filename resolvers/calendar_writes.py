"""Writes of the calendar domain: each validates all of its input, then writes and audits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db import models
from db.audit import Change, snapshot
from resolvers.calendar_checks import (
    GRADE_LEVELS,
    NAME_LENGTH,
    YEAR_NAME_LENGTH,
    Problems,
    Span,
    audit,
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
from schema.calendar import (
    CreateAcademicYearInput,
    CreateHolidayInput,
    CreatePeriodSchemeInput,
    DeleteHolidayInput,
    DeletePeriodSchemeInput,
    SetGradeLevelSchemesInput,
    UpdateAcademicYearInput,
    UpdatePeriodSchemeInput,
)
from schema.ids import from_global_id
from schema.school_access import access_for_admin, admin_school_by_global_id
from tenants.errors import DomainError, ErrorCode, Problem

# Academic years ----------------------------------------------------------------------------

async def create_academic_year(info: Info, input: CreateAcademicYearInput
                               ) -> models.AcademicYear:
    school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                          "input.schoolId")
    problems = Problems()
    name = problems.name("input.name", input.name, YEAR_NAME_LENGTH)
    if input.starts_on >= input.ends_on:
        problems.add("input.endsOn", ErrorCode.INVALID, "the year must end after it starts")
    if name and await year_name_taken(info, school_id, name):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the school already has an academic year «{name}»")
    problems.raise_any()
    year = models.AcademicYear(school_id=school_id, id=uuid.uuid4(), name=name,
                               starts_on=input.starts_on, ends_on=input.ends_on,
                               status=models.YearStatus.OPEN)
    info.context.session.add(year)
    await info.context.session.flush()
    await audit(info, school_id, [Change(school_id, "create", "academic_years", year.id,
                                         after=snapshot(year))])
    return year


async def update_academic_year(info: Info, input: UpdateAcademicYearInput
                               ) -> models.AcademicYear:
    year = await access_for_admin(info, models.AcademicYear, input.id, "AcademicYear", "input.id",
                          "academic year")
    problems = Problems()
    name = year.name if input.name is None else problems.name("input.name", input.name,
                                                              YEAR_NAME_LENGTH)
    starts_on = year.starts_on if input.starts_on is None else input.starts_on
    ends_on = year.ends_on if input.ends_on is None else input.ends_on
    if starts_on >= ends_on:
        problems.add("input.endsOn" if input.ends_on else "input.startsOn", ErrorCode.INVALID,
                     "the year must end after it starts")
    if name and name != year.name and await year_name_taken(info, year.school_id, name,
                                                             year.id):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the school already has an academic year «{name}»")
    for what, span in await year_contents(info, year):
        if span.starts_on < starts_on:
            problems.add("input.startsOn", ErrorCode.OUT_OF_RANGE,
                         f"{what} «{span.name}» starts on {span.starts_on}, before the year")
        if span.ends_on > ends_on:
            problems.add("input.endsOn", ErrorCode.OUT_OF_RANGE,
                         f"{what} «{span.name}» ends on {span.ends_on}, after the year")
    problems.raise_any()
    before = snapshot(year)
    year.name, year.starts_on, year.ends_on = name, starts_on, ends_on
    await info.context.session.flush()
    after = snapshot(year)
    if after != before:
        await audit(info, year.school_id, [Change(year.school_id, "update", "academic_years",
                                                  year.id, before=before, after=after)])
    return year


# Period schemes ----------------------------------------------------------------------------

async def create_period_scheme(info: Info, input: CreatePeriodSchemeInput
                               ) -> models.PeriodScheme:
    year = await access_for_admin(info, models.AcademicYear, input.academic_year_id, "AcademicYear",
                          "input.academicYearId", "academic year")
    require_open(year, "input.academicYearId")
    problems = Problems()
    name = problems.name("input.name", input.name, NAME_LENGTH)
    if name and await scheme_name_taken(info, year, name):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the year already has a period scheme «{name}»")
    periods = check_periods(problems, input.periods, year, "input.periods")
    holidays = check_holidays(problems, input.holidays, year, "input.holidays")
    problems.raise_any()
    session = info.context.session
    scheme = models.PeriodScheme(school_id=year.school_id, id=uuid.uuid4(),
                                 academic_year_id=year.id, name=name,
                                 kind=models.SchemeKind(input.kind))
    session.add(scheme)
    await session.flush()  # the periods' foreign key needs the scheme first
    rows: list[Any] = [scheme]
    rows += [_new_period(scheme, n, span) for n, span in enumerate(periods, start=1)]
    rows += [_new_holiday(year, scheme.id, span) for span in holidays]
    session.add_all(rows[1:])
    await session.flush()
    await audit(info, year.school_id, [
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


async def update_period_scheme(info: Info, input: UpdatePeriodSchemeInput
                               ) -> models.PeriodScheme:
    session = info.context.session
    scheme = await access_for_admin(info, models.PeriodScheme, input.id, "PeriodScheme", "input.id",
                            "period scheme")
    year = await info.context.loaders.by_id(models.AcademicYear).load(scheme.academic_year_id)
    assert year is not None  # same school, same RLS scope as the scheme
    require_open(year, "input.id")
    problems = Problems()
    name = scheme.name if input.name is None else problems.name("input.name", input.name,
                                                                NAME_LENGTH)
    if name and name != scheme.name and await scheme_name_taken(info, year, name, scheme.id):
        problems.add("input.name", ErrorCode.DUPLICATE,
                     f"the year already has a period scheme «{name}»")
    old_periods = list(await session.scalars(
        select(models.Period).where(models.Period.school_id == scheme.school_id,
                                    models.Period.scheme_id == scheme.id)
        .order_by(models.Period.ordinal)))
    periods: list[Span] | None = None
    if input.periods is not None:
        periods = check_periods(problems, input.periods, year, "input.periods")
        await check_period_changes(info, problems, old_periods, periods)
    holidays = (None if input.holidays is None
                else check_holidays(problems, input.holidays, year, "input.holidays"))
    problems.raise_any()

    changes: list[Change] = []
    if name != scheme.name:
        before = snapshot(scheme)
        scheme.name = name
        changes.append(Change(scheme.school_id, "update", "period_schemes", scheme.id,
                              before=before, after=snapshot(scheme)))
    if periods is not None:
        changes += await _sync(session, old_periods, periods,
                         lambda n, span: _new_period(scheme, n, span), "periods")
    if holidays is not None:
        old_holidays = list(await session.scalars(
            select(models.Holiday).where(models.Holiday.school_id == scheme.school_id,
                                         models.Holiday.scheme_id == scheme.id)
            .order_by(models.Holiday.starts_on, models.Holiday.id)))
        # Holidays have no order of their own: match them to the old ones by date.
        ordered = sorted(holidays, key=lambda s: (s.starts_on, s.ends_on, s.name))
        changes += await _sync(session, old_holidays, ordered,
                         lambda _, span: _new_holiday(year, scheme.id, span), "holidays")
    await session.flush()
    await audit(info, scheme.school_id, changes)
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


async def delete_period_scheme(info: Info, input: DeletePeriodSchemeInput) -> str:
    session = info.context.session
    scheme = await access_for_admin(info, models.PeriodScheme, input.id, "PeriodScheme", "input.id",
                            "period scheme")
    year = await info.context.loaders.by_id(models.AcademicYear).load(scheme.academic_year_id)
    assert year is not None
    require_open(year, "input.id")
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
    if any(p.closed_at for p in periods) or await used_periods(info, [p.id for p in periods]):
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
    await audit(info, scheme.school_id, changes)
    return input.id


# Grade levels ------------------------------------------------------------------------------

async def set_grade_level_schemes(info: Info, input: SetGradeLevelSchemesInput
                                  ) -> models.AcademicYear:
    session = info.context.session
    year = await access_for_admin(info, models.AcademicYear, input.academic_year_id, "AcademicYear",
                          "input.academicYearId", "academic year")
    require_open(year, "input.academicYearId")
    problems = Problems()
    wanted: dict[int, uuid.UUID | None] = {}
    scheme_ids: dict[int, uuid.UUID] = {}
    for i, a in enumerate(input.assignments):
        field = f"input.assignments.{i}"
        if a.grade_level not in GRADE_LEVELS:
            problems.add(f"{field}.gradeLevel", ErrorCode.OUT_OF_RANGE,
                         f"grade level {a.grade_level} is not between 1 and 11")
        elif a.grade_level in wanted:
            problems.add(f"{field}.gradeLevel", ErrorCode.DUPLICATE,
                         f"grade level {a.grade_level} is given more than once")
        if a.period_scheme_id is not None:
            try:
                scheme_ids[i] = from_global_id(a.period_scheme_id, "PeriodScheme",
                                               f"{field}.periodSchemeId")
            except DomainError as e:
                problems.absorb(e)
        wanted.setdefault(a.grade_level, scheme_ids.get(i))
    schemes = await info.context.loaders.by_id(models.PeriodScheme).load_many(
        list(scheme_ids.values()))
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
    await audit(info, year.school_id, changes)
    return year


# School-wide holidays ----------------------------------------------------------------------

async def create_holiday(info: Info, input: CreateHolidayInput) -> models.Holiday:
    year = await access_for_admin(info, models.AcademicYear, input.academic_year_id, "AcademicYear",
                          "input.academicYearId", "academic year")
    require_open(year, "input.academicYearId")
    problems = Problems()
    [span] = check_holidays(problems, [input], year, None)
    problems.raise_any()
    holiday = _new_holiday(year, None, span)
    info.context.session.add(holiday)
    await info.context.session.flush()
    await audit(info, year.school_id, [Change(year.school_id, "create", "holidays", holiday.id,
                                              after=snapshot(holiday))])
    return holiday


async def delete_holiday(info: Info, input: DeleteHolidayInput) -> str:
    session = info.context.session
    holiday = await access_for_admin(info, models.Holiday, input.id, "Holiday", "input.id",
                                     "holiday")
    if holiday.scheme_id is not None:
        raise DomainError(Problem(
            field="input.id", code=ErrorCode.INVALID,
            message=f"«{holiday.name}» is a holiday of a period scheme; change it with "
                    f"updatePeriodScheme"))
    year = await info.context.loaders.by_id(models.AcademicYear).load(holiday.academic_year_id)
    assert year is not None
    require_open(year, "input.id")
    change = Change(holiday.school_id, "delete", "holidays", holiday.id,
                    before=snapshot(holiday))
    await session.delete(holiday)
    await session.flush()
    await audit(info, holiday.school_id, [change])
    return input.id
