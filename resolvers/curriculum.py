"""A school's curriculum (учебный план): hours a year per subject, grade level and lesson type,
written whole by an administrator or copied from another year; and the per-group, per-period
`curriculum_lines` derived from it, which the fulfilment figures read.

Derivation, in the same transaction as the write: every group of the year whose subject and
grade level (resolvers/grading/uses.py `GROUP_GRADE_LEVEL`) has plan lines gets, per line, the
year's hours spread over the periods of its grade level's scheme in proportion to their school
days (Monday to Friday, holidays of the school and of the scheme left out). Each period gets a
whole number of half hours: the year's half hours are shared out by the largest remainder
(ties to the earlier period), and a rest below half an hour (a plan of 34.3 h) goes to the last
period, so a group's lines always add up to the year's hours. A subgroup is taught the whole
course, so each subgroup gets the full hours. The year's derived lines are replaced whole.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.grading.uses import GROUP_GRADE_LEVEL
from resolvers.input_ids import Id, collect
from tenants.errors import DomainError, ErrorCode, Problem, refusal

MAX_HOURS = Decimal(1000)
MAX_LINES = 2000
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class LineInput:
    """One line of `setCurriculum` as schema/ decoded it."""

    subject_id: Id
    grade_level: int
    lesson_type_id: Id
    hours_per_year: float


def _hours(value: float, field: str, errors: list[Problem]) -> Decimal | None:
    try:
        d = Decimal(repr(value))
    except (ArithmeticError, ValueError):
        d = Decimal("NaN")
    if not d.is_finite():
        errors.append(Problem(field=field, code=ErrorCode.INVALID, message="is not a number"))
        return None
    if d != d.quantize(Decimal("0.1")):
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message="may have at most one decimal place"))
        return None
    if not Decimal(0) <= d <= MAX_HOURS:
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between 0 and {MAX_HOURS}"))
        return None
    return d.quantize(Decimal("0.1"))


async def _ids_of(session: AsyncSession, model: Any, school_id: uuid.UUID,
                  ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(await session.scalars(select(model.id).where(model.school_id == school_id,
                                                            model.id.in_(ids))))


def _refuse_archived(year: models.AcademicYear, field: str) -> None:
    if year.status == models.YearStatus.ARCHIVED:
        raise refusal(field, ErrorCode.CONFLICT, "the year is archived: its curriculum is "
                                                 "kept as it was")


async def plan(session: AsyncSession, year_id: uuid.UUID) -> list[models.CurriculumPlan]:
    p = models.CurriculumPlan
    return list(await session.scalars(select(p).where(p.academic_year_id == year_id)
                                      .order_by(p.grade_level, p.subject_id, p.lesson_type_id)))


def _audited(rows: list[models.CurriculumPlan]) -> list[dict[str, Any]]:
    return [{"subject_id": str(r.subject_id), "grade_level": r.grade_level,
             "lesson_type_id": str(r.lesson_type_id), "hours_per_year": str(r.hours_per_year)}
            for r in sorted(rows, key=lambda r: (r.grade_level, str(r.subject_id),
                                                 str(r.lesson_type_id)))]


async def _validated(session: AsyncSession, school_id: uuid.UUID, lines: list[LineInput]
                     ) -> list[tuple[uuid.UUID, int, uuid.UUID, Decimal]]:
    errors: list[Problem] = []
    if len(lines) > MAX_LINES:
        raise refusal("input.lines", ErrorCode.OUT_OF_RANGE,
                      f"at most {MAX_LINES} lines in one curriculum")
    decoded = []
    for i, line in enumerate(lines):
        at = f"input.lines.{i}"
        subject = collect(line.subject_id, errors)
        lesson_type = collect(line.lesson_type_id, errors)
        level: int | None = line.grade_level
        if not 1 <= line.grade_level <= 11:
            errors.append(Problem(field=f"{at}.gradeLevel", code=ErrorCode.OUT_OF_RANGE,
                                    message="must be between 1 and 11"))
            level = None
        hours = _hours(line.hours_per_year, f"{at}.hoursPerYear", errors)
        decoded.append((subject, level, lesson_type, hours))
    subjects = await _ids_of(session, models.Subject, school_id,
                             {s for s, _, _, _ in decoded if s is not None})
    types = await _ids_of(session, models.LessonType, school_id,
                          {t for _, _, t, _ in decoded if t is not None})
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for i, (subject, level, lesson_type, hours) in enumerate(decoded):
        at = f"input.lines.{i}"
        if subject is not None and subject not in subjects:
            errors.append(Problem(field=f"{at}.subjectId", code=ErrorCode.NOT_FOUND,
                                    message="no such subject"))
            subject = None
        if lesson_type is not None and lesson_type not in types:
            errors.append(Problem(field=f"{at}.lessonTypeId", code=ErrorCode.NOT_FOUND,
                                    message="no such lesson type"))
            lesson_type = None
        if subject is None or level is None or lesson_type is None or hours is None:
            continue
        key = (subject, level, lesson_type)
        if key in seen:
            errors.append(Problem(field=at, code=ErrorCode.DUPLICATE,
                                    message=f"repeats line {seen[key]} (the same subject, "
                                            "grade level and lesson type)"))
            continue
        seen[key] = i
        out.append((subject, level, lesson_type, hours))
    if errors:
        raise DomainError(*errors)
    return out


async def _replace(session: AsyncSession, actor: Actor, year: models.AcademicYear,
                   lines: list[tuple[uuid.UUID, int, uuid.UUID, Decimal]],
                   copied_from: uuid.UUID | None) -> list[models.CurriculumPlan]:
    p = models.CurriculumPlan
    before = _audited(await plan(session, year.id))
    await session.execute(delete(p).where(p.school_id == year.school_id,
                                          p.academic_year_id == year.id))
    if lines:
        await session.execute(insert(p), [
            {"school_id": year.school_id, "id": uuid.uuid4(), "academic_year_id": year.id,
             "subject_id": s, "grade_level": g, "lesson_type_id": t, "hours_per_year": h}
            for s, g, t, h in lines])
    after = await plan(session, year.id)
    derived = await derive_lines(session, year)
    extra: dict[str, Any] = {"derived_lines": derived}
    if copied_from is not None:
        extra["copied_from_academic_year_id"] = str(copied_from)
    await audit.record(session, actor, Change(
        school_id=year.school_id, action="update", entity="curriculum_plans",
        entity_id=year.id, before={"lines": before},
        after={"lines": _audited(after), **extra}))
    return after


async def set_curriculum(session: AsyncSession, actor: Actor, year: models.AcademicYear,
                         lines: list[LineInput]) -> list[models.CurriculumPlan]:
    """Replace the year's curriculum whole (a year the viewer administers: schema/ checks it)
    and derive its groups' curriculum lines."""
    _refuse_archived(year, "input.academicYearId")
    valid = await _validated(session, year.school_id, lines)
    return await _replace(session, actor, year, valid, None)


