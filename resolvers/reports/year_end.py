"""Year-end documents (issue 15): what they print, read once, shaped for paper; rendered by
resolvers/reports/year_end_pdf.py and resolvers/reports/year_end_xlsx.py.

- A group's **year page**: per student, each period grade of the group's own scheme, the year
  grade, the exam grade(s) and the final grade of the group's subject.
- A class's **summary sheet** (сводная ведомость итоговых отметок): students × subjects, the
  period, year and final grades, the counts of «5», «4», «3», «2» of each column, and the
  class's успеваемость and качество of each column (each period, the year, the final grades)
  by the one definition of docs/figures.md: the results come from the grades of the column,
  and resolvers/aggregates/sql.py's fragments (`grade_result`, `per_student`,
  `student_counts`) fold them, as they do for `aggregates`.

Grades are `grades` rows of the student, the subject and the year (a grade belongs to no
group: a student who moved between subgroups keeps it); exam results are rows of kind `exam`,
each printed with its exam kind's short name and, where given, its test score («5 (ОГЭ, 78)»,
«отсрочка (ОГЭ)»), several of one subject in one cell. A grade without a value prints as its
state (н/а, осв., отсрочка). Who may print is the caller's question (`MayPrint`): the HTTP export
asks tenants.rules.may_print_year_documents; RLS hides other schools before that. The number
of statements does not depend on the size of the class or the number of its groups.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import GradeKind, GradeState, YearStatus
from resolvers.aggregates.figures import AttainmentFigures, attainment_aggregate
from resolvers.aggregates.sql import VALUE_BANDS, grade_result, per_student, student_counts
from resolvers.calendar.group_periods import periods_of_groups
from resolvers.grading.uses import group_grade_level, system_in_force
from resolvers.grading.without_marks import without_marks_sql
from resolvers.journal.sql import FULL_NAME, GRADE_STATE_LABELS

# Who may print a class's year-end documents: (school_id, class_id or None) -> bool.
MayPrint = Callable[[uuid.UUID, uuid.UUID | None], bool]

# The bands counted under each column, highest first.
BANDS = (5, 4, 3, 2)

YEAR, EXAM, FINAL = "year", "exam", "final"


@dataclass(frozen=True)
class Column:
    """A column of grades: a period of the scheme, the year, the exams or the final grade."""

    key: str  # the period's id as text, or "year", "exam", "final"
    title: str
    kind: GradeKind
    period_id: uuid.UUID | None = None
    ends_on: date | None = None  # the last day whose members the column's figures count


@dataclass(frozen=True)
class Cell:
    """One grade as printed: the value's label, or the state (н/а, осв., отсрочка)."""

    label: str
    band: int | None = None  # «2»..«5» on the five-point axis; None for a state or pass/fail
    note: str | None = None  # a deferral's date


@dataclass
class Student:
    full_name: str
    starts_on: date
    ends_on: date | None
    cells: dict[Any, Cell] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    id: uuid.UUID
    name: str
    short_name: str


@dataclass(frozen=True)
class Signature:
    """A line to sign: who signs, and their name where it is known."""

    role: str
    name: str | None


@dataclass
class Heading:
    school: str
    academic_year: str
    year_starts_on: date
    year_ends_on: date
    archived: bool
    class_name: str | None
    class_teacher: str | None

    @property
    def year_label(self) -> str:
        return self.academic_year + (" (архив)" if self.archived else "")


@dataclass
class YearPage:
    """A group's grades of the year."""

    heading: Heading
    group: str
    subject: str
    teachers: list[str]
    grading_system: str | None
    columns: list[Column]
    students: list[Student]  # cells by column key

    @property
    def title(self) -> str:
        return f"{self.group} — {self.subject}, {self.heading.academic_year}"

    @property
    def signatures(self) -> list[Signature]:
        return [Signature("Учитель", ", ".join(self.teachers) or None),
                Signature("Классный руководитель", self.heading.class_teacher),
                Signature("Директор", None)]

    def notes(self, student: Student) -> str:
        return "; ".join(f"{c.title}: {cell.note}" for c in self.columns
                         if (cell := student.cells.get(c.key)) is not None and cell.note)


