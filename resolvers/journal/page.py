"""Reading the journal: a group's page for a period as a typed grid, and one cell's detail."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.grading.averages import DEFAULT_THRESHOLD, Reckoning, native_number, reckon
from resolvers.grading.conversion import (
    Scale,
    ScaleValue,
    convert,
    load_scales,
    load_tables,
)
from resolvers.journal.sql import GRADE_STATE_LABELS, JOURNAL_PAGE
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.errors import RequestError, bad_argument
from tenants.rules import may_read_journal, reads_only_aggregates


def page_scale(system: dict[str, Any] | None) -> Scale | None:
    """The group's grading system as the conversion and average rules need it."""
    if not system or not system.get("values"):
        return None
    system_id = uuid.UUID(system["id"])
    values = tuple(
        ScaleValue(id=uuid.UUID(value_id), system_id=system_id, label=label, ordinal=ordinal,
                   low=Decimal(str(low)), high=Decimal(str(high)), point=Decimal(str(point)),
                   counts_as_pass=passes,
                   numeric=None if number is None else Decimal(str(number)))
        for value_id, label, ordinal, low, high, point, passes, number in system["values"])
    return Scale(id=system_id, values=values, name=system["name"])


async def label_map(loaders: RowLoaders, source: Scale, target_id: uuid.UUID, on: date
                    ) -> tuple[Scale, dict[str, str]] | None:
    """How each label of the group's system reads in the target system on `on` (pinned
    table or the axis: resolvers/grading/conversion.py); None when the target is not the
    school's."""
    target = (await load_scales(loaders, [target_id])).get(target_id)
    system = await loaders.by_id(models.GradingSystem).load(target_id)
    source_row = await loaders.by_id(models.GradingSystem).load(source.id)
    if (target is None or not target.values or system is None or source_row is None
            or system.school_id != source_row.school_id):
        return None
    tables = await load_tables(loaders, [source.id])
    return target, {v.label: convert(v, target, tables=tables, on=on).label
                    for v in source.values}


def relabel(cells: list[str | None], labels: dict[str, str]) -> list[str | None]:
    return [None if c is None else " ".join(labels.get(x, x) for x in c.split(" "))
            for c in cells]


# A page row's counted marks, as the SQL returns them, to their average and suggested grade.
Reckoner = Callable[[Iterable[Sequence[Any]]], Reckoning]


def reckoner(scale: Scale | None, threshold: Decimal) -> Reckoner:
    """Each row's average and suggested grade by the one rule of resolvers/grading/averages.py
    (`reckon`, which `averageExplanation` uses too), over the counted marks the page's SQL
    returns as (number, weight, point, system): each mark's number in `scale` by rule 3. A
    page has a handful of distinct (value, weight) pairs, so each is converted once."""
    numeric = scale is not None and scale.is_numeric
    seen: dict[tuple[Any, ...], tuple[Decimal, Decimal, Decimal | None]] = {}

    def counted(mark: Sequence[Any]) -> tuple[Decimal, Decimal, Decimal | None]:
        key = tuple(mark)
        found = seen.get(key)
        if found is None:
            number, weight, point, system_id = mark
            exact = Decimal(str(point))
            found = seen[key] = (Decimal(str(weight)), exact,
                                 native_number(scale, system_id, number, exact)
                                 if scale is not None and numeric else None)
        return found

    def row(marks: Iterable[Sequence[Any]]) -> Reckoning:
        return reckon(map(counted, marks), scale, threshold)

    return row


def page_threshold(value: Decimal | None) -> Decimal:
    """The school's rounding threshold as the page's statement reads it (no settings row:
    the default, as `school_rules`)."""
    return DEFAULT_THRESHOLD if value is None else Decimal(value)


def period_grade_label(state: str | None, label: str | None) -> str | None:
    if state is None:
        return None
    if state == models.GradeState.GRADED:
        return label
    return GRADE_STATE_LABELS[models.GradeState(state)]


# The page as plain rows; schema/journal.py gives them their global ids and GraphQL types.
# Not frozen: a frozen dataclass pays a setattr per field, on every row of every page.


@dataclass(slots=True)
class PageLesson:
    id: uuid.UUID
    date: date
    lesson_number: int | None
    status: models.LessonStatus
    topic: str | None
    homework: str | None
    lesson_type: str | None
    teacher: str | None
    is_substitution: bool


