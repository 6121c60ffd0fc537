"""`aggregates`: district and region figures for officers, dashboards and administrators.

Who may ask, and about which schools (tenants/rules.py `aggregate_school_ids`): a municipal
officer the schools of their municipality, a regional officer every school of the region, a
token with read_aggregates the schools of its reach, a school administrator their school.
Anyone else, and any school outside the reach, gets no rows, as if there were no data.

The figures never carry a student's name or id, and officers' requests run under the officer
database role, which cannot read them. A figure computed from fewer students than the row's
threshold is suppressed; definitions are on the types (schema/aggregates.py) and the SQL
(resolvers/aggregates_sql.py). Each section is one statement for all rows, however many
schools are asked.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import TextClause, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db import models
from resolvers import aggregates_sql as sql
from schema.aggregates import (
    AggregateDimension,
    AggregateFilter,
    AggregateReport,
    AggregateRow,
    AttendanceAggregate,
    CurriculumAggregate,
    GroupTimeliness,
    Key,
    MarkAggregate,
    MarkBands,
    PeriodGradeAggregate,
    TimelinessAggregate,
)
from schema.errors import UserInputError, bad_argument
from schema.ids import from_global_id, to_global_id
from tenants.permissions import IsAuthenticated
from tenants.rules import aggregate_school_ids

MAX_DAYS = 400
MAX_WORST = 100
# A row over several schools is suppressed below this many students, whatever the schools'
# own settings.
MULTI_SCHOOL_THRESHOLD = 5


def _round(x: Decimal | float | None, places: str = "0.01") -> float | None:
    if x is None:
        return None
    return float(Decimal(str(x)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _share(part: int, whole: int) -> float | None:
    return _round(Decimal(part) / Decimal(whole), "0.0001") if whole else None


def _key(row: Any) -> Key:
    return (row.k_school, row.k_muni, row.k_level, row.k_subject)


@dataclass
class Figures:
    """The report's sections, each computed once for every row (one statement) under a lock,
    so concurrent resolvers of one request never share the session at the same time."""

    session: AsyncSession
    params: dict[str, Any]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: dict[str, dict[Key, Any]] = field(default_factory=dict)

    async def _section(self, name: str, statement: TextClause) -> dict[Key, Any]:
        async with self.lock:
            if name not in self.done:
                rows = (await self.session.execute(statement, self.params)).all()
                out: dict[Key, Any] = {}
                for r in rows:
                    out.setdefault(_key(r), []).append(r)
                self.done[name] = out
        return self.done[name]

    async def _one(self, name: str, statement: TextClause, key: Key) -> Any:
        rows = (await self._section(name, statement)).get(key)
        return rows[0] if rows else None

    async def marks(self, key: Key, threshold: int) -> MarkAggregate:
        r = await self._one("marks", sql.MARKS, key)
        if r is None or r.students < threshold:
            return MarkAggregate(suppressed=r is not None, students=None if r else 0,
                                 marks=None if r else 0, graded_marks=None if r else 0,
                                 bands=None, average_point=None, average_five_point=None,
                                 success_rate=None, quality_rate=None)
        return MarkAggregate(
            suppressed=False, students=r.students, marks=r.marks, graded_marks=r.graded,
            bands=MarkBands(twos=r.band2, threes=r.band3, fours=r.band4, fives=r.band5),
            average_point=_round(r.average_point), average_five_point=_round(r.average_five),
            success_rate=_share(r.passing, r.students), quality_rate=_share(r.quality, r.students))

    async def attendance(self, key: Key, threshold: int) -> AttendanceAggregate:
        r = await self._one("attendance", sql.ATTENDANCE, key)
        if r is None or r.students < threshold:
            zero = None if r else 0
            return AttendanceAggregate(suppressed=r is not None, students=zero,
                                       student_lessons=zero, absent_lessons=zero, rate=None,
                                       absent=zero, ill=zero, excused=zero, late=zero)
        rate = _round(1 - Decimal(r.absent_lessons) / Decimal(r.student_lessons), "0.0001")
        return AttendanceAggregate(suppressed=False, students=r.students,
                                   student_lessons=r.student_lessons,
                                   absent_lessons=r.absent_lessons, rate=rate, absent=r.absent,
                                   ill=r.ill, excused=r.excused, late=r.late)

    async def timeliness(self, key: Key) -> TimelinessAggregate:
        return _timeliness(await self._one("timeliness", sql.TIMELINESS, key))

    async def curriculum(self, key: Key) -> list[CurriculumAggregate]:
        rows = (await self._section("curriculum", sql.CURRICULUM)).get(key, [])
        return [CurriculumAggregate(
            lesson_type_code=r.code, lesson_type_name=r.name,
            planned_hours=_round(r.planned, "0.1") or 0.0, held=r.held,
            fulfilment=_round(Decimal(r.held) / Decimal(r.planned), "0.0001")
            if r.planned else None) for r in rows]

    async def period_grades(self, key: Key, threshold: int) -> PeriodGradeAggregate:
        r = await self._one("period_grades", sql.PERIOD_GRADES, key)
        if r is None or r.students < threshold:
            zero = None if r else 0
            return PeriodGradeAggregate(suppressed=r is not None, students=zero, expected=zero,
                                        graded=zero, deferred=zero, not_attested=zero,
                                        exempt=zero, missing=zero)
        return PeriodGradeAggregate(suppressed=False, students=r.students, expected=r.expected,
                                    graded=r.graded, deferred=r.deferred,
                                    not_attested=r.not_attested, exempt=r.exempt,
                                    missing=r.missing)

    async def worst_groups(self, limit: int) -> list[GroupTimeliness]:
        if not 1 <= limit <= MAX_WORST:
            raise bad_argument("limit", f"must be between 1 and {MAX_WORST}")
        if not self.params["school_ids"]:
            return []
        async with self.lock:
            rows = (await self.session.execute(sql.WORST_GROUPS,
                                               {**self.params, "limit": limit})).all()
        return [GroupTimeliness(school_name=r.school_name, group_name=r.group_name,
                                subject_name=r.subject_name, grade_level=r.grade_level,
                                teacher_names=list(r.teachers), timeliness=_timeliness(r))
                for r in rows]


def _timeliness(r: Any) -> TimelinessAggregate:
    if r is None:
        return TimelinessAggregate(lessons_held=0, topic_on_time=0, attendance_on_time=0,
                                   lessons_with_homework=0, homework_on_time=0, marks=0,
                                   marks_on_time=0, topic_share=None, attendance_share=None,
                                   homework_share=None, marks_share=None, overall_share=None)
    on_time = r.topic_on_time + r.attendance_on_time + r.homework_on_time + r.marks_on_time
    expected = 2 * r.lessons + r.with_homework + r.marks
    return TimelinessAggregate(
        lessons_held=r.lessons, topic_on_time=r.topic_on_time,
        attendance_on_time=r.attendance_on_time, lessons_with_homework=r.with_homework,
        homework_on_time=r.homework_on_time, marks=r.marks, marks_on_time=r.marks_on_time,
        topic_share=_share(r.topic_on_time, r.lessons),
        attendance_share=_share(r.attendance_on_time, r.lessons),
        homework_share=_share(r.homework_on_time, r.with_homework),
        marks_share=_share(r.marks_on_time, r.marks), overall_share=_share(on_time, expected))


def _ids(values: list[strawberry.ID], type_name: str, argument: str) -> set[uuid.UUID]:
    out = set()
    for i, value in enumerate(values):
        try:
            out.add(from_global_id(value, type_name, f"{argument}.{i}"))
        except UserInputError:
            raise bad_argument(f"{argument}.{i}", f"is not the id of a {type_name}") from None
    return out


async def _schools(info: Info, data: AggregateFilter) -> set[uuid.UUID]:
    """The asked schools inside the viewer's reach; others are dropped silently."""
    schools = set(aggregate_school_ids(info.context.access))
    if data.school_ids is not None:
        schools &= _ids(data.school_ids, "School", "filter.schoolIds")
    if data.municipality_id is not None:
        (muni,) = _ids([data.municipality_id], "Municipality", "filter.municipalityId")
        rows = await info.context.loaders.by_id(models.School).load_many(sorted(schools))
        schools = {r.id for r in rows if r is not None and r.municipality_id == muni}
    return schools


