"""Reading the journal: a group's page for a period as a typed grid, and one cell's detail."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db import models
from resolvers.averages import cents
from resolvers.conversion import (
    Scale,
    ScaleValue,
    convert,
    load_scales,
    load_tables,
    numeric_equivalent,
)
from resolvers.journal_sql import ATTENDANCE_CODES, GRADE_STATE_LABELS, JOURNAL_PAGE
from schema.ids import query_id, to_global_id
from schema.journal import (
    JournalCell,
    JournalCellAttendance,
    JournalCellMark,
    JournalExtraMark,
    JournalGradingSystem,
    JournalGroup,
    JournalLesson,
    JournalPage,
    JournalPeriod,
    JournalStudent,
)
from schema.permissions import IsAuthenticated
from tenants.errors import bad_argument
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


async def label_map(info: Info, source: Scale, target_id: uuid.UUID, on: date
                    ) -> tuple[Scale, dict[str, str]] | None:
    """How each label of the group's system reads in the target system on `on` (pinned
    table or the axis: resolvers/conversion.py); None when the target is not the school's."""
    loaders = info.context.loaders
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


def weighted_average(marks: Iterable[Sequence[Any]], scale: Scale | None) -> float | None:
    """The journal's average, by the rule of resolvers/averages.py: each counted mark's
    number in the group's system (its own number, or its axis point read on the system's
    scale when the mark is in another system), weighted by work type, two decimals half up.
    None without marks or for a system without numbers."""
    if scale is None or not scale.is_numeric:
        return None
    total = weights = Decimal(0)
    for number, weight, point, system_id in marks:
        w = Decimal(str(weight))
        if str(system_id) == str(scale.id) and number is not None:
            n = Decimal(str(number))
        else:
            equivalent = numeric_equivalent(scale, Decimal(str(point)))
            if equivalent is None:
                continue
            n = equivalent
        total += n * w
        weights += w
    return float(cents(total / weights)) if weights else None


def period_grade_label(state: str | None, label: str | None) -> str | None:
    if state is None:
        return None
    if state == models.GradeState.GRADED:
        return label
    return GRADE_STATE_LABELS[models.GradeState(state)]


def _lesson(row: list[Any]) -> JournalLesson:
    lesson_id, day, number, status, topic, homework, lesson_type, teacher, substitution = row
    return JournalLesson(
        id=strawberry.ID(to_global_id("Lesson", lesson_id)), date=date.fromisoformat(day),
        lesson_number=number, status=models.LessonStatus(status), topic=topic,
        homework=homework, lesson_type=lesson_type, teacher=teacher,
        is_substitution=substitution)


def _student(row: list[Any], scale: Scale | None, labels: dict[str, str] | None
             ) -> JournalStudent:
    (student_id, full_name, starts_on, ends_on, marks, attendance, extra, pairs, grade_state,
     grade_label) = row
    return JournalStudent(
        id=strawberry.ID(to_global_id("Person", student_id)), full_name=full_name,
        starts_on=date.fromisoformat(starts_on),
        ends_on=date.fromisoformat(ends_on) if ends_on else None,
        marks=relabel(marks, labels) if labels else marks, attendance=attendance,
        extra_marks=[JournalExtraMark(id=strawberry.ID(to_global_id("Mark", mark_id)),
                                      work_date=date.fromisoformat(day),
                                      label=labels.get(label, label) if labels else label)
                     for mark_id, day, label in extra],
        average=weighted_average(pairs or (), scale),
        period_grade=period_grade_label(
            grade_state, labels.get(grade_label, grade_label) if labels and grade_label
            else grade_label))


