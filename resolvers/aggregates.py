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
import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import TextClause, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers import aggregates_sql as sql
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import aggregate_school_ids

MAX_DAYS = 400
MAX_WORST = 100
# A row over several schools is suppressed below this many students, whatever the schools'
# own settings.
MULTI_SCHOOL_THRESHOLD = 5


class AggregateDimension(enum.Enum):
    """What the rows are grouped by (GraphQL `AggregateDimension`, described in
    schema/aggregates.py)."""

    SCHOOL = "school"
    MUNICIPALITY = "municipality"
    GRADE_LEVEL = "grade_level"
    SUBJECT = "subject"
    PERIOD = "period"


# (school id, municipality id, grade level, subject name, period id), None where not grouped
# by it.
Key = tuple[uuid.UUID | None, uuid.UUID | None, int | None, str | None, uuid.UUID | None]


# --- a row's figures, a dataclass per section; the GraphQL types of schema/aggregates.py have
# the same fields and say what each means -----------------------------------------------------


@dataclass(frozen=True)
class MarkBands:
    twos: int
    threes: int
    fours: int
    fives: int


@dataclass(frozen=True)
class MarkFigures:
    suppressed: bool
    students: int | None
    marks: int | None
    graded_marks: int | None
    bands: MarkBands | None
    average_point: float | None
    average_five_point: float | None
    success_rate: float | None
    quality_rate: float | None


@dataclass(frozen=True)
class AttendanceFigures:
    suppressed: bool
    students: int | None
    student_lessons: int | None
    absent_lessons: int | None
    rate: float | None
    absent: int | None
    ill: int | None
    excused: int | None
    late: int | None


@dataclass(frozen=True)
class TimelinessFigures:
    lessons_held: int
    topic_on_time: int
    attendance_on_time: int
    lessons_with_homework: int
    homework_on_time: int
    marks: int
    marks_on_time: int
    topic_share: float | None
    attendance_share: float | None
    homework_share: float | None
    marks_share: float | None
    overall_share: float | None


@dataclass(frozen=True)
class CurriculumFigures:
    lesson_type_code: str | None
    lesson_type_name: str | None
    planned_hours: float
    held: int
    fulfilment: float | None


@dataclass(frozen=True)
class PeriodGradeFigures:
    suppressed: bool
    students: int | None
    expected: int | None
    graded: int | None
    deferred: int | None
    not_attested: int | None
    exempt: int | None
    missing: int | None


@dataclass(frozen=True)
class GroupTimeliness:
    """A group among the least timely: staff data only, never a student."""

    school_name: str
    group_name: str
    subject_name: str
    grade_level: int | None
    teacher_names: list[str]
    timeliness: TimelinessFigures


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

    async def marks(self, key: Key, threshold: int) -> MarkFigures:
        return mark_aggregate(await self._one("marks", key), threshold)

    async def attendance(self, key: Key, threshold: int) -> AttendanceFigures:
        return attendance_aggregate(await self._one("attendance", key), threshold)

    async def timeliness(self, key: Key) -> TimelinessFigures:
        return timeliness_aggregate(await self._one("timeliness", key))

    async def curriculum(self, key: Key) -> list[CurriculumFigures]:
        return curriculum_aggregates((await self.section("curriculum")).get(key, []))

    async def period_grades(self, key: Key, threshold: int) -> PeriodGradeFigures:
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


def mark_aggregate(r: Mapping[str, Any] | None, threshold: int) -> MarkFigures:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return MarkFigures(suppressed=r is not None, students=zero, marks=zero,
                             graded_marks=zero, bands=None, average_point=None,
                             average_five_point=None, success_rate=None, quality_rate=None)
    graded = r["graded"]
    return MarkFigures(
        suppressed=False, students=r["students"], marks=r["marks"], graded_marks=graded,
        bands=MarkBands(twos=r["band2"], threes=r["band3"], fours=r["band4"],
                        fives=r["band5"]),
        average_point=_round(Decimal(r["sum_point"]) / graded) if graded else None,
        average_five_point=_round(Decimal(r["sum_five"]) / graded) if graded else None,
        success_rate=_share(r["passing"], r["students"]),
        quality_rate=_share(r["quality"], r["students"]))


def attendance_aggregate(r: Mapping[str, Any] | None, threshold: int) -> AttendanceFigures:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return AttendanceFigures(suppressed=r is not None, students=zero, student_lessons=zero,
                                   absent_lessons=zero, rate=None, absent=zero, ill=zero,
                                   excused=zero, late=zero)
    rate = _round(1 - Decimal(r["absent_lessons"]) / Decimal(r["student_lessons"]), "0.0001")
    return AttendanceFigures(suppressed=False, students=r["students"],
                               student_lessons=r["student_lessons"],
                               absent_lessons=r["absent_lessons"], rate=rate,
                               absent=r["absent"], ill=r["ill"], excused=r["excused"],
                               late=r["late"])


def timeliness_aggregate(r: Mapping[str, Any] | None) -> TimelinessFigures:
    if r is None:
        return TimelinessFigures(lessons_held=0, topic_on_time=0, attendance_on_time=0,
                                   lessons_with_homework=0, homework_on_time=0, marks=0,
                                   marks_on_time=0, topic_share=None, attendance_share=None,
                                   homework_share=None, marks_share=None, overall_share=None)
    lessons, topic, attendance = r["lessons"], r["topic_on_time"], r["attendance_on_time"]
    homework, homework_ok = r["with_homework"], r["homework_on_time"]
    marks, marks_ok = r["marks"], r["marks_on_time"]
    return TimelinessFigures(
        lessons_held=lessons, topic_on_time=topic, attendance_on_time=attendance,
        lessons_with_homework=homework, homework_on_time=homework_ok, marks=marks,
        marks_on_time=marks_ok, topic_share=_share(topic, lessons),
        attendance_share=_share(attendance, lessons), homework_share=_share(homework_ok, homework),
        marks_share=_share(marks_ok, marks),
        overall_share=_share(topic + attendance + homework_ok + marks_ok,
                             2 * lessons + homework + marks))