@dataclass
class ColumnFigures:
    """A summary column's figures for the class: counts of «5»..«2» and the attainment."""

    bands: dict[int, int]
    attainment: AttainmentFigures


@dataclass
class ClassSummary:
    """The сводная ведомость: the class's grades by subject, with the figures of each column."""

    heading: Heading
    columns: list[Column]  # periods, year, final
    subjects: list[Subject]
    students: list[Student]  # cells by (subject id, column key)
    figures: dict[str, ColumnFigures]  # by column key, over every subject

    @property
    def title(self) -> str:
        return f"{self.heading.class_name}, {self.heading.academic_year}"

    @property
    def signatures(self) -> list[Signature]:
        return [Signature("Классный руководитель", self.heading.class_teacher),
                Signature("Директор", None)]

    def bands(self, subject_id: uuid.UUID, column: str) -> dict[int, int]:
        """Counts of «5», «4», «3», «2» among the subject's grades of the column."""
        counted = Counter(cell.band for s in self.students
                          if (cell := s.cells.get((subject_id, column))) is not None
                          and cell.band is not None)
        return {band: counted[band] for band in BANDS}


# --- statements ------------------------------------------------------------------------------

_HEADING = f"""
  s.name AS school, y.name AS academic_year, y.starts_on AS year_starts_on,
  y.ends_on AS year_ends_on, CAST(y.status AS text) AS year_status,
  CASE WHEN c.id IS NOT NULL THEN c.grade_level || ' «' || c.letter || '»' END AS class_name,
  (SELECT {FULL_NAME.format(p="ct")} FROM persons ct
    WHERE ct.school_id = c.school_id AND ct.id = c.class_teacher_id) AS class_teacher"""

GROUP_HEADER = text(f"""
SELECT g.school_id, g.id, g.class_id, g.academic_year_id, g.subject_id, g.name AS group_name,
       sub.name AS subject, {_HEADING},
       (SELECT gs.name FROM grading_systems gs
         WHERE gs.school_id = g.school_id
           AND gs.id = {system_in_force("g.school_id", "g.academic_year_id", "g.subject_id",
                                        f"({group_grade_level('g')})")}) AS grading_system,
       (SELECT coalesce(json_agg({FULL_NAME.format(p="t")} ORDER BY t.last_name, t.first_name,
                                 t.id), '[]')
        FROM (SELECT DISTINCT ta.teacher_id FROM teacher_assignments ta
              WHERE ta.school_id = g.school_id AND ta.group_id = g.id
                AND ta.starts_on <= y.ends_on
                AND (ta.ends_on IS NULL OR ta.ends_on >= y.starts_on)) a
        JOIN persons t ON t.school_id = g.school_id AND t.id = a.teacher_id) AS teachers,
       (SELECT coalesce(json_agg(json_build_array(m.student_id, m.full_name, m.starts_on,
                                                  m.ends_on)
                                 ORDER BY m.full_name, m.student_id), '[]')
        FROM (SELECT gm.student_id, {FULL_NAME.format(p="p")} AS full_name,
                     min(gm.starts_on) AS starts_on,
                     CASE WHEN bool_or(gm.ends_on IS NULL) THEN NULL ELSE max(gm.ends_on) END
                       AS ends_on
              FROM group_memberships gm
              JOIN persons p ON p.school_id = gm.school_id AND p.id = gm.student_id
              WHERE gm.school_id = g.school_id AND gm.group_id = g.id
                AND gm.starts_on <= y.ends_on
                AND (gm.ends_on IS NULL OR gm.ends_on >= y.starts_on)
              GROUP BY gm.student_id, p.last_name, p.first_name, p.middle_name) m) AS students
FROM study_groups g
JOIN schools s ON s.id = g.school_id
JOIN academic_years y ON y.school_id = g.school_id AND y.id = g.academic_year_id
JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
LEFT JOIN classes c ON c.school_id = g.school_id AND c.id = g.class_id
WHERE g.id = :group_id
""")