async def journal(
    info: Info,
    *,
    group_id: Annotated[strawberry.ID, strawberry.argument(
        description="The study group (global id of a `StudyGroup`).")],
    period_id: Annotated[strawberry.ID, strawberry.argument(
        description="The reporting period (global id of a `Period` of the group's academic "
                    "year).")],
    in_: Annotated[strawberry.ID | None, strawberry.argument(
        name="in", description="Read every mark, average and period grade in this grading "
                               "system of the school (global id of a `GradingSystem`); the "
                               "conversion uses tables valid on the period's last day.")] = None,
) -> JournalPage | None:
    group_uuid = query_id(group_id, "StudyGroup", "groupId")
    period_uuid = query_id(period_id, "Period", "periodId")
    target_uuid = query_id(in_, "GradingSystem", "in") if in_ is not None else None
    if reads_only_aggregates(info.context.access):
        return None  # no journal is theirs, and the officer role may not run the statement
    row = (await info.context.session.execute(
        JOURNAL_PAGE, {"group_id": group_uuid, "period_id": period_uuid})).one_or_none()
    if (row is None or row.period is None
            or not may_read_journal(info.context.access, row.school_id, row.id, row.class_id)):
        return None
    period, system = row.period, row.grading_system
    scale = page_scale(system)
    labels: dict[str, str] | None = None
    if target_uuid is not None and scale is not None and target_uuid != scale.id:
        converted = await label_map(info, scale, target_uuid,
                                    date.fromisoformat(period["ends_on"]))
        if converted is None:
            raise bad_argument("in", "is not a grading system of the group's school")
        scale, labels = converted
        system = {"id": str(scale.id), "name": scale.name,
                  "labels": [v.label for v in scale.values]}
    return JournalPage(
        group=JournalGroup(id=strawberry.ID(to_global_id("StudyGroup", row.id)), name=row.name),
        period=JournalPeriod(id=strawberry.ID(to_global_id("Period", period["id"])),
                             name=period["name"],
                             starts_on=date.fromisoformat(period["starts_on"]),
                             ends_on=date.fromisoformat(period["ends_on"])),
        grading_system=JournalGradingSystem(
            id=strawberry.ID(to_global_id("GradingSystem", system["id"])), name=system["name"],
            labels=system["labels"] or []) if system else None,
        lessons=[_lesson(r) for r in row.lessons],
        students=[_student(r, scale, labels) for r in row.students],
    )


async def journal_cell(
    info: Info,
    *,
    group_id: Annotated[strawberry.ID, strawberry.argument(
        description="The study group of the journal page (global id of a `StudyGroup`).")],
    lesson_id: Annotated[strawberry.ID, strawberry.argument(
        description="The lesson (column) of the cell (global id of a `Lesson` of the group).")],
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (row) of the cell (global id of a `Person`).")],
) -> JournalCell | None:
    group_uuid = query_id(group_id, "StudyGroup", "groupId")
    lesson_uuid = query_id(lesson_id, "Lesson", "lessonId")
    student_uuid = query_id(student_id, "Person", "studentId")
    assert group_uuid and lesson_uuid and student_uuid
    loaders, session = info.context.loaders, info.context.session
    group = await loaders.by_id(models.StudyGroup).load(group_uuid)
    if group is None or not may_read_journal(info.context.access, group.school_id, group.id,
                                             group.class_id):
        return None
    lesson = await loaders.by_id(models.Lesson).load(lesson_uuid)
    if lesson is None or lesson.group_id != group.id:
        return None
    marks = (await session.execute(
        select(models.Mark, models.MarkValue.label, models.WorkType.name, models.WorkType.weight)
        .join(models.MarkValue, (models.MarkValue.school_id == models.Mark.school_id)
              & (models.MarkValue.id == models.Mark.value_id))
        .join(models.WorkType, (models.WorkType.school_id == models.Mark.school_id)
              & (models.WorkType.id == models.Mark.work_type_id))
        .where(models.Mark.school_id == group.school_id, models.Mark.lesson_id == lesson.id,
               models.Mark.student_id == student_uuid)
        .order_by(models.Mark.entered_at, models.Mark.id))).all()
    entry = await session.scalar(select(models.Attendance).where(
        models.Attendance.school_id == group.school_id, models.Attendance.lesson_id == lesson.id,
        models.Attendance.student_id == student_uuid))
    return JournalCell(
        lesson_id=lesson_id, student_id=student_id,
        marks=[JournalCellMark(
            id=strawberry.ID(to_global_id("Mark", mark.id)), label=label, work_type=work_type,
            weight=float(weight), comment=mark.comment,
            excluded_from_average=mark.excluded_from_average, entered_at=mark.entered_at,
            recorded_at=mark.recorded_at, version=mark.version)
            for mark, label, work_type, weight in marks],
        attendance=JournalCellAttendance(
            id=strawberry.ID(to_global_id("AttendanceEntry", entry.id)),
            code=ATTENDANCE_CODES[entry.kind], late_minutes=entry.late_minutes,
            entered_at=entry.entered_at, recorded_at=entry.recorded_at,
            version=entry.version) if entry else None,
    )


@strawberry.type
class JournalQuery:
    journal: JournalPage | None = strawberry.field(
        resolver=journal, permission_classes=[IsAuthenticated],
        description="A page of the class journal: the group's lessons in the period, the "
                    "students who were members during it (with their dates), every mark and "
                    "attendance entry as a grid, averages and period grades. For the group's "
                    "teachers, the class teacher of its class and administrators; null for "
                    "anyone else, as for a group or period that does not exist.")
    journal_cell: JournalCell | None = strawberry.field(
        resolver=journal_cell, permission_classes=[IsAuthenticated],
        description="The detail of one journal cell (a student at a lesson): each mark with its "
                    "work type, comment, times and version, and the attendance entry. Null when "
                    "the journal is not readable or the lesson is not the group's.")