def curriculum_aggregates(rows: Iterable[Mapping[str, Any]]) -> list[CurriculumFigures]:
    """By lesson type code, lessons without a type last."""
    rows = sorted(rows, key=lambda r: (r["code"] is None, r["code"] or ""))
    return [CurriculumFigures(
        lesson_type_code=r["code"], lesson_type_name=r["name"],
        planned_hours=_round(r["planned"], "0.1") or 0.0, held=r["held"],
        fulfilment=_round(Decimal(r["held"]) / Decimal(r["planned"]), "0.0001")
        if r["planned"] else None) for r in rows]


def period_grade_aggregate(r: Mapping[str, Any] | None, threshold: int
                           ) -> PeriodGradeFigures:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return PeriodGradeFigures(suppressed=r is not None, students=zero, expected=zero,
                                    graded=zero, deferred=zero, not_attested=zero,
                                    exempt=zero, missing=zero)
    return PeriodGradeFigures(suppressed=False, students=r["students"],
                                expected=r["expected"], graded=r["graded"],
                                deferred=r["deferred"], not_attested=r["not_attested"],
                                exempt=r["exempt"], missing=r["missing"])


@dataclass(frozen=True)
class AggregateRequest:
    """What `aggregates` is asked, its ids decoded (schema/aggregates.py fills it from the
    filter and groupBy arguments; a list of ids keeps its duplicates, as it was sent)."""

    start: date
    end: date
    group_by: tuple[AggregateDimension, ...] | None = None  # None: by school
    school_ids: tuple[uuid.UUID, ...] | None = None
    municipality_id: uuid.UUID | None = None
    grade_levels: tuple[int, ...] | None = None
    subject_name: str | None = None
    period_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AggregateRow:
    """A row's key and the names of its school, municipality and period; its figures come
    from the report's `Figures` by key."""

    key: Key
    school_name: str | None
    municipality_name: str | None
    period_name: str | None
    period_starts_on: date | None
    period_ends_on: date | None
    threshold: int


@dataclass(frozen=True)
class AggregateReport:
    start: date
    end: date
    group_by: list[AggregateDimension]
    rows: list[AggregateRow]
    figures: Figures


async def _schools(session: AsyncSession, access: AccessContext, asked: AggregateRequest
                   ) -> set[uuid.UUID]:
    """The asked schools inside the viewer's reach; others are dropped silently."""
    schools = set(aggregate_school_ids(access))
    if asked.school_ids is not None:
        schools &= set(asked.school_ids)
    if asked.municipality_id is not None and schools:
        schools = set((await session.scalars(select(models.School.id).where(
            models.School.id.in_(sorted(schools)),
            models.School.municipality_id == asked.municipality_id))).all())
    elif asked.municipality_id is not None:
        schools = set()
    return schools


async def _range(session: AsyncSession, asked: AggregateRequest, schools: set[uuid.UUID]
                 ) -> tuple[date, date, uuid.UUID | None]:
    start, end = asked.start, asked.end
    if end < start:
        raise bad_argument("filter.to", "must not be before `from`")
    if end - start > timedelta(days=MAX_DAYS):
        raise bad_argument("filter.to", f"must be at most {MAX_DAYS} days after `from`")
    if asked.period_id is None:
        return start, end, None
    if asked.school_ids is None or len(asked.school_ids) != 1:
        raise bad_argument("filter.periodId", "needs exactly one school in `schoolIds`")
    period = await session.scalar(
        select(models.Period).where(models.Period.id == asked.period_id))
    if period is None or period.school_id not in schools:
        raise bad_argument("filter.periodId", "is not a period of the school")
    return max(start, period.starts_on), min(end, period.ends_on), asked.period_id


async def aggregates(session: AsyncSession, access: AccessContext, asked: AggregateRequest
                     ) -> AggregateReport:
    """The report's rows (one statement); its sections run when a row first asks for one."""
    group_by = [AggregateDimension.SCHOOL] if asked.group_by is None else list(asked.group_by)
    dims = set(group_by)
    if AggregateDimension.PERIOD in dims and (asked.school_ids is None
                                              or len(set(asked.school_ids)) != 1):
        raise bad_argument("groupBy", "PERIOD needs exactly one school in `filter.schoolIds` "
                                      "(schools have periods of their own)")
    levels = asked.grade_levels
    if levels is not None and any(not 1 <= g <= 11 for g in levels):
        raise bad_argument("filter.gradeLevels", "must be grade levels 1–11")
    schools = await _schools(session, access, asked)
    start, end, period_id = await _range(session, asked, schools)
    params = statement_params(schools, start, end, dims, subject_name=asked.subject_name,
                              grade_levels=levels, period_id=period_id)
    figures = Figures(session, params)
    rows = [] if not schools or start > end else (await session.execute(sql.ROWS, params)).all()
    return AggregateReport(
        start=start, end=end, group_by=list(dict.fromkeys(group_by)), figures=figures,
        rows=[AggregateRow(
            key=_key(r._mapping), school_name=r.school_name,
            municipality_name=r.municipality_name, period_name=r.period_name,
            period_starts_on=r.period_starts_on, period_ends_on=r.period_ends_on,
            threshold=row_threshold(r.schools, r.min_size)) for r in rows])