@dataclass(slots=True)
class PageExtraMark:
    id: uuid.UUID
    work_date: date
    label: str


@dataclass(slots=True)
class PageStudent:
    id: uuid.UUID
    full_name: str
    starts_on: date
    ends_on: date | None
    marks: list[str | None]  # aligned with the page's lessons, as the SQL returns them
    attendance: list[str | None]
    extra_marks: list[PageExtraMark]
    average: float | None
    suggested: ScaleValue | None  # of the page's system (the `in` one when given)
    period_grade: str | None
    mark_ids: list[list[str]]  # aligned with `marks`: each cell's mark ids, in label order


@dataclass(slots=True)
class PagePeriod:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date


@dataclass(slots=True)
class PageSystem:
    id: uuid.UUID
    name: str
    labels: list[str]


@dataclass(slots=True)
class Page:
    group_id: uuid.UUID
    group_name: str
    without_marks: bool
    period: PagePeriod
    grading_system: PageSystem | None
    lessons: list[PageLesson]
    students: list[PageStudent]


def _lesson(row: list[Any]) -> PageLesson:
    lesson_id, day, number, status, topic, homework, lesson_type, teacher, substitution = row
    return PageLesson(
        id=uuid.UUID(lesson_id), date=date.fromisoformat(day), lesson_number=number,
        status=models.LessonStatus(status), topic=topic, homework=homework,
        lesson_type=lesson_type, teacher=teacher, is_substitution=substitution)


def lay_out(mark_cells: list[list[Any]], attendance_cells: list[list[Any]], lessons: int
            ) -> tuple[list[str | None], list[str | None], list[list[str]]]:
    """A student's sparse cells as the page's statement returns them ([lesson index from 1,
    labels, mark ids] and [lesson index, code]) laid out along the page's `lessons`: the marks
    and attendance of each lesson (None where there are none) and its mark ids ([] likewise)."""
    marks: list[str | None] = [None] * lessons
    mark_ids: list[list[str]] = [[] for _ in range(lessons)]
    for index, labels, ids in mark_cells:
        marks[index - 1] = labels
        mark_ids[index - 1] = ids
    attendance: list[str | None] = [None] * lessons
    for index, code in attendance_cells:
        attendance[index - 1] = code
    return marks, attendance, mark_ids


def _student(row: list[Any], lessons: int, labels: dict[str, str] | None,
             reckoned: Reckoner) -> PageStudent:
    (student_id, full_name, starts_on, ends_on, mark_cells, attendance_cells, extra, pairs,
     grade_state, grade_label) = row
    marks, attendance, mark_ids = lay_out(mark_cells, attendance_cells, lessons)
    result = reckoned(pairs or ())
    return PageStudent(
        id=uuid.UUID(student_id), full_name=full_name,
        starts_on=date.fromisoformat(starts_on),
        ends_on=date.fromisoformat(ends_on) if ends_on else None,
        marks=relabel(marks, labels) if labels else marks, attendance=attendance,
        extra_marks=[PageExtraMark(id=uuid.UUID(mark_id), work_date=date.fromisoformat(day),
                                   label=labels.get(label, label) if labels else label)
                     for mark_id, day, label in extra],
        average=None if result.native_average is None else float(result.native_average),
        suggested=result.suggested,
        period_grade=period_grade_label(
            grade_state, labels.get(grade_label, grade_label) if labels and grade_label
            else grade_label),
        mark_ids=mark_ids)


def wrong_period(allowed: list[list[str]] | None) -> RequestError:
    """The refusal of a period outside the group's own scheme, naming the ones it has."""
    names = ", ".join(f"«{name}»" for _, name in allowed or [])
    return bad_argument("periodId", "is not a period of the group's own period scheme (the "
                                    "scheme of its grade level in its year; see "
                                    "`StudyGroup.periods`); its periods: " + (names or "none"))


