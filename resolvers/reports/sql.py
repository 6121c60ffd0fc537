"""The monthly monitoring report (regulation 6.2): a region's month by municipality and school,
with no personal data.

The figures are the officers' aggregates: the statements of resolvers/aggregates/sql.py
grouped by school over the month's dates, turned into figures by the same functions as
`aggregates` (resolvers/aggregates/queries.py), so the report and `aggregates` cannot disagree. A
municipality's subtotal and the total add up their schools' counts (numerators and
denominators, never percentages) and are then computed and suppressed as a row of
`aggregates` over those schools: below the school's own threshold for one school, below
MULTI_SCHOOL_THRESHOLD for several.

The statements run as the officer database role (no privilege on names or free text) and
under RLS scoped to the schools of the viewer's reach.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.settings import OFFICER_ROLE
from resolvers.aggregates import sql
from resolvers.aggregates.figures import (
    MULTI_SCHOOL_THRESHOLD,
    AttainmentBasis,
    AttainmentFigures,
    AttendanceFigures,
    CurriculumFigures,
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
from resolvers.aggregates.queries import SECTIONS, AggregateDimension, Figures, statement_params

MONTH_NAMES = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
               "сентябрь", "октябрь", "ноябрь", "декабрь"]
# The sections whose counts add up field by field (curriculum adds up by lesson type).
SUMMED = ("marks", "attendance", "timeliness", "period_grades", "attainment")

REACH = text("""
SELECT s.id FROM schools s JOIN municipalities m ON m.id = s.municipality_id
WHERE s.id = ANY(:school_ids) AND (CAST(:municipality AS text) IS NULL
                                   OR lower(m.name) = lower(CAST(:municipality AS text)))
""")


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A section's row without its key columns."""
    return {k: v for k, v in row.items() if not k.startswith("k_")}


def _least(a: str | None, b: str | None) -> str | None:
    return min((n for n in (a, b) if n is not None), default=None)


def _add(a: Any, b: Any) -> Any:
    """Counts add up; a flag (the attainment's period-grades basis) holds when either does."""
    return (a or b) if isinstance(a, bool) else a + b


@dataclass
class Counts:
    """The counts and sums of one line by section (None: no row, as in `aggregates`), and its
    curriculum by lesson type code; adding two adds every count up."""

    sections: dict[str, dict[str, Any] | None] = field(
        default_factory=lambda: dict.fromkeys(SUMMED))
    curriculum: dict[str | None, dict[str, Any]] = field(default_factory=dict)

    def __add__(self, other: Counts) -> Counts:
        sections: dict[str, dict[str, Any] | None] = {}
        for name in SUMMED:
            mine, theirs = self.sections[name], other.sections[name]
            sections[name] = (theirs if mine is None else mine if theirs is None
                              else {k: _add(mine[k], theirs[k]) for k in mine})
        curriculum = dict(self.curriculum)
        for code, theirs in other.curriculum.items():
            mine = curriculum.get(code)
            curriculum[code] = theirs if mine is None else {
                "code": code, "name": _least(mine["name"], theirs["name"]),
                "planned": mine["planned"] + theirs["planned"],
                "held": mine["held"] + theirs["held"]}
        return Counts(sections, curriculum)


@dataclass
class MonthlyRow:
    """A school's line, or (school None) a subtotal of a municipality or the total."""

    municipality: str
    school: str | None
    counts: Counts
    schools: int = 1
    min_size: int = MULTI_SCHOOL_THRESHOLD

    def __add__(self, other: MonthlyRow) -> MonthlyRow:
        return MonthlyRow(self.municipality, None, self.counts + other.counts,
                          self.schools + other.schools, min(self.min_size, other.min_size))

    @property
    def threshold(self) -> int:
        return row_threshold(self.schools, self.min_size)

    @property
    def attainment(self) -> AttainmentFigures:
        return attainment_aggregate(self.counts.sections["attainment"], self.threshold)

    @property
    def marks(self) -> MarkFigures:
        return mark_aggregate(self.counts.sections["marks"], self.threshold, self.attainment)

    @property
    def attendance(self) -> AttendanceFigures:
        return attendance_aggregate(self.counts.sections["attendance"], self.threshold)

    @property
    def timeliness(self) -> TimelinessFigures:
        return timeliness_aggregate(self.counts.sections["timeliness"])

    @property
    def curriculum(self) -> list[CurriculumFigures]:
        return curriculum_aggregates(self.counts.curriculum.values())

    @property
    def period_grades(self) -> PeriodGradeFigures:
        return period_grade_aggregate(self.counts.sections["period_grades"], self.threshold)

    def values(self) -> list[object]:
        """The line's cells under HEADERS; a student-based figure from fewer students than
        the threshold (none included) reads «<N»."""
        n = self.threshold
        marks, attendance, grades = self.marks, self.attendance, self.period_grades
        results = self.attainment
        timely, plan = self.timeliness, self.counts.curriculum.values()
        planned = sum((Decimal(c["planned"]) for c in plan), Decimal(0))

        def guard(section: MarkFigures | AttendanceFigures | PeriodGradeFigures
                  | AttainmentFigures, *cells: object) -> list[object]:
            hidden = section.suppressed or (section.students or 0) < n
            return [f"<{n}" if hidden else cell for cell in cells]

        return [
            self.municipality, self.school or "Итого",
            *guard(attendance, attendance.students),
            timely.lessons_held,
            percent(timely.topic_share), percent(timely.attendance_share),
            percent(timely.homework_share), percent(timely.marks_share),
            float(planned.quantize(Decimal("0.1"), ROUND_HALF_UP)),
            percent(sum(c["held"] for c in plan) / planned if planned else None),
            *guard(marks, marks.marks, marks.average_point),
            BASIS_NAMES[results.basis],
            *guard(results, results.students, results.passing, percent(results.success_rate),
                   results.quality, percent(results.quality_rate)),
            *guard(attendance, percent(attendance.rate), attendance.absent, attendance.ill,
                   attendance.excused, attendance.late),
            *guard(grades, grades.expected, grades.deferred, grades.missing),
        ]


