"""`aggregates`: district and region figures for officers, dashboards and administrators.

Who may ask, and about which schools (tenants/rules.py `aggregate_school_ids`): a municipal
officer the schools of their municipality, a regional officer every school of the region, a
token with read_aggregates the schools of its reach, a school administrator their school.
Anyone else, and any school outside the reach, gets no rows, as if there were no data.

The figures never carry a student's name or id, and officers' requests run under the officer
database role, which cannot read them. A figure computed from fewer students than the row's
threshold is suppressed; definitions are on the types (schema/aggregates.py) and the SQL
(resolvers/aggregates_sql.py). Each section is one statement for all rows, however many
schools are asked; grouped by period (one school only), a row per period of the school's
schemes. The sections are built from counts by the functions below, which the monthly report
(resolvers/report_sql.py) shares.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping
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
from schema.ids import from_global_id, to_global_id
from schema.permissions import IsAuthenticated
from tenants.errors import DomainError, bad_argument
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


def _key(row: Mapping[str, Any]) -> Key:
    return (row["k_school"], row["k_muni"], row["k_level"], row["k_subject"], row["k_period"])


def row_threshold(schools: int, min_size: int) -> int:
    """The suppression threshold of a row: the school's own setting for a row of one school,
    MULTI_SCHOOL_THRESHOLD for a row over several."""
    return min_size if schools == 1 else MULTI_SCHOOL_THRESHOLD


# The sections' statements by name; each gives counts and sums per row key, so the rows of
# several keys can be added up (resolvers/report_sql.py does for its subtotals).
SECTIONS: dict[str, TextClause] = {
    "marks": sql.MARKS, "attendance": sql.ATTENDANCE, "timeliness": sql.TIMELINESS,
    "curriculum": sql.CURRICULUM, "period_grades": sql.PERIOD_GRADES,
}


def statement_params(school_ids: Iterable[uuid.UUID], start: date, end: date,
                     dims: Iterable[AggregateDimension], *, subject_name: str | None = None,
                     grade_levels: Iterable[int] | None = None,
                     period_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The parameters of every statement of resolvers/aggregates_sql.py."""
    dims = set(dims)
    return {
        "school_ids": sorted(school_ids), "subject_name": subject_name,
        "grade_levels": sorted(set(grade_levels)) if grade_levels is not None else None,
        "date_from": start, "date_to": end, "period_id": period_id,
        "by_school": AggregateDimension.SCHOOL in dims,
        "by_municipality": AggregateDimension.MUNICIPALITY in dims,
        "by_grade_level": AggregateDimension.GRADE_LEVEL in dims,
        "by_subject": AggregateDimension.SUBJECT in dims,
        "by_period": AggregateDimension.PERIOD in dims,
    }


@dataclass
class Figures:
    """The report's sections, each computed once for every row (one statement) under a lock,
    so concurrent resolvers of one request never share the session at the same time."""

    session: AsyncSession
    params: dict[str, Any]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: dict[str, dict[Key, list[dict[str, Any]]]] = field(default_factory=dict)

    async def section(self, name: str) -> dict[Key, list[dict[str, Any]]]:
        """A section's counts by row key (a list: curriculum has a row per lesson type)."""
        async with self.lock:
            if name not in self.done:
                rows = (await self.session.execute(SECTIONS[name], self.params)).all()
                out: dict[Key, list[dict[str, Any]]] = {}
                for r in rows:
                    out.setdefault(_key(r._mapping), []).append(dict(r._mapping))
                self.done[name] = out
        return self.done[name]

    async def _one(self, name: str, key: Key) -> dict[str, Any] | None:
        rows = (await self.section(name)).get(key)
        return rows[0] if rows else None

    async def marks(self, key: Key, threshold: int) -> MarkAggregate:
        return mark_aggregate(await self._one("marks", key), threshold)

    async def attendance(self, key: Key, threshold: int) -> AttendanceAggregate:
        return attendance_aggregate(await self._one("attendance", key), threshold)

    async def timeliness(self, key: Key) -> TimelinessAggregate:
        return timeliness_aggregate(await self._one("timeliness", key))

    async def curriculum(self, key: Key) -> list[CurriculumAggregate]:
        return curriculum_aggregates((await self.section("curriculum")).get(key, []))

    async def period_grades(self, key: Key, threshold: int) -> PeriodGradeAggregate:
        return period_grade_aggregate(await self._one("period_grades", key), threshold)

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
                                teacher_names=list(r.teachers),
                                timeliness=timeliness_aggregate(r._mapping))
                for r in rows]


# --- the sections from their counts: the same for a row of `aggregates` and a line of the
# monthly report (its subtotals add the counts of their schools up first) ----------------------


def mark_aggregate(r: Mapping[str, Any] | None, threshold: int) -> MarkAggregate:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return MarkAggregate(suppressed=r is not None, students=zero, marks=zero,
                             graded_marks=zero, bands=None, average_point=None,
                             average_five_point=None, success_rate=None, quality_rate=None)
    graded = r["graded"]
    return MarkAggregate(
        suppressed=False, students=r["students"], marks=r["marks"], graded_marks=graded,
        bands=MarkBands(twos=r["band2"], threes=r["band3"], fours=r["band4"],
                        fives=r["band5"]),
        average_point=_round(Decimal(r["sum_point"]) / graded) if graded else None,
        average_five_point=_round(Decimal(r["sum_five"]) / graded) if graded else None,
        success_rate=_share(r["passing"], r["students"]),
        quality_rate=_share(r["quality"], r["students"]))


