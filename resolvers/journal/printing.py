"""The printable journal (regulation 5.8): a group's page for a period, read once, shaped for
paper — the header of the class journal, the marks grid, topics and homework, the attendance
summary and period grades — and rendered by resolvers/reports/pdf.py and
resolvers/reports/spreadsheets.py.

The grid comes from the same statement as the GraphQL journal (resolvers/journal/sql.py
JOURNAL_PAGE), so the printed page and the screen never disagree; one more statement reads
the header (school, class, subject, teachers).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.journal.page import (
    Reckoner,
    lay_out,
    page_scale,
    page_threshold,
    period_grade_label,
    reckoner,
)
from resolvers.journal.sql import ATTENDANCE_CODES, FULL_NAME, JOURNAL_PAGE

# Who may print a group's page: (school_id, group_id, class_id) -> bool. The HTTP export
# passes tenants.rules.may_read_journal bound to the viewer; the command line (an operator
# with the owner's rights) allows every group.
MayRead = Callable[[uuid.UUID, uuid.UUID, uuid.UUID | None], bool]

# Codes of the paper journal, in the order of its attendance summary.
ABSENCE_CODES: tuple[str, ...] = tuple(ATTENDANCE_CODES.values())  # н, б, у, оп
# "оп" (late) is not a missed lesson; the others are.
MISSED_CODES = frozenset(c for c in ABSENCE_CODES if c != "оп")


@dataclass(frozen=True)
class PrintedLesson:
    date: date
    number: int | None
    status: str
    topic: str | None
    homework: str | None
    lesson_type: str | None
    teacher: str | None
    is_substitution: bool


@dataclass(frozen=True)
class PrintedStudent:
    full_name: str
    starts_on: date
    ends_on: date | None
    marks: list[str | None]  # one per lesson, in lesson order: the labels, space separated
    attendance: list[str | None]  # one per lesson: н, б, у, оп or None (present)
    extra_marks: list[tuple[date, str]]  # marks of works without a lesson
    average: float | None
    period_grade: str | None

    def cell(self, index: int) -> str:
        """What the paper journal shows at a lesson: the attendance code, then the marks."""
        return " ".join(p for p in (self.attendance[index], self.marks[index]) if p)

    def absences(self) -> dict[str, int]:
        counts = dict.fromkeys(ABSENCE_CODES, 0)
        for code in self.attendance:
            if code in counts:
                counts[code] += 1
        return counts

    @property
    def missed(self) -> int:
        return sum(1 for code in self.attendance if code in MISSED_CODES)


@dataclass(frozen=True)
class PrintedJournal:
    school: str
    class_name: str | None
    group: str
    subject: str
    teachers: list[str]
    academic_year: str
    period: str
    starts_on: date
    ends_on: date
    grading_system: str | None
    lessons: list[PrintedLesson] = field(default_factory=list)
    students: list[PrintedStudent] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.group} — {self.subject}, {self.period}"


HEADER = text(f"""
SELECT s.name AS school, y.name AS academic_year, sub.name AS subject,
       CASE WHEN c.id IS NOT NULL THEN c.grade_level || ' «' || c.letter || '»' END AS class_name,
       (SELECT coalesce(json_agg({FULL_NAME.format(p="t")} ORDER BY t.last_name, t.first_name,
                                 t.id), '[]')
        FROM (SELECT DISTINCT ta.teacher_id FROM teacher_assignments ta
              WHERE ta.school_id = g.school_id AND ta.group_id = g.id
                AND ta.starts_on <= :ends_on
                AND (ta.ends_on IS NULL OR ta.ends_on >= :starts_on)) a
        JOIN persons t ON t.school_id = g.school_id AND t.id = a.teacher_id) AS teachers
FROM study_groups g
JOIN schools s ON s.id = g.school_id
JOIN academic_years y ON y.school_id = g.school_id AND y.id = g.academic_year_id
JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
LEFT JOIN classes c ON c.school_id = g.school_id AND c.id = g.class_id
WHERE g.school_id = :school_id AND g.id = :group_id
""")

CLASS_GROUPS = text("""
SELECT g.id FROM classes c
JOIN study_groups g ON g.school_id = c.school_id AND g.class_id = c.id
JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
WHERE c.id = :class_id
ORDER BY sub.name, g.name, g.id
""")


@dataclass(frozen=True)
class ClassCover:
    """The title page of a class's journal: the school, the class, its year and class
    teacher."""

    school: str
    class_name: str
    academic_year: str
    class_teacher: str | None


CLASS_COVER = text(f"""
SELECT s.name AS school, c.grade_level || ' «' || c.letter || '»' AS class_name,
       y.name AS academic_year,
       (SELECT {FULL_NAME.format(p="ct")} FROM persons ct
         WHERE ct.school_id = c.school_id AND ct.id = c.class_teacher_id) AS class_teacher
