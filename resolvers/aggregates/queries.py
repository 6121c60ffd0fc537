"""`aggregates`: district and region figures for officers, dashboards and administrators.

Who may ask, and about which schools (tenants/rules.py `aggregate_school_ids`): a municipal
officer the schools of their municipality, a regional officer every school of the region, a
token with read_aggregates the schools of its reach, a school administrator their school.
Anyone else, and any school outside the reach, gets no rows, as if there were no data.

The figures never carry a student's name or id, and officers' requests run under the officer
database role, which cannot read them. A figure computed from fewer students than the row's
threshold is suppressed; definitions are on the types (schema/aggregates.py) and the SQL
(resolvers/aggregates/sql.py). Each section is one statement for all rows, however many
schools are asked; grouped by period (one school only), a row per period of the school's
schemes. The sections are built from counts by resolvers/aggregates/figures.py, which the
monthly report (resolvers/reports/sql.py) shares.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import TextClause, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.aggregates import sql
from resolvers.aggregates.figures import (
    AttainmentFigures,
    AttendanceFigures,
    CurriculumFigures,
    GroupTimeliness,
    MarkFigures,
    PeriodGradeFigures,
    TimelinessFigures,
    attainment_aggregate,
    attendance_aggregate,
    curriculum_aggregates,
    mark_aggregate,
    period_grade_aggregate,
    row_threshold,
    timeliness_aggregate,
)
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import aggregate_school_ids

MAX_DAYS = 400
MAX_WORST = 100


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


def _key(row: Mapping[str, Any]) -> Key:
    return (row["k_school"], row["k_muni"], row["k_level"], row["k_subject"], row["k_period"])


# The sections' statements by name; each gives counts and sums per row key, so the rows of
# several keys can be added up (resolvers/reports/sql.py does for its subtotals).
SECTIONS: dict[str, TextClause] = {
    "marks": sql.MARKS, "attendance": sql.ATTENDANCE, "timeliness": sql.TIMELINESS,
    "curriculum": sql.CURRICULUM, "period_grades": sql.PERIOD_GRADES,
    "attainment": sql.ATTAINMENT,
}


def statement_params(school_ids: Iterable[uuid.UUID], start: date, end: date,
                     dims: Iterable[AggregateDimension], *, subject_name: str | None = None,
                     grade_levels: Iterable[int] | None = None,
                     period_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The parameters of every statement of resolvers/aggregates/sql.py."""
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

    async def attainment(self, key: Key, threshold: int) -> AttainmentFigures:
        return attainment_aggregate(await self._one("attainment", key), threshold)

    async def marks(self, key: Key, threshold: int) -> MarkFigures:
        """The marks, with the attainment's shares in the deprecated successRate and
        qualityRate (the attainment statement runs only for them)."""
        return mark_aggregate(await self._one("marks", key), threshold,
                              await self.attainment(key, threshold))

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