async def _range(info: Info, data: AggregateFilter, schools: set[uuid.UUID]
                 ) -> tuple[date, date, uuid.UUID | None]:
    start, end = data.from_, data.to
    if end < start:
        raise bad_argument("filter.to", "must not be before `from`")
    if end - start > timedelta(days=MAX_DAYS):
        raise bad_argument("filter.to", f"must be at most {MAX_DAYS} days after `from`")
    if data.period_id is None:
        return start, end, None
    if data.school_ids is None or len(data.school_ids) != 1:
        raise bad_argument("filter.periodId", "needs exactly one school in `schoolIds`")
    (period_id,) = _ids([data.period_id], "Period", "filter.periodId")
    period = await info.context.session.scalar(
        select(models.Period).where(models.Period.id == period_id))
    if period is None or period.school_id not in schools:
        raise bad_argument("filter.periodId", "is not a period of the school")
    return max(start, period.starts_on), min(end, period.ends_on), period_id


async def aggregates(
    info: Info,
    filter: Annotated[AggregateFilter, strawberry.argument(
        description="Which schools, grades, subjects and dates.")],
    group_by: Annotated[list[AggregateDimension] | None, strawberry.argument(
        description="The dimensions of the rows (default: SCHOOL); empty: one row for "
                    "everything asked.")] = None,
) -> AggregateReport:
    data = filter
    if group_by is None:
        group_by = [AggregateDimension.SCHOOL]
    levels = data.grade_levels
    if levels is not None and any(not 1 <= g <= 11 for g in levels):
        raise bad_argument("filter.gradeLevels", "must be grade levels 1–11")
    schools = await _schools(info, data)
    start, end, period_id = await _range(info, data, schools)
    dims = set(group_by)
    params: dict[str, Any] = {
        "school_ids": sorted(schools), "subject_name": data.subject_name,
        "grade_levels": sorted(set(levels)) if levels is not None else None,
        "date_from": start, "date_to": end, "period_id": period_id,
        "by_school": AggregateDimension.SCHOOL in dims,
        "by_municipality": AggregateDimension.MUNICIPALITY in dims,
        "by_grade_level": AggregateDimension.GRADE_LEVEL in dims,
        "by_subject": AggregateDimension.SUBJECT in dims,
    }
    figures = Figures(info.context.session, params)
    rows = [] if not schools or start > end else (
        await info.context.session.execute(sql.ROWS, params)).all()
    return AggregateReport(
        date_from=start, to=end, group_by=list(dict.fromkeys(group_by)), figures=figures,
        rows=[AggregateRow(
            school_id=strawberry.ID(to_global_id("School", r.k_school)) if r.k_school else None,
            school_name=r.school_name,
            municipality_id=strawberry.ID(to_global_id("Municipality", r.k_muni))
            if r.k_muni else None,
            municipality_name=r.municipality_name, grade_level=r.k_level,
            subject_name=r.k_subject,
            threshold=r.min_size if r.schools == 1 else MULTI_SCHOOL_THRESHOLD,
            key=_key(r), figures=figures) for r in rows])


@strawberry.type
class AggregatesQuery:
    aggregates: AggregateReport = strawberry.field(
        resolver=aggregates, permission_classes=[IsAuthenticated],
        description="District and region figures (marks, attendance, journal timeliness, "
                    "curriculum, period grades) by school, municipality, grade level or "
                    "subject, without any personal data: municipal and regional officers, "
                    "read_aggregates tokens, and school administrators for their school.")
