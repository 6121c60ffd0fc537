"""Live diary events (`diaryEvents`): what changed in a student's diary, as it happens."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from schema.lessons import LessonStatusEnum
from schema.marks import AttendanceKindEnum


@strawberry.enum(description="What a diary event is about.")
class DiaryEventKind(enum.Enum):
    MARK = strawberry.enum_value("mark", description="A mark (отметка).")
    ATTENDANCE = strawberry.enum_value("attendance", description="An attendance entry "
                                                                 "(посещаемость).")
    LESSON = strawberry.enum_value("lesson", description="A lesson's topic, homework or status.")


@strawberry.enum(description="What happened to the object of a diary event.")
class DiaryEventOp(enum.Enum):
    CREATED = strawberry.enum_value("insert", description="It was created.")
    UPDATED = strawberry.enum_value("update", description="It was changed.")
    DELETED = strawberry.enum_value("delete", description="It was removed; no details follow.")


@strawberry.type(description="The mark of a mark event, as it is now.")
class DiaryEventMark:
    label: str = strawberry.field(description="The mark as written, e.g. «5».")
    work_type_name: str = strawberry.field(description="The kind of work (вид работы).")
    work_date: date = strawberry.field(description="The day of the work.")
    subject_name: str = strawberry.field(description="The subject (предмет).")
    comment: str | None = strawberry.field(description="The teacher's comment, if any.")


@strawberry.type(description="The attendance entry of an attendance event, as it is now.")
class DiaryEventAttendance:
    kind: AttendanceKindEnum = strawberry.field(description="Absent, ill, excused or late.")
    late_minutes: int | None = strawberry.field(description="With LATE: minutes late.")


@strawberry.type(description="The lesson of a lesson event, as it is now.")
class DiaryEventLesson:
    date: date = strawberry.field(description="The lesson's day.")
    subject_name: str = strawberry.field(description="The subject (предмет).")
    status: LessonStatusEnum = strawberry.field(description="Scheduled, held or cancelled.")
    topic: str | None = strawberry.field(description="The lesson's topic (тема урока).")
    homework: str | None = strawberry.field(description="The homework (домашнее задание).")
    homework_links: list[str] = strawberry.field(description="Links that go with the homework.")
    homework_due_on: date | None = strawberry.field(description="When the homework is due.")


@strawberry.type(description="A change in a student's diary: a new or changed mark or "
                             "attendance entry, or a lesson's new homework or topic. The detail "
                             "field of its kind is set unless the object was deleted.")
class DiaryEvent:
    kind: DiaryEventKind = strawberry.field(description="What the event is about.")
    op: DiaryEventOp = strawberry.field(description="What happened to it.")
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id).")
    lesson_id: strawberry.ID | None = strawberry.field(
        description="The lesson concerned (a Lesson id); null for a mark of a work with its "
                    "own date.")
    entity_id: strawberry.ID = strawberry.field(
        description="The object that changed: a Mark, AttendanceEntry or Lesson id.")
    occurred_at: datetime = strawberry.field(
        description="When the server heard of the change (just after it was committed).")
    mark: DiaryEventMark | None = strawberry.field(description="With MARK: the mark.")
    attendance: DiaryEventAttendance | None = strawberry.field(
        description="With ATTENDANCE: the entry.")
    lesson: DiaryEventLesson | None = strawberry.field(description="With LESSON: the lesson.")
