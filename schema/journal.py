"""The journal page (страница журнала): a typed grid of students × lessons, and one cell's detail.

Identity (for normalised caches: Apollo, urql Graphcache, Relay): none of these types has an
`id`. Their values belong to one page (a student's marks and average are of one group and
period), so they are stored inside the page, which the cache keys by its arguments; each
carries the global ids of the objects it shows (`studentId`, `lessonId`, `markIds`…) instead.

Plain data: every field of these types is an attribute, so a page is completed without a
resolver call per field (schema/execution.py); a field with a resolver, or one leading to a
type that has one (a `MarkValue`, a `Node`), would send every row back to graphql-core's
field-by-field path (tests/api/test_plain_execution.py holds this). So values on the page are
their labels, as in `Grade`.

Shaped for the screen (DESIGN.md "Big reads are shaped for their screens"): a student's cells
are two lists of scalars aligned with `lessons`, not an object per cell, so the cost of a page
grows with its students and lessons, not with their product times a handful of fields.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.journal import page as rules
from resolvers.journal.sql import ATTENDANCE_CODES
from schema.ids import query_id, texts_to_global_ids, to_global_id
from schema.lessons import LessonStatusEnum
from schema.permissions import IsAuthenticated


def _gid(type_name: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(to_global_id(type_name, value))


@strawberry.type(description="The study group of a journal page.")
class JournalGroup:
    group_id: strawberry.ID = strawberry.field(description="Global id of the `StudyGroup`.")
    name: str = strawberry.field(description="Display name, e.g. «5А Математика».")


@strawberry.type(description="The reporting period of a journal page (четверть, триместр…).")
class JournalPeriod:
    period_id: strawberry.ID = strawberry.field(description="Global id of the `Period`.")
    name: str = strawberry.field(description="Name, e.g. «1 четверть».")
    starts_on: date = strawberry.field(description="First day of the period.")
    ends_on: date = strawberry.field(description="Last day of the period.")


@strawberry.type(description="The grading system (система оценивания) that applies to the "
                             "group's marks.")
class JournalGradingSystem:
    grading_system_id: strawberry.ID = strawberry.field(
        description="Global id of the `GradingSystem`.")
    name: str = strawberry.field(description="Name, e.g. «Пятибалльная».")
    labels: list[str] = strawberry.field(description="The values a mark may take, lowest "
                                                     "first: the choices of the cell editor.")


@strawberry.type(description="A column of the journal grid: one lesson (урок) of the group in "
                             "the period.")
class JournalLesson:
    lesson_id: strawberry.ID = strawberry.field(description="Global id of the `Lesson`.")
    date: date = strawberry.field(description="The day of the lesson.")
    lesson_number: int | None = strawberry.field(description="Number of the lesson in the day "
                                                             "(номер урока); null: not placed.")
    status: LessonStatusEnum = strawberry.field(description="Scheduled, held or cancelled; a "
                                                            "grid greys cancelled columns.")
    topic: str | None = strawberry.field(description="Topic of the lesson (тема урока).")
    homework: str | None = strawberry.field(description="Homework (домашнее задание).")
    lesson_type: str | None = strawberry.field(description="Name of the lesson type (тип "
                                                           "занятия); null when not set.")
    teacher: str | None = strawberry.field(description="Full name of the teacher who actually "
                                                       "taught the lesson; null when unknown.")
    is_substitution: bool = strawberry.field(description="True when someone other than the "
                                                         "scheduled teacher taught it (замена).")


@strawberry.type(description="A mark for a work with its own date, not given in a lesson.")
class JournalExtraMark:
    mark_id: strawberry.ID = strawberry.field(description="Global id of the `Mark`.")
    work_date: date = strawberry.field(description="The date of the work.")
    label: str = strawberry.field(description="The mark as shown, e.g. «5».")


@strawberry.type(description="A row of the journal grid: a student who was a member of the "
                             "group at some time during the period, with their cells.")
class JournalStudent:
    student_id: strawberry.ID = strawberry.field(description="Global id of the student's "
                                                             "`Person`.")
    full_name: str = strawberry.field(description="«Фамилия Имя Отчество».")
    starts_on: date = strawberry.field(description="First day of the student's membership of "
                                                   "the group (may be before the period).")
    ends_on: date | None = strawberry.field(
        description="Last day of the membership (e.g. a transfer to another group); null while "
                    "the student is still a member. Cells after it belong to another journal.")
    marks: list[str | None] = strawberry.field(
        description="Aligned with `JournalPage.lessons` (index i is lessons[i]): the marks of "
                    "that lesson as labels separated by a space, e.g. «5 4»; null when none. "
                    "Ask `journalCell` for the detail.")
    mark_ids: list[list[strawberry.ID]] = strawberry.field(
        description="Aligned with `marks`: the global ids of each cell's marks (type `Mark`), "
                    "in the order of its labels; empty when none. A front end edits or deletes "
                    "a cell's mark with them, without another query.")
    attendance: list[str | None] = strawberry.field(
        description="Aligned with `JournalPage.lessons`: «н» absent, «б» ill, «у» excused, "
                    "«оп» late; null when present (or nothing recorded).")
    extra_marks: list[JournalExtraMark] = strawberry.field(
        description="Marks of the period for works with their own date (not in a lesson), by "
                    "date.")
    average: float | None = strawberry.field(
        description="The student's weighted average of the period (средний балл) in the "
                    "numbers of the page's grading system: the marks not excluded from the "
                    "average, each weighted by its work type and counted by its number in the "
                    "system (a mark of another system, or without a number of its own such as "
                    "«зачёт», by its point on the 0–100 axis); Σ weight × number / Σ weight, "
                    "two decimals half up. Null without marks or for a system without numbers. "
                    "The same rule and figure as `averageExplanation.average`, which shows "
                    "why, mark by mark.")
    suggested_value: str | None = strawberry.field(
        description="The suggested period grade, the label of a value of the page's grading "
                    "system (as `Grade.suggestedValue`): "
                    "`average` rounded at the school's rounding threshold, or in a system "
                    "without numbers the value whose range holds the average on the 0–100 "
                    "axis. Null without counted marks or without a grading system. The same "
                    "as `averageExplanation.suggestedValue`, which explains the rounding.")
    period_grade: str | None = strawberry.field(
        description="The period grade (оценка за период) when set: its label, or «н/а» (not "
                    "attested), «осв.» (exempt), «отсрочка» (deferred); null when not set.")


@strawberry.type(description="A page of the class journal (журнал): a group's lessons in a "
                             "period as columns and its students as rows. Everything a grid "
                             "needs in one query; `journalCell` gives the detail of one cell.")
class JournalPage:
    group: JournalGroup = strawberry.field(description="The study group.")
    period: JournalPeriod = strawberry.field(description="The reporting period.")
    without_marks: bool = strawberry.field(
        description="True when the group is taught without marks (безотметочное обучение, "
                    "`teachingWithoutMarks`): its journal takes topics, attendance and "
                    "comments, and refuses marks and period grades, so a front end hides mark "
                    "entry.")
    grading_system: JournalGradingSystem | None = strawberry.field(
        description="The grading system of the group's marks; null when the school configured "
                    "none.")
    lessons: list[JournalLesson] = strawberry.field(
        description="The group's lessons inside the period, by date and lesson number; "
                    "cancelled lessons included (see `status`).")
    students: list[JournalStudent] = strawberry.field(
        description="The students who were members during the period, by name.")


@strawberry.type(description="One mark of a journal cell, with what the editor needs.")
class JournalCellMark:
    mark_id: strawberry.ID = strawberry.field(description="Global id of the `Mark`.")
    label: str = strawberry.field(description="The mark as shown, e.g. «5».")
    work_type: str = strawberry.field(description="Name of the work type (вид работы).")
    weight: float = strawberry.field(description="Weight of the work type in averages.")
    comment: str | None = strawberry.field(description="The teacher's comment.")
    excluded_from_average: bool = strawberry.field(description="True when the mark does not "
                                                               "count in the average.")
    entered_at: datetime = strawberry.field(description="When the server stored the mark.")
    recorded_at: datetime | None = strawberry.field(
        description="When the teacher recorded it (e.g. offline in class), if given.")
    version: int = strawberry.field(description="Current version; send it as "
                                                "`expectedVersion` when changing the mark.")


@strawberry.type(description="The attendance entry of a journal cell (absence or lateness).")
class JournalCellAttendance:
    attendance_entry_id: strawberry.ID = strawberry.field(
        description="Global id of the attendance entry (`AttendanceEntry`).")
    code: str = strawberry.field(description="«н» absent, «б» ill, «у» excused, «оп» late.")
    late_minutes: int | None = strawberry.field(description="Minutes late, for «оп».")
    entered_at: datetime = strawberry.field(description="When the server stored the entry.")
    recorded_at: datetime | None = strawberry.field(
        description="When the teacher recorded it (e.g. offline in class), if given.")
    version: int = strawberry.field(description="Current version; send it as "
                                                "`expectedVersion` when changing the entry.")


@strawberry.type(description="The detail of one journal cell: a student's marks and attendance "
                             "at one lesson.")
class JournalCell:
    lesson_id: strawberry.ID = strawberry.field(description="Global id of the `Lesson`.")
    student_id: strawberry.ID = strawberry.field(description="Global id of the student's "
                                                             "`Person`.")
    marks: list[JournalCellMark] = strawberry.field(description="The marks, in the order they "
                                                                "were entered.")
    attendance: JournalCellAttendance | None = strawberry.field(
        description="The absence or lateness; null when the student was present.")


# The page's rows (resolvers/journal/page.py) as GraphQL objects: one object per lesson, student
# and extra mark, the cells passed on as the lists they are.


def _lesson(x: rules.PageLesson) -> JournalLesson:
    return JournalLesson(
        lesson_id=_gid("Lesson", x.id), date=x.date, lesson_number=x.lesson_number, status=x.status,
        topic=x.topic, homework=x.homework, lesson_type=x.lesson_type, teacher=x.teacher,
        is_substitution=x.is_substitution)


def _student(x: rules.PageStudent) -> JournalStudent:
    return JournalStudent(
        student_id=_gid("Person", x.id), full_name=x.full_name, starts_on=x.starts_on,
        ends_on=x.ends_on, marks=x.marks, attendance=x.attendance,
        mark_ids=texts_to_global_ids("Mark", x.mark_ids),  # type: ignore[arg-type]
        extra_marks=[JournalExtraMark(mark_id=_gid("Mark", m.id), work_date=m.work_date,
                                      label=m.label) for m in x.extra_marks],
        average=x.average, suggested_value=x.suggested and x.suggested.label,
        period_grade=x.period_grade)


def _page(page: rules.Page) -> JournalPage:
    period, system = page.period, page.grading_system
    return JournalPage(
        group=JournalGroup(group_id=_gid("StudyGroup", page.group_id), name=page.group_name),
        without_marks=page.without_marks,
        period=JournalPeriod(period_id=_gid("Period", period.id), name=period.name,
                             starts_on=period.starts_on, ends_on=period.ends_on),
        grading_system=JournalGradingSystem(
            grading_system_id=_gid("GradingSystem", system.id), name=system.name,
            labels=system.labels)
        if system else None,
        lessons=[_lesson(x) for x in page.lessons],
        students=[_student(x) for x in page.students],
    )


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
    assert group_uuid and period_uuid
    ctx = info.context
    page = await rules.journal_page(ctx.session, ctx.access, ctx.loaders, group_id=group_uuid,
                                    period_id=period_uuid, target_system_id=target_uuid)
    return _page(page) if page else None


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
    ctx = info.context
    cell = await rules.journal_cell(ctx.session, ctx.access, ctx.loaders, group_id=group_uuid,
                                    lesson_id=lesson_uuid, student_id=student_uuid)
    if cell is None:
        return None
    entry = cell.attendance
    return JournalCell(
        lesson_id=lesson_id, student_id=student_id,
        marks=[JournalCellMark(
            mark_id=_gid("Mark", m.id), label=m.label, work_type=m.work_type, weight=m.weight,
            comment=m.comment, excluded_from_average=m.excluded_from_average,
            entered_at=m.entered_at, recorded_at=m.recorded_at, version=m.version)
            for m in cell.marks],
        attendance=JournalCellAttendance(
            attendance_entry_id=_gid("AttendanceEntry", entry.id),
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