def attendance_aggregate(r: Mapping[str, Any] | None, threshold: int) -> AttendanceAggregate:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return AttendanceAggregate(suppressed=r is not None, students=zero, student_lessons=zero,
                                   absent_lessons=zero, rate=None, absent=zero, ill=zero,
                                   excused=zero, late=zero)
    rate = _round(1 - Decimal(r["absent_lessons"]) / Decimal(r["student_lessons"]), "0.0001")
    return AttendanceAggregate(suppressed=False, students=r["students"],
                               student_lessons=r["student_lessons"],
                               absent_lessons=r["absent_lessons"], rate=rate,
                               absent=r["absent"], ill=r["ill"], excused=r["excused"],
                               late=r["late"])


def timeliness_aggregate(r: Mapping[str, Any] | None) -> TimelinessAggregate:
    if r is None:
        return TimelinessAggregate(lessons_held=0, topic_on_time=0, attendance_on_time=0,
                                   lessons_with_homework=0, homework_on_time=0, marks=0,
                                   marks_on_time=0, topic_share=None, attendance_share=None,
                                   homework_share=None, marks_share=None, overall_share=None)
    lessons, topic, attendance = r["lessons"], r["topic_on_time"], r["attendance_on_time"]
    homework, homework_ok = r["with_homework"], r["homework_on_time"]
    marks, marks_ok = r["marks"], r["marks_on_time"]
    return TimelinessAggregate(
        lessons_held=lessons, topic_on_time=topic, attendance_on_time=attendance,
        lessons_with_homework=homework, homework_on_time=homework_ok, marks=marks,
        marks_on_time=marks_ok, topic_share=_share(topic, lessons),
        attendance_share=_share(attendance, lessons), homework_share=_share(homework_ok, homework),
        marks_share=_share(marks_ok, marks),
        overall_share=_share(topic + attendance + homework_ok + marks_ok,
                             2 * lessons + homework + marks))


def curriculum_aggregates(rows: Iterable[Mapping[str, Any]]) -> list[CurriculumAggregate]:
    """By lesson type code, lessons without a type last."""
    rows = sorted(rows, key=lambda r: (r["code"] is None, r["code"] or ""))
    return [CurriculumAggregate(
        lesson_type_code=r["code"], lesson_type_name=r["name"],
        planned_hours=_round(r["planned"], "0.1") or 0.0, held=r["held"],
        fulfilment=_round(Decimal(r["held"]) / Decimal(r["planned"]), "0.0001")
        if r["planned"] else None) for r in rows]


def period_grade_aggregate(r: Mapping[str, Any] | None, threshold: int
                           ) -> PeriodGradeAggregate:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return PeriodGradeAggregate(suppressed=r is not None, students=zero, expected=zero,
                                    graded=zero, deferred=zero, not_attested=zero,
                                    exempt=zero, missing=zero)
    return PeriodGradeAggregate(suppressed=False, students=r["students"],
                                expected=r["expected"], graded=r["graded"],
                                deferred=r["deferred"], not_attested=r["not_attested"],
                                exempt=r["exempt"], missing=r["missing"])


def _ids(values: list[strawberry.ID], type_name: str, argument: str) -> set[uuid.UUID]:
    out = set()
    for i, value in enumerate(values):
        try:
            out.add(from_global_id(value, type_name, f"{argument}.{i}"))
        except DomainError:
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
                    "everything asked; PERIOD only with exactly one school.")] = None,
) -> AggregateReport:
    data = filter
    if group_by is None:
        group_by = [AggregateDimension.SCHOOL]
    dims = set(group_by)
    if AggregateDimension.PERIOD in dims and (data.school_ids is None
                                              or len(set(data.school_ids)) != 1):
        raise bad_argument("groupBy", "PERIOD needs exactly one school in `filter.schoolIds` "
                                      "(schools have periods of their own)")
    levels = data.grade_levels
    if levels is not None and any(not 1 <= g <= 11 for g in levels):
        raise bad_argument("filter.gradeLevels", "must be grade levels 1–11")
    schools = await _schools(info, data)
    start, end, period_id = await _range(info, data, schools)
    params = statement_params(schools, start, end, dims, subject_name=data.subject_name,
                              grade_levels=levels, period_id=period_id)
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
            period_id=strawberry.ID(to_global_id("Period", r.k_period)) if r.k_period else None,
            period_name=r.period_name, period_starts_on=r.period_starts_on,
            period_ends_on=r.period_ends_on, threshold=row_threshold(r.schools, r.min_size),
            key=_key(r._mapping), figures=figures) for r in rows])


@strawberry.type
class AggregatesQuery:
    aggregates: AggregateReport = strawberry.field(
        resolver=aggregates, permission_classes=[IsAuthenticated],
        description="District and region figures (marks, attendance, journal timeliness, "
                    "curriculum, period grades) by school, municipality, grade level, "
                    "subject or (one school's) period, without any personal data: "
                    "municipal and regional officers, read_aggregates tokens, and school "
                    "administrators for their school.")