async def journal_page(session: AsyncSession, access: AccessContext, loaders: RowLoaders, *,
                       group_id: uuid.UUID, period_id: uuid.UUID,
                       target_system_id: uuid.UUID | None) -> Page | None:
    """The group's page for the period, its marks read in `target_system_id` when given; None
    when the viewer may not read the journal or the group does not exist. A period outside
    the group's own scheme is refused, naming the periods it has."""
    if reads_only_aggregates(access):
        return None  # no journal is theirs, and the officer role may not run the statement
    row = (await session.execute(
        JOURNAL_PAGE, {"group_id": group_id, "period_id": period_id})).one_or_none()
    if row is None or not may_read_journal(access, row.school_id, row.id, row.class_id):
        return None
    if row.period is None:
        raise wrong_period(row.allowed_periods)
    period, system = row.period, row.grading_system
    scale = page_scale(system)
    labels: dict[str, str] | None = None
    if target_system_id is not None and scale is not None and target_system_id != scale.id:
        converted = await label_map(loaders, scale, target_system_id,
                                    date.fromisoformat(period["ends_on"]))
        if converted is None:
            raise bad_argument("in", "is not a grading system of the group's school")
        scale, labels = converted
        system = {"id": str(scale.id), "name": scale.name,
                  "labels": [v.label for v in scale.values]}
    return page_of(row, scale, system, labels)


def page_of(row: Any, scale: Scale | None, system: dict[str, Any] | None,
            labels: dict[str, str] | None) -> Page:
    """The page from the statement's row, told in `scale` (`labels`: the group's labels to
    that system's, when it is another)."""
    period = row.period
    reckoned = reckoner(scale, page_threshold(row.rounding_threshold))
    return Page(
        group_id=row.id, group_name=row.name,
        without_marks=row.without_marks,
        period=PagePeriod(id=uuid.UUID(period["id"]), name=period["name"],
                          starts_on=date.fromisoformat(period["starts_on"]),
                          ends_on=date.fromisoformat(period["ends_on"])),
        grading_system=PageSystem(id=uuid.UUID(system["id"]), name=system["name"],
                                  labels=system["labels"] or []) if system else None,
        lessons=[_lesson(r) for r in row.lessons],
        students=[_student(r, len(row.lessons), labels, reckoned) for r in row.students],
    )


@dataclass(slots=True)
class CellMark:
    id: uuid.UUID
    label: str
    work_type: str
    weight: float
    comment: str | None
    excluded_from_average: bool
    entered_at: datetime
    recorded_at: datetime | None
    version: int


@dataclass(slots=True)
class Cell:
    marks: list[CellMark]
    attendance: models.Attendance | None  # its code: journal_sql.ATTENDANCE_CODES


async def journal_cell(session: AsyncSession, access: AccessContext, loaders: RowLoaders, *,
                       group_id: uuid.UUID, lesson_id: uuid.UUID, student_id: uuid.UUID
                       ) -> Cell | None:
    """A student's marks and attendance at one lesson of the group; None when the journal is
    not readable or the lesson is not the group's."""
    group = await loaders.by_id(models.StudyGroup).load(group_id)
    if group is None or not may_read_journal(access, group.school_id, group.id,
                                             group.class_id):
        return None
    lesson = await loaders.by_id(models.Lesson).load(lesson_id)
    if lesson is None or lesson.group_id != group.id:
        return None
    marks = (await session.execute(
        select(models.Mark, models.MarkValue.label, models.WorkType.name, models.WorkType.weight)
        .join(models.MarkValue, (models.MarkValue.school_id == models.Mark.school_id)
              & (models.MarkValue.id == models.Mark.value_id))
        .join(models.WorkType, (models.WorkType.school_id == models.Mark.school_id)
              & (models.WorkType.id == models.Mark.work_type_id))
        .where(models.Mark.school_id == group.school_id, models.Mark.lesson_id == lesson.id,
               models.Mark.student_id == student_id)
        .order_by(models.Mark.entered_at, models.Mark.id))).all()
    entry = await session.scalar(select(models.Attendance).where(
        models.Attendance.school_id == group.school_id, models.Attendance.lesson_id == lesson.id,
        models.Attendance.student_id == student_id))
    return Cell(
        marks=[CellMark(id=mark.id, label=label, work_type=work_type, weight=float(weight),
                        comment=mark.comment, excluded_from_average=mark.excluded_from_average,
                        entered_at=mark.entered_at, recorded_at=mark.recorded_at,
                        version=mark.version)
               for mark, label, work_type, weight in marks],
        attendance=entry)