CLASS_HEADER = text(f"""
SELECT c.school_id, c.id, c.academic_year_id, c.grade_level, {_HEADING},
       (SELECT g.id FROM study_groups g WHERE g.school_id = c.school_id AND g.class_id = c.id
         ORDER BY g.id LIMIT 1) AS any_group_id,
       (SELECT coalesce(json_agg(json_build_array(x.id, x.name, x.short_name)
                                 ORDER BY x.name, x.id), '[]')
        FROM (SELECT DISTINCT sub.id, sub.name, sub.short_name
              FROM study_groups g
              JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
              WHERE g.school_id = c.school_id AND g.class_id = c.id
                AND NOT {without_marks_sql("g.school_id", "g.subject_id", "c.grade_level")}) x
       ) AS subjects,
       (SELECT coalesce(json_agg(json_build_array(e.student_id, e.full_name, e.starts_on,
                                                  e.ends_on)
                                 ORDER BY e.full_name, e.student_id), '[]')
        FROM (SELECT en.student_id, {FULL_NAME.format(p="p")} AS full_name,
                     min(en.starts_on) AS starts_on,
                     CASE WHEN bool_or(en.ends_on IS NULL) THEN NULL ELSE max(en.ends_on) END
                       AS ends_on
              FROM enrollments en
              JOIN persons p ON p.school_id = en.school_id AND p.id = en.student_id
              WHERE en.school_id = c.school_id AND en.class_id = c.id
              GROUP BY en.student_id, p.last_name, p.first_name, p.middle_name) e) AS students
FROM classes c
JOIN schools s ON s.id = c.school_id
JOIN academic_years y ON y.school_id = c.school_id AND y.id = c.academic_year_id
WHERE c.id = :class_id
""")

# Every grade of the students in the subjects and the year, with its five-point band.
GRADES = text(f"""
WITH {VALUE_BANDS}
SELECT gr.student_id, gr.subject_id, CAST(gr.kind AS text) AS kind, gr.period_id,
       CAST(gr.state AS text) AS state, mv.label, gr.deferred_until,
       CASE WHEN v.graded THEN v.band END AS band,
       ek.short_name AS exam_kind, gr.test_score
FROM grades gr
LEFT JOIN mark_values mv ON mv.school_id = gr.school_id AND mv.id = gr.value_id
LEFT JOIN exam_kinds ek ON ek.school_id = gr.school_id AND ek.id = gr.exam_kind_id
LEFT JOIN vals v ON v.school_id = gr.school_id AND v.id = gr.value_id
WHERE gr.school_id = :school_id AND gr.academic_year_id = :year_id
  AND gr.student_id = ANY (CAST(:student_ids AS uuid[]))
  AND gr.subject_id = ANY (CAST(:subject_ids AS uuid[]))
ORDER BY gr.set_at NULLS LAST, gr.id
""")

# Успеваемость and качество of the class, per column, by docs/figures.md: a result per member
# of each of the class's groups (those taught with marks) on the column's last day, from the
# grade of the group's subject of the column's kind (and period).
CLASS_ATTAINMENT = text(f"""
WITH {VALUE_BANDS},
cg AS (
  SELECT g.school_id, g.id AS group_id, g.subject_id, g.academic_year_id
  FROM classes c
  JOIN study_groups g ON g.school_id = c.school_id AND g.class_id = c.id
  WHERE c.school_id = :school_id AND c.id = :class_id
    AND NOT {without_marks_sql("g.school_id", "g.subject_id", "c.grade_level")}
),
cols AS (
  SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:kinds AS text[]),
                       CAST(:period_ids AS uuid[]), CAST(:ends AS date[]))
    AS x(k_col, k_kind, k_period, ends_on)
),
results AS (
  SELECT cols.k_col, gm.student_id, {grade_result("gr", "v")}
  FROM cg CROSS JOIN cols
  JOIN group_memberships gm ON gm.school_id = cg.school_id AND gm.group_id = cg.group_id
   AND gm.starts_on <= cols.ends_on AND (gm.ends_on IS NULL OR gm.ends_on >= cols.ends_on)
  LEFT JOIN grades gr ON gr.school_id = cg.school_id AND gr.student_id = gm.student_id
   AND gr.subject_id = cg.subject_id AND gr.academic_year_id = cg.academic_year_id
   AND CAST(gr.kind AS text) = cols.k_kind
   AND gr.period_id IS NOT DISTINCT FROM cols.k_period
  LEFT JOIN vals v ON v.school_id = gr.school_id AND v.id = gr.value_id
),
ps AS ({per_student("k_col", "results")})
SELECT ps.k_col, {student_counts("ps")} FROM ps GROUP BY ps.k_col
""")


