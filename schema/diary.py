"""The student's diary (электронный дневник): days → lessons with homework, marks, attendance."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.diary import week as rules
from resolvers.diary.week import MAX_DAYS
from schema.ids import query_id, to_global_id
from schema.lessons import LessonStatusEnum
from schema.permissions import IsAuthenticated


@strawberry.type(description="A mark as the diary shows it.")
class DiaryMark:
    label: str = strawberry.field(description="The mark as shown, e.g. «5».")
    work_type: str = strawberry.field(description="Name of the work type (вид работы).")
    comment: str | None = strawberry.field(description="The teacher's comment.")


@strawberry.type(description="A mark for a work with its own date (not given in a lesson).")
class DiaryWorkMark:
    subject: str = strawberry.field(description="Name of the subject (предмет).")
    label: str = strawberry.field(description="The mark as shown, e.g. «5».")
    work_type: str = strawberry.field(description="Name of the work type (вид работы).")
    comment: str | None = strawberry.field(description="The teacher's comment.")


@strawberry.type(description="A lesson of the student's day.")
class DiaryLesson:
    lesson_id: strawberry.ID = strawberry.field(description="Global id of the `Lesson`.")
    lesson_number: int | None = strawberry.field(description="Number of the lesson in the day "
                                                             "(номер урока); null: not placed.")
    status: LessonStatusEnum = strawberry.field(description="Scheduled, held or cancelled.")
    subject: str = strawberry.field(description="Name of the subject (предмет).")
    teacher: str | None = strawberry.field(description="Full name of the teacher who teaches "
                                                       "it (the substitute during a "
                                                       "substitution); null when unknown.")
    topic: str | None = strawberry.field(description="Topic of the lesson (тема урока).")
    homework: str | None = strawberry.field(description="Homework given at this lesson "
                                                        "(домашнее задание).")
    homework_links: list[str] = strawberry.field(description="Links that go with the homework.")
    homework_due_on: date | None = strawberry.field(description="When the homework is due.")
    marks: list[DiaryMark] = strawberry.field(description="The student's marks at this lesson, "
                                                          "in the order they were entered.")
    attendance: str | None = strawberry.field(
        description="«н» absent, «б» ill, «у» excused, «оп» late; null when present.")
    late_minutes: int | None = strawberry.field(description="Minutes late, for «оп».")


@strawberry.type(description="Homework due on a day, given at an earlier lesson.")
class DiaryHomework:
    subject: str = strawberry.field(description="Name of the subject (предмет).")
    homework: str = strawberry.field(description="The homework text.")
    homework_links: list[str] = strawberry.field(description="Links that go with the homework.")
    assigned_on: date = strawberry.field(description="The day of the lesson it was given at.")


@strawberry.type(description="A day of the diary.")
class DiaryDay:
    date: date = strawberry.field(description="The day.")
    lessons: list[DiaryLesson] = strawberry.field(
        description="The student's lessons of the day in the groups they were a member of on "
                    "that day, by lesson number.")
    homework_due: list[DiaryHomework] = strawberry.field(
        description="Homework due this day (whenever it was given), by subject.")
    work_marks: list[DiaryWorkMark] = strawberry.field(
        description="Marks for works dated this day that were not given in a lesson.")


@strawberry.type(description="A student's diary (дневник) for a span of days.")
class Diary:
    student_id: strawberry.ID = strawberry.field(description="Global id of the student's "
                                                             "`Person`.")
    student_name: str = strawberry.field(description="The student's full name.")
    days: list[DiaryDay] = strawberry.field(description="Every day from `from` to `to`, in "
                                                        "order, including days without "
                                                        "lessons.")


def _lesson(x: rules.DayLesson) -> DiaryLesson:
    return DiaryLesson(
        lesson_id=strawberry.ID(to_global_id("Lesson", x.lesson_id)),
        lesson_number=x.lesson_number, status=x.status, subject=x.subject, teacher=x.teacher,
        topic=x.topic, homework=x.homework, homework_links=x.homework_links,
        homework_due_on=x.homework_due_on,
        marks=[DiaryMark(label=m.label, work_type=m.work_type, comment=m.comment)
               for m in x.marks],
        attendance=x.attendance, late_minutes=x.late_minutes)


def _day(x: rules.Day) -> DiaryDay:
    return DiaryDay(
        date=x.date, lessons=[_lesson(lesson) for lesson in x.lessons],
        homework_due=[DiaryHomework(subject=h.subject, homework=h.homework,
                                    homework_links=h.homework_links, assigned_on=h.assigned_on)
                      for h in x.homework_due],
        work_marks=[DiaryWorkMark(subject=m.subject, label=m.label, work_type=m.work_type,
                                  comment=m.comment) for m in x.work_marks])


async def diary(
    info: Info,
    *,
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
    from_: Annotated[date, strawberry.argument(
        name="from", description="First day (inclusive).")],
    to: Annotated[date, strawberry.argument(
        description=f"Last day (inclusive); at most {MAX_DAYS} days from `from`.")],
) -> Diary | None:
    student_uuid = query_id(student_id, "Person", "studentId")
    assert student_uuid is not None
    found = await rules.diary(info.context.session, info.context.access,
                              student_id=student_uuid, day_from=from_, day_to=to)
    if found is None:
        return None
    return Diary(student_id=student_id, student_name=found.student_name,
                 days=[_day(d) for d in found.days])


@strawberry.type
class DiaryQuery:
    diary: Diary | None = strawberry.field(
        resolver=diary, permission_classes=[IsAuthenticated],
        description="A student's diary (дневник) for at most 31 days: each day's lessons in "
                    "the groups the student was a member of that day, with homework, marks and "
                    "attendance. For the student, their guardians, their teachers, their class "
                    "teacher and administrators; null for anyone else, as for a student that "
                    "does not exist.")
