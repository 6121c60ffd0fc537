"""The journal page (страница журнала): a typed grid of students × lessons, and one cell's detail.

Shaped for the screen (DESIGN.md "Big reads are shaped for their screens"): a student's cells
are two lists of scalars aligned with `lessons`, not an object per cell, so the cost of a page
grows with its students and lessons, not with their product times a handful of fields.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.lessons import LessonStatusEnum


@strawberry.type(description="The study group of a journal page.")
class JournalGroup:
    id: strawberry.ID = strawberry.field(description="Global id of the `StudyGroup`.")
    name: str = strawberry.field(description="Display name, e.g. «5А Математика».")


@strawberry.type(description="The reporting period of a journal page (четверть, триместр…).")
class JournalPeriod:
    id: strawberry.ID = strawberry.field(description="Global id of the `Period`.")
    name: str = strawberry.field(description="Name, e.g. «1 четверть».")
    starts_on: date = strawberry.field(description="First day of the period.")
    ends_on: date = strawberry.field(description="Last day of the period.")


@strawberry.type(description="The grading system (система оценивания) that applies to the "
                             "group's marks.")
class JournalGradingSystem:
    id: strawberry.ID = strawberry.field(description="Global id of the `GradingSystem`.")
    name: str = strawberry.field(description="Name, e.g. «Пятибалльная».")
    labels: list[str] = strawberry.field(description="The values a mark may take, lowest "
                                                     "first: the choices of the cell editor.")


@strawberry.type(description="A column of the journal grid: one lesson (урок) of the group in "
                             "the period.")
class JournalLesson:
    id: strawberry.ID = strawberry.field(description="Global id of the `Lesson`.")
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
    id: strawberry.ID = strawberry.field(description="Global id of the `Mark`.")
    work_date: date = strawberry.field(description="The date of the work.")
    label: str = strawberry.field(description="The mark as shown, e.g. «5».")


@strawberry.type(description="A row of the journal grid: a student who was a member of the "
                             "group at some time during the period, with their cells.")
class JournalStudent:
    id: strawberry.ID = strawberry.field(description="Global id of the student's `Person`.")
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
    attendance: list[str | None] = strawberry.field(
        description="Aligned with `JournalPage.lessons`: «н» absent, «б» ill, «у» excused, "
                    "«оп» late; null when present (or nothing recorded).")
    extra_marks: list[JournalExtraMark] = strawberry.field(
        description="Marks of the period for works with their own date (not in a lesson), by "
                    "date.")
    average: float | None = strawberry.field(
        description="Weighted average of the period's marks (weights of the work types; marks "
                    "excluded from the average and marks without a numeric value left out), "
                    "rounded to 2 places; null when there is none.")
    period_grade: str | None = strawberry.field(
        description="The period grade (оценка за период) when set: its label, or «н/а» (not "
                    "attested), «осв.» (exempt), «отсрочка» (deferred); null when not set.")


@strawberry.type(description="A page of the class journal (журнал): a group's lessons in a "
                             "period as columns and its students as rows. Everything a grid "
                             "needs in one query; `journalCell` gives the detail of one cell.")
class JournalPage:
    group: JournalGroup = strawberry.field(description="The study group.")
    period: JournalPeriod = strawberry.field(description="The reporting period.")
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
    id: strawberry.ID = strawberry.field(description="Global id of the `Mark`.")
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
    id: strawberry.ID = strawberry.field(description="Global id of the `AttendanceEntry`.")
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