async def copy_curriculum(session: AsyncSession, actor: Actor, source: models.AcademicYear,
                          target: models.AcademicYear) -> list[models.CurriculumPlan]:
    """Replace the target year's curriculum with the source year's (both of one school the
    viewer administers), e.g. from the previous year at the start of a new one."""
    if source.school_id != target.school_id:
        raise refusal("input.fromAcademicYearId", ErrorCode.INVALID,
                      "must be a year of the same school")
    if source.id == target.id:
        raise refusal("input.toAcademicYearId", ErrorCode.INVALID,
                      "must be another year than fromAcademicYearId")
    _refuse_archived(target, "input.toAcademicYearId")
    rows = await plan(session, source.id)
    if not rows:
        raise refusal("input.fromAcademicYearId", ErrorCode.INVALID,
                      "the year has no curriculum to copy")
    lines = [(r.subject_id, r.grade_level, r.lesson_type_id, r.hours_per_year) for r in rows]
    return await _replace(session, actor, target, lines, source.id)


# Derivation --------------------------------------------------------------------------------

GROUPS = text(f"""
SELECT sg.id, sg.subject_id, {GROUP_GRADE_LEVEL} AS grade_level
FROM study_groups sg
WHERE sg.school_id = :school AND sg.academic_year_id = :year
""")