BASIS_NAMES = {AttainmentBasis.PERIOD_GRADES: "отметки за период",
               AttainmentBasis.CURRENT_AVERAGES: "текущие средние"}


def percent(share: float | Decimal | None) -> float | None:
    """A share (0–1) as a percentage with at most two decimals."""
    return None if share is None else round(float(share) * 100, 2)


HEADERS = ["Муниципалитет", "Школа", "Учащихся", "Уроков проведено",
           "Темы в день урока, %", "Посещаемость в день урока, %", "ДЗ в день урока, %",
           "Отметки в срок, %", "Часов по плану", "Уроков к плану, %", "Отметок",
           "Средняя отметка (0–100)", "Успеваемость и качество: основа",
           "Аттестовано учащихся", "Успевают", "Успеваемость, %", "На «4» и «5»",
           "Качество, %", "Посещаемость, %",
           "Пропуски н", "Пропуски б", "Пропуски у", "Опоздания оп",
           "Итоговых ожидалось", "Итоговых отсрочено", "Итоговых нет"]


@dataclass
class MonthlyReport:
    month: date  # its first day
    scope: str
    rows: list[MonthlyRow] = field(default_factory=list)  # the schools'
    min_students: int = MULTI_SCHOOL_THRESHOLD  # of the lines over several schools

    @property
    def title(self) -> str:
        return (f"Ежемесячный мониторинг ведения электронного журнала: "
                f"{MONTH_NAMES[self.month.month - 1]} {self.month.year} г., {self.scope}")

    @property
    def note(self) -> str:
        return (f"Показатели, рассчитанные по меньшему числу учащихся, чем порог школы "
                f"(по умолчанию {sql.DEFAULT_MIN_SIZE}; для итогов по нескольким школам "
                f"{self.min_students}), скрыты («<N»). Итоги складывают числители и "
                f"знаменатели школ. Средняя отметка — по общей шкале 0–100. Успеваемость и "
                f"качество за месяц — по текущим средневзвешенным отметкам учащихся по "
                f"предметам, округлённым по правилу школы: успеваемость — доля аттестованных "
                f"учащихся без неудовлетворительных результатов, качество — доля тех, у кого "
                f"все результаты «4» и «5» (зачёт/незачёт — только для успеваемости); "
                f"освобождённые и предметы без отметок (безотметочное обучение) не "
                f"учитываются (docs/figures.md). В срок — в день урока, отметки — в срок, "
                f"установленный школой (по умолчанию 7 дней); уроков к плану — проведённые "
                f"уроки к плановым часам месяца; итоговые — отметки за периоды, закончившиеся "
                f"или закрытые, пересекающие месяц.")

    @property
    def headers(self) -> list[str]:
        return HEADERS

    def lines(self) -> list[MonthlyRow]:
        """Schools, then each municipality's subtotal after its schools, then the total."""
        out: list[MonthlyRow] = []
        subtotals: list[MonthlyRow] = []
        for municipality in dict.fromkeys(r.municipality for r in self.rows):
            schools = [r for r in self.rows if r.municipality == municipality]
            out += schools
            subtotals.append(_total(schools, municipality))
            out.append(subtotals[-1])
        out.append(_total(subtotals, self.scope))
        return out

    def table_rows(self) -> list[list[object]]:
        return [line.values() for line in self.lines()]


def _total(rows: list[MonthlyRow], name: str) -> MonthlyRow:
    total = reduce(operator.add, rows) if rows else MonthlyRow(name, None, Counts(), 0)
    return replace(total, municipality=name, school=None)


def month_span(month: str) -> tuple[date, date]:
    """'2015-11' -> (2015-11-01, 2015-11-30); ValueError for anything else."""
    year, _, number = month.partition("-")
    if len(year) != 4 or len(number) != 2:
        raise ValueError(f"month must be YYYY-MM, got '{month}'")
    first = date(int(year), int(number), 1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


async def report_schools(session: AsyncSession, reach: frozenset[uuid.UUID],
                         municipality: str | None) -> list[uuid.UUID]:
    """The schools of the reach, of one municipality (by name) when asked."""
    if not reach:
        return []
    return list((await session.scalars(REACH, {"school_ids": list(reach),
                                               "municipality": municipality})).all())


async def monthly_report(session: AsyncSession, *, school_ids: list[uuid.UUID], month: str,
                         scope: str) -> MonthlyReport:
    """The report over these schools (RLS must already let the transaction see them). The
    rest of the transaction runs as the officer role: end it after this call."""
    first, last = month_span(month)
    await session.execute(text(f"SET LOCAL ROLE {OFFICER_ROLE}"))
    params = statement_params(school_ids, first, last, [AggregateDimension.SCHOOL])
    schools = (await session.execute(sql.SCHOOLS, params)).all()
    figures = Figures(session, params)
    sections = {name: await figures.section(name) for name in SECTIONS}
    rows = []
    for s in schools:
        key = (s.school_id, s.municipality_id, None, None, None)
        counts = Counts(
            {name: _plain(sections[name][key][0]) if key in sections[name] else None
             for name in SUMMED},
            {r["code"]: _plain(r) for r in sections["curriculum"].get(key, [])})
        rows.append(MonthlyRow(s.municipality_name, s.school_name, counts, 1, s.min_size))
    return MonthlyReport(month=first, scope=scope, rows=rows)