# --- reading ---------------------------------------------------------------------------------

def _heading(row: Any) -> Heading:
    return Heading(school=row.school, academic_year=row.academic_year,
                   year_starts_on=row.year_starts_on, year_ends_on=row.year_ends_on,
                   archived=row.year_status == YearStatus.ARCHIVED.value,
                   class_name=row.class_name, class_teacher=row.class_teacher)


def _students(rows: Sequence[Sequence[Any]]) -> dict[uuid.UUID, Student]:
    return {uuid.UUID(sid): Student(full_name=name, starts_on=date.fromisoformat(starts),
                                    ends_on=date.fromisoformat(ends) if ends else None)
            for sid, name, starts, ends in rows}


def score_label(score: Decimal) -> str:
    """A test score as printed: «78», «25,5» (no trailing zeros, a decimal comma)."""
    return f"{score.normalize():f}".replace(".", ",")


def cell(state: str, label: str | None, band: int | None, deferred_until: date | None,
         *, exam_kind: str | None = None, test_score: Decimal | None = None) -> Cell:
    """A grade as printed; an exam result with its kind's short name and its test score:
    «5 (ОГЭ, 78)», «5 (ОГЭ)», «отсрочка (ОГЭ)»."""
    if state == GradeState.GRADED:
        text, note = label or "", None
    else:
        text = GRADE_STATE_LABELS[GradeState(state)]
        band = None
        note = f"отсрочка до {deferred_until:%d.%m.%Y}" if deferred_until else None
    if exam_kind is not None:
        about = [exam_kind, *([score_label(test_score)] if test_score is not None else [])]
        text += f" ({', '.join(about)})"
    return Cell(text, band, note)


def joined(cells: Sequence[Cell]) -> Cell:
    """Several exam results of one subject in one cell; no band (they are not one grade)."""
    if len(cells) == 1:
        return cells[0]
    notes = [c.note for c in cells if c.note]
    return Cell("; ".join(c.label for c in cells), None, "; ".join(notes) or None)


async def _periods(session: AsyncSession, group_id: uuid.UUID | None) -> list[Column]:
    """The periods of the group's own scheme (a class's groups share their class's)."""
    periods = (await periods_of_groups(session, [group_id]))[0] if group_id else []
    return [Column(str(p.id), p.name, GradeKind.PERIOD, p.id, p.ends_on) for p in periods]


def _year_columns(periods: list[Column], year_ends_on: date, *, exams: bool) -> list[Column]:
    last = periods[-1].ends_on if periods else year_ends_on
    columns = [*periods, Column(YEAR, "Год", GradeKind.YEAR, None, last)]
    if exams:
        columns.append(Column(EXAM, "Экзамен", GradeKind.EXAM, None, last))
    return [*columns, Column(FINAL, "Итог", GradeKind.FINAL, None, last)]


def _key(kind: str, period_id: uuid.UUID | None) -> str | None:
    if kind == GradeKind.PERIOD:
        return str(period_id)
    return {GradeKind.YEAR: YEAR, GradeKind.EXAM: EXAM, GradeKind.FINAL: FINAL}.get(
        GradeKind(kind))


