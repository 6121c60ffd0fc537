"""Rules of the calendar domain: validation of years, periods and holidays, and auditing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.school_config import clean_text
from tenants.errors import DomainError, ErrorCode, Problem

YEAR_NAME_LENGTH = 32
NAME_LENGTH = 100
GRADE_LEVELS = range(1, 12)


class Problems:
    """The errors of one input, collected so the client sees all of them at once."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.errors.append(Problem(field=field, code=code, message=message))

    def absorb(self, error: DomainError) -> None:
        self.errors.extend(error.problems)

    def raise_any(self) -> None:
        if self.errors:
            raise DomainError(*self.errors)

    def name(self, field: str, value: str, limit: int) -> str:
        return clean_text(value, field, self.errors, max_length=limit)


@dataclass(frozen=True)
class Span:
    """A named span of days: a period or a holiday, as given or as checked."""

    name: str
    starts_on: date
    ends_on: date


def require_open(year: models.AcademicYear, field: str) -> None:
    # A closed year's grades are final; moving its periods would silently re-date them.
    if year.status != models.YearStatus.OPEN:
        raise DomainError(Problem(
            field=field, code=ErrorCode.INVALID,
            message=f"the academic year «{year.name}» is {year.status.value}; its calendar "
                    f"can no longer change"))


def table_of(row: Any) -> str:
    return str(row.__table__.name)


def check_periods(problems: Problems, specs: Sequence[Span], year: models.AcademicYear,
                  prefix: str) -> list[Span]:
    """Periods in order: at least one, each inside the year, each after the previous one."""
    if not specs:
        problems.add(prefix, ErrorCode.REQUIRED, "a scheme needs at least one period")
    spans: list[Span] = []
    for i, spec in enumerate(specs):
        field = f"{prefix}.{i}"
        span = Span(problems.name(f"{field}.name", spec.name, NAME_LENGTH), spec.starts_on,
                    spec.ends_on)
        if span.starts_on > span.ends_on:
            problems.add(f"{field}.endsOn", ErrorCode.INVALID,
                         f"period «{span.name}» ends before it starts")
        if span.starts_on < year.starts_on:
            problems.add(f"{field}.startsOn", ErrorCode.OUT_OF_RANGE,
                         f"period «{span.name}» starts before the academic year "
                         f"({year.starts_on})")
        if span.ends_on > year.ends_on:
            problems.add(f"{field}.endsOn", ErrorCode.OUT_OF_RANGE,
                         f"period «{span.name}» ends after the academic year ({year.ends_on})")
        if spans:
            prev = spans[-1]
            if span.starts_on < prev.starts_on:
                problems.add(f"{field}.startsOn", ErrorCode.INVALID,
                             f"periods out of order: «{span.name}» starts before the "
                             f"previous period «{prev.name}»")
            elif span.starts_on <= prev.ends_on:
                problems.add(f"{field}.startsOn", ErrorCode.OVERLAP,
                             f"period «{span.name}» overlaps period «{prev.name}», which ends "
                             f"on {prev.ends_on}")
        spans.append(span)
    return spans


def check_holidays(problems: Problems, specs: Sequence[Span], year: models.AcademicYear,
                   prefix: str | None) -> list[Span]:
    """Holidays only need to lie inside the year: they may fall inside a period (4 November)."""
    spans: list[Span] = []
    for i, spec in enumerate(specs):
        field = f"{prefix}.{i}" if prefix else "input"
        span = Span(problems.name(f"{field}.name", spec.name, NAME_LENGTH), spec.starts_on,
                    spec.ends_on)
        if span.starts_on > span.ends_on:
            problems.add(f"{field}.endsOn", ErrorCode.INVALID,
                         f"holiday «{span.name}» ends before it starts")
        if span.starts_on < year.starts_on:
            problems.add(f"{field}.startsOn", ErrorCode.OUT_OF_RANGE,
                         f"holiday «{span.name}» starts before the academic year "
                         f"({year.starts_on})")
        if span.ends_on > year.ends_on:
            problems.add(f"{field}.endsOn", ErrorCode.OUT_OF_RANGE,
                         f"holiday «{span.name}» ends after the academic year ({year.ends_on})")
        spans.append(span)
    return spans


async def year_name_taken(session: AsyncSession, school_id: uuid.UUID, name: str,
                          but: uuid.UUID | None = None) -> bool:
    cond = [models.AcademicYear.school_id == school_id, models.AcademicYear.name == name]
    if but is not None:
        cond.append(models.AcademicYear.id != but)
    return bool(await session.scalar(select(exists().where(*cond))))


async def scheme_name_taken(session: AsyncSession, year: models.AcademicYear, name: str,
                            but: uuid.UUID | None = None) -> bool:
    cond = [models.PeriodScheme.school_id == year.school_id,
            models.PeriodScheme.academic_year_id == year.id, models.PeriodScheme.name == name]
    if but is not None:
        cond.append(models.PeriodScheme.id != but)
    return bool(await session.scalar(select(exists().where(*cond))))


async def used_periods(session: AsyncSession, period_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Periods that grades or the curriculum point at: deleting one would cascade them away."""
    if not period_ids:
        return set()
    stmt = union_all(
        select(models.Grade.period_id).where(models.Grade.period_id.in_(period_ids)),
        select(models.CurriculumLine.period_id).where(
            models.CurriculumLine.period_id.in_(period_ids)),
    )
    return set((await session.scalars(stmt)).all())


async def year_contents(session: AsyncSession, year: models.AcademicYear
                        ) -> list[tuple[str, Span]]:
    """Every period and holiday of the year, which its dates must keep containing."""
    periods = await session.execute(
        select(models.Period.name, models.Period.starts_on, models.Period.ends_on)
        .join(models.PeriodScheme, (models.PeriodScheme.school_id == models.Period.school_id)
              & (models.PeriodScheme.id == models.Period.scheme_id))
        .where(models.PeriodScheme.academic_year_id == year.id,
               models.PeriodScheme.school_id == year.school_id)
        .order_by(models.Period.starts_on))
    holidays = await session.execute(
        select(models.Holiday.name, models.Holiday.starts_on, models.Holiday.ends_on)
        .where(models.Holiday.academic_year_id == year.id,
               models.Holiday.school_id == year.school_id)
        .order_by(models.Holiday.starts_on))
    return ([("period", Span(*r)) for r in periods.all()]
            + [("holiday", Span(*r)) for r in holidays.all()])


async def check_period_changes(session: AsyncSession, problems: Problems,
                               old: list[models.Period], new: list[Span]) -> None:
    """A closed period must stay as it is; a removed period must have no grades or plan."""
    for i, period in enumerate(old):
        if period.closed_at is None:
            continue
        if i >= len(new):
            problems.add("input.periods", ErrorCode.INVALID,
                         f"period «{period.name}» is closed and cannot be removed")
        elif (new[i].name, new[i].starts_on, new[i].ends_on) != (
                period.name, period.starts_on, period.ends_on):
            problems.add(f"input.periods.{i}", ErrorCode.INVALID,
                         f"period «{period.name}» is closed and cannot be changed")
    removed = old[len(new):]
    used = await used_periods(session, [p.id for p in removed if p.closed_at is None])
    for period in removed:
        if period.id in used:
            problems.add("input.periods", ErrorCode.INVALID,
                         f"period «{period.name}» has grades or curriculum hours and cannot "
                         f"be removed")