def school_days(first: date, last: date, off: list[tuple[date, date]]) -> int:
    days, day = 0, first
    while day <= last:
        if day.isoweekday() <= 5 and not any(a <= day <= b for a, b in off):
            days += 1
        day += timedelta(days=1)
    return days


def spread(total: Decimal, weights: list[int]) -> list[Decimal]:
    """`total` hours over periods of these weights, in whole half hours by the largest
    remainder; the rest below half an hour goes to the last period. Adds up to `total`."""
    if not weights:
        return []
    if sum(weights) == 0:
        weights = [1] * len(weights)
    exact_total = Fraction(total)
    units = int(exact_total / HALF)
    rest = exact_total - units * HALF
    shares = [Fraction(units * w, sum(weights)) for w in weights]
    whole = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - whole[i]), i))
    for i in by_remainder[:units - sum(whole)]:
        whole[i] += 1
    hours = [Fraction(u) * HALF for u in whole]
    hours[-1] += rest
    return [Decimal(h.numerator) / Decimal(h.denominator) for h in hours]


async def derive_lines(session: AsyncSession, year: models.AcademicYear) -> int:
    """Replace the curriculum lines of the year's groups by those its plan gives; how many."""
    school_id = year.school_id
    groups = (await session.execute(GROUPS, {"school": school_id, "year": year.id})).all()
    cl = models.CurriculumLine
    if groups:
        await session.execute(delete(cl).where(cl.school_id == school_id,
                                               cl.group_id.in_([g.id for g in groups])))
    by_key: dict[tuple[uuid.UUID, int], list[models.CurriculumPlan]] = defaultdict(list)
    for r in await plan(session, year.id):
        by_key[(r.subject_id, r.grade_level)].append(r)
    if not by_key or not groups:
        return 0
    schemes = {r.grade_level: r.scheme_id for r in await session.scalars(
        select(models.GradeLevelScheme).where(models.GradeLevelScheme.school_id == school_id,
                                             models.GradeLevelScheme.academic_year_id == year.id))}
    periods: dict[uuid.UUID, list[models.Period]] = defaultdict(list)
    for p in await session.scalars(select(models.Period).where(
            models.Period.school_id == school_id,
            models.Period.scheme_id.in_(set(schemes.values()))).order_by(models.Period.ordinal)):
        periods[p.scheme_id].append(p)
    holidays = list(await session.scalars(select(models.Holiday).where(
        models.Holiday.school_id == school_id, models.Holiday.academic_year_id == year.id)))
    weights: dict[uuid.UUID, list[int]] = {}
    for scheme_id, ps in periods.items():
        off = [(h.starts_on, h.ends_on) for h in holidays
               if h.scheme_id is None or h.scheme_id == scheme_id]
        weights[scheme_id] = [school_days(p.starts_on, p.ends_on, off) for p in ps]
    rows = []
    for g in groups:
        scheme = schemes.get(g.grade_level)
        if scheme is None or not periods.get(scheme):
            continue  # no periods to spread over: the grade level has no scheme yet
        for line in by_key.get((g.subject_id, g.grade_level), []):
            for period, hours in zip(periods[scheme],
                                     spread(line.hours_per_year, weights[scheme]), strict=True):
                rows.append({"school_id": school_id, "id": uuid.uuid4(), "group_id": g.id,
                             "period_id": period.id, "lesson_type_id": line.lesson_type_id,
                             "planned_hours": hours})
    if rows:
        await session.execute(insert(cl), rows)
    return len(rows)
