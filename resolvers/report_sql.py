"""The monthly monitoring report (regulation 6.2): a region's month by municipality and school,
in one statement, with no personal data.

A minimal set of indicators computed here until the officers' aggregates (issue 6,
resolvers/aggregates.py) can feed the report: students, lessons held, topics entered on the
day, marks, the average mark on the common 0–100 axis, «успеваемость» (share of marks that
count as a pass) and «качество» (share of marks at 70 or more on the axis: «4» and «5» of the
five-point scale), the attendance rate and absences by reason.

The statement runs as the officer database role (no privilege on names or free text) and
under RLS scoped to the schools of the viewer's reach. A figure computed from fewer than
`MIN_STUDENTS` students is suppressed, so a small school cannot be re-identified.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.settings import OFFICER_ROLE

MIN_STUDENTS = 5
QUALITY_FROM = 70  # on the 0–100 axis: the lower bound of «4» in the five-point template

MONTH_NAMES = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
               "сентябрь", "октябрь", "ноябрь", "декабрь"]

MONTHLY = text(f"""
WITH sc AS (
  SELECT s.id, s.name, s.timezone, m.name AS municipality
  FROM schools s JOIN municipalities m ON m.id = s.municipality_id
  WHERE s.id = ANY(:school_ids)
),
l AS (
  SELECT l.school_id, l.id, l.group_id, l.date, l.topic, l.topic_entered_at, sc.timezone
  FROM sc JOIN lessons l ON l.school_id = sc.id AND l.status = 'held'
   AND l.date BETWEEN :starts_on AND :ends_on
),
held AS (
  SELECT school_id, count(*) AS lessons,
         count(*) FILTER (WHERE nullif(btrim(topic), '') IS NOT NULL
                            AND (topic_entered_at AT TIME ZONE timezone)::date <= date)
           AS topics_on_time
  FROM l GROUP BY school_id
),
slots AS (
  -- each student expected at each held lesson of their group: the attendance denominator
  SELECT l.school_id, count(*) AS slots, count(DISTINCT gm.student_id) AS students
  FROM l JOIN group_memberships gm ON gm.school_id = l.school_id AND gm.group_id = l.group_id
   AND gm.starts_on <= l.date AND (gm.ends_on IS NULL OR gm.ends_on >= l.date)
  GROUP BY l.school_id
),
att AS (
  SELECT l.school_id,
         count(*) FILTER (WHERE a.kind = 'absent') AS absent,
         count(*) FILTER (WHERE a.kind = 'ill') AS ill,
         count(*) FILTER (WHERE a.kind = 'excused') AS excused,
         count(*) FILTER (WHERE a.kind = 'late') AS late
  FROM l JOIN attendance a ON a.school_id = l.school_id AND a.lesson_id = l.id
  GROUP BY l.school_id
),
mk AS (
  SELECT mk.school_id, count(*) AS marks, sum(v.point) AS points,
         count(*) FILTER (WHERE v.counts_as_pass) AS passing,
         count(*) FILTER (WHERE v.range_low >= {QUALITY_FROM}) AS quality,
         count(DISTINCT mk.student_id) AS marked_students
  FROM sc JOIN marks mk ON mk.school_id = sc.id AND mk.work_date BETWEEN :starts_on AND :ends_on
  JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
  GROUP BY mk.school_id
)
SELECT sc.municipality, sc.name AS school,
       coalesce(slots.students, 0) AS students, coalesce(held.lessons, 0) AS lessons,
       coalesce(held.topics_on_time, 0) AS topics_on_time, coalesce(slots.slots, 0) AS slots,
       coalesce(att.absent, 0) AS absent, coalesce(att.ill, 0) AS ill,
       coalesce(att.excused, 0) AS excused, coalesce(att.late, 0) AS late,
       coalesce(mk.marks, 0) AS marks, coalesce(mk.points, 0) AS points,
       coalesce(mk.passing, 0) AS passing, coalesce(mk.quality, 0) AS quality,
       coalesce(mk.marked_students, 0) AS marked_students
FROM sc
LEFT JOIN held ON held.school_id = sc.id
LEFT JOIN slots ON slots.school_id = sc.id
LEFT JOIN att ON att.school_id = sc.id
LEFT JOIN mk ON mk.school_id = sc.id
ORDER BY sc.municipality, sc.name, sc.id
""")

REACH = text("""
SELECT s.id FROM schools s JOIN municipalities m ON m.id = s.municipality_id
WHERE s.id = ANY(:school_ids) AND (CAST(:municipality AS text) IS NULL
                                   OR lower(m.name) = lower(CAST(:municipality AS text)))