FROM classes c
JOIN schools s ON s.id = c.school_id
JOIN academic_years y ON y.school_id = c.school_id AND y.id = c.academic_year_id
WHERE c.id = :class_id
""")


async def class_cover(session: AsyncSession, class_id: uuid.UUID) -> ClassCover | None:
    """The class's title page (RLS hides a class of another school: None)."""
    row = (await session.execute(CLASS_COVER, {"class_id": class_id})).one_or_none()
    return None if row is None else ClassCover(row.school, row.class_name, row.academic_year,
                                               row.class_teacher)


def _lesson(row: list[Any]) -> PrintedLesson:
    _, day, number, status, topic, homework, lesson_type, teacher, substitution = row
    return PrintedLesson(date=date.fromisoformat(day), number=number, status=status,
                         topic=topic, homework=homework, lesson_type=lesson_type,
                         teacher=teacher, is_substitution=bool(substitution))


def _student(row: list[Any], lessons: int, reckoned: Reckoner) -> PrintedStudent:
    (_, full_name, starts_on, ends_on, mark_cells, attendance_cells, extra, pairs, grade_state,
     grade_label) = row
    marks, attendance, _ = lay_out(mark_cells, attendance_cells, lessons)
    average = reckoned(pairs or ()).native_average
    return PrintedStudent(
        full_name=full_name, starts_on=date.fromisoformat(starts_on),
        ends_on=date.fromisoformat(ends_on) if ends_on else None,
        marks=list(marks), attendance=list(attendance),
        extra_marks=[(date.fromisoformat(day), label) for _, day, label in extra],
        average=None if average is None else float(average),
        period_grade=period_grade_label(grade_state, grade_label))


async def printed_journal(
    session: AsyncSession, *, group_id: uuid.UUID, period_id: uuid.UUID, may_read: MayRead,
) -> PrintedJournal | None:
    """The group's page for the period, or None alike when the group or the period does not
    exist (for the viewer: RLS hides other schools) and when `may_read` refuses it."""
    row = (await session.execute(
        JOURNAL_PAGE, {"group_id": group_id, "period_id": period_id})).one_or_none()
    if row is None or row.period is None or not may_read(row.school_id, row.id, row.class_id):
        return None
    period = row.period
    starts_on, ends_on = date.fromisoformat(period["starts_on"]), date.fromisoformat(
        period["ends_on"])
    header = (await session.execute(HEADER, {
        "school_id": row.school_id, "group_id": row.id, "starts_on": starts_on,
        "ends_on": ends_on})).one()
    reckoned = reckoner(page_scale(row.grading_system), page_threshold(row.rounding_threshold))
    return PrintedJournal(
        school=header.school, class_name=header.class_name, group=row.name,
        subject=header.subject, teachers=list(header.teachers),
        academic_year=header.academic_year, period=period["name"], starts_on=starts_on,
        ends_on=ends_on,
        grading_system=row.grading_system["name"] if row.grading_system else None,
        lessons=[_lesson(r) for r in row.lessons],
        students=[_student(r, len(row.lessons), reckoned) for r in row.students])


async def printed_class_journal(
    session: AsyncSession, *, class_id: uuid.UUID, period_id: uuid.UUID, may_read: MayRead,
) -> list[PrintedJournal] | None:
    """Every group of the class (whole class and subgroups; cross-class groups belong to no
    class) that the viewer may read, by subject; None when there is none, so a class of
    another school, a missing class and a class the viewer may not read look alike."""
    group_ids = (await session.scalars(CLASS_GROUPS, {"class_id": class_id})).all()
    journals = []
    for group_id in group_ids:
        # One statement per group: a class has a dozen or two, and the page statement is the
        # one the screen uses, so the printed grid is exactly what the teacher saw.
        page = await printed_journal(session, group_id=group_id, period_id=period_id,
                                     may_read=may_read)
        if page is not None:
            journals.append(page)
    return journals or None