async def _fill(session: AsyncSession, school_id: uuid.UUID, year_id: uuid.UUID,
                students: dict[uuid.UUID, Student], subject_ids: list[uuid.UUID],
                columns: list[Column], *, by_subject: bool) -> None:
    """Each student's cells of the columns, keyed by column (or by subject and column)."""
    if not students or not subject_ids:
        return
    wanted = {c.key for c in columns}
    found: dict[tuple[uuid.UUID, Any], list[Cell]] = {}
    for r in await session.execute(GRADES, {
            "school_ids": [school_id], "school_id": school_id, "year_id": year_id,
            "student_ids": list(students), "subject_ids": subject_ids}):
        key = _key(r.kind, r.period_id)
        if key not in wanted:
            continue  # a period of another scheme (the student came from another grade)
        where = (r.subject_id, key) if by_subject else key
        found.setdefault((r.student_id, where), []).append(
            cell(r.state, r.label, r.band, r.deferred_until, exam_kind=r.exam_kind,
                 test_score=r.test_score))
    for (student_id, where), cells in found.items():
        students[student_id].cells[where] = joined(cells)


async def year_page(session: AsyncSession, *, group_id: uuid.UUID, may_print: MayPrint
                    ) -> YearPage | None:
    """The group's year page; None alike for a missing group, one of another school and one
    the viewer may not print."""
    row = (await session.execute(GROUP_HEADER, {"group_id": group_id})).one_or_none()
    if row is None or not may_print(row.school_id, row.class_id):
        return None
    heading = _heading(row)
    columns = _year_columns(await _periods(session, row.id),
                            heading.year_ends_on, exams=True)
    students = _students(row.students)
    await _fill(session, row.school_id, row.academic_year_id, students, [row.subject_id],
                columns, by_subject=False)
    return YearPage(heading=heading, group=row.group_name, subject=row.subject,
                    teachers=list(row.teachers), grading_system=row.grading_system,
                    columns=columns, students=list(students.values()))


async def class_summary(session: AsyncSession, *, class_id: uuid.UUID, may_print: MayPrint
                        ) -> ClassSummary | None:
    """The class's summary sheet; None alike for a missing class, one of another school and
    one the viewer may not print."""
    row = (await session.execute(CLASS_HEADER, {"class_id": class_id})).one_or_none()
    if row is None or not may_print(row.school_id, row.id):
        return None
    heading = _heading(row)
    periods = await _periods(session, row.any_group_id)
    columns = _year_columns(periods, heading.year_ends_on, exams=False)
    subjects = [Subject(uuid.UUID(sid), name, short) for sid, name, short in row.subjects]
    students = _students(row.students)
    await _fill(session, row.school_id, row.academic_year_id, students,
                [s.id for s in subjects], columns, by_subject=True)
    counts = {r.k_col: r for r in await session.execute(CLASS_ATTAINMENT, {
        "school_ids": [row.school_id], "school_id": row.school_id, "class_id": row.id,
        "keys": [c.key for c in columns], "kinds": [c.kind.value for c in columns],
        "period_ids": [c.period_id for c in columns], "ends": [c.ends_on for c in columns]})}
    summary = ClassSummary(heading=heading, columns=columns, subjects=subjects,
                           students=list(students.values()), figures={})
    for column in columns:
        bands = Counter[int]()
        for subject in subjects:
            bands.update(summary.bands(subject.id, column.key))
        r = counts.get(column.key)
        # A document with the students' names: nothing to suppress (threshold 1); the basis
        # is always the grades of the column.
        figures = {"by_grades": True, "students": 0, "passing": 0, "quality": 0, "pending": 0}
        if r is not None:
            figures |= {k: getattr(r, k) for k in ("students", "passing", "quality", "pending")}
        summary.figures[column.key] = ColumnFigures(
            bands={b: bands[b] for b in BANDS}, attainment=attainment_aggregate(figures, 1))
    return summary