""")


@dataclass
class Counts:
    """The numerators and denominators of one row; sums of them make the subtotals."""

    students: int = 0
    lessons: int = 0
    topics_on_time: int = 0
    slots: int = 0
    absent: int = 0
    ill: int = 0
    excused: int = 0
    late: int = 0
    marks: int = 0
    points: Decimal = Decimal(0)
    passing: int = 0
    quality: int = 0
    marked_students: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k)
                         for k in self.__dataclass_fields__})


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class MonthlyRow:
    municipality: str
    school: str | None  # None: the municipality's subtotal (or the total, when both are None)
    counts: Counts

    def values(self, min_students: int) -> list[object]:
        c = self.counts
        hidden = c.students < min_students
        few_marked = c.marked_students < min_students

        def guard(value: object, suppressed: bool) -> object:
            return "<" + str(min_students) if suppressed else value

        missed = c.absent + c.ill + c.excused
        return [
            self.municipality, self.school or "Итого",
            guard(c.students, hidden),
            c.lessons,
            share(c.topics_on_time, c.lessons),
            guard(c.marks, few_marked),
            guard(round(float(c.points) / c.marks, 1) if c.marks else None, few_marked),
            guard(share(c.passing, c.marks), few_marked),
            guard(share(c.quality, c.marks), few_marked),
            guard(share(c.slots - missed, c.slots), hidden),
            guard(c.absent, hidden), guard(c.ill, hidden), guard(c.excused, hidden),
            guard(c.late, hidden),
        ]


HEADERS = ["Муниципалитет", "Школа", "Учащихся", "Уроков проведено",
           "Темы в день урока, %", "Отметок", "Средняя отметка (0–100)", "Успеваемость, %",
           "Качество, %", "Посещаемость, %", "Пропуски н", "Пропуски б", "Пропуски у",
           "Опоздания оп"]


@dataclass
class MonthlyReport:
    month: date  # its first day
    scope: str
    min_students: int = MIN_STUDENTS
    rows: list[MonthlyRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return (f"Ежемесячный мониторинг ведения электронного журнала: "
                f"{MONTH_NAMES[self.month.month - 1]} {self.month.year} г., {self.scope}")

    @property
    def note(self) -> str:
        return (f"Показатели, рассчитанные менее чем по {self.min_students} учащимся, скрыты "
                f"(«<{self.min_students}»). Средняя отметка — по общей шкале 0–100; "
                f"успеваемость — доля положительных отметок; качество — доля отметок "
                f"от {QUALITY_FROM} по шкале 0–100 («4» и «5»).")

    @property
    def headers(self) -> list[str]:
        return HEADERS

    def table_rows(self) -> list[list[object]]:
        """Schools, then each municipality's subtotal after its schools, then the total."""
        out: list[list[object]] = []
        total = Counts()
        for municipality in dict.fromkeys(r.municipality for r in self.rows):
            subtotal = Counts()
            for row in (r for r in self.rows if r.municipality == municipality):
                out.append(row.values(self.min_students))
                subtotal += row.counts
            out.append(MonthlyRow(municipality, None, subtotal).values(self.min_students))
            total += subtotal
        out.append(MonthlyRow(self.scope, None, total).values(self.min_students))
        return out


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
    return list((await session.scalars(REACH, {"school_ids": list(reach),
                                               "municipality": municipality})).all())


async def monthly_report(session: AsyncSession, *, school_ids: list[uuid.UUID], month: str,
                         scope: str, min_students: int = MIN_STUDENTS) -> MonthlyReport:
    """The report over these schools (RLS must already let the transaction see them). The
    rest of the transaction runs as the officer role: end it after this call."""
    first, last = month_span(month)
    await session.execute(text(f"SET LOCAL ROLE {OFFICER_ROLE}"))
    result = await session.execute(MONTHLY, {"school_ids": school_ids, "starts_on": first,
                                             "ends_on": last})
    rows = [MonthlyRow(r.municipality, r.school, Counts(**{
        k: getattr(r, k) for k in Counts.__dataclass_fields__})) for r in result]
    return MonthlyReport(month=first, scope=scope, min_students=min_students, rows=rows)
