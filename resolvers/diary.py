"""Reading a student's diary: days → lessons with subject, teacher, homework, marks, attendance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db.models import LessonStatus, Person
from resolvers.diary_sql import DIARY_DATA
from schema.diary import (
    Diary,
    DiaryDay,
    DiaryHomework,
    DiaryLesson,
    DiaryMark,
    DiaryWorkMark,
)
from schema.ids import query_id, to_global_id
from schema.permissions import IsAuthenticated
from tenants.errors import bad_argument
from tenants.rules import reads_only_aggregates
from tenants.visibility import person_filter

MAX_DAYS = 31


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lesson(row: list[Any]) -> DiaryLesson:
    (_, lesson_id, number, status, subject, teacher, topic, homework, links, due_on, marks,
     attendance, late_minutes) = row
    return DiaryLesson(
        lesson_id=strawberry.ID(to_global_id("Lesson", lesson_id)), lesson_number=number,
        status=LessonStatus(status), subject=subject, teacher=teacher, topic=topic,
        homework=homework,
        homework_links=[str(x) for x in links or []], homework_due_on=_day(due_on),
        marks=[DiaryMark(label=label, work_type=work_type, comment=comment)
               for label, work_type, comment in marks],
        attendance=attendance, late_minutes=late_minutes)


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
    if to < from_:
        raise bad_argument("to", "must not be before 'from'")
    if (to - from_).days >= MAX_DAYS:
        raise bad_argument("to", f"must be at most {MAX_DAYS} days from 'from' (inclusive)")
    if reads_only_aggregates(info.context.access):
        return None  # no diary is theirs, and the officer role may not run the statement
    # The student's records: visible as their person is, but not merely for being staff.
    student = (select(Person.id, Person.last_name, Person.first_name, Person.middle_name)
               .where(Person.id == student_uuid, person_filter(info.context.access, staff=False))
               .subquery("student"))
    data = DIARY_DATA.bindparams(student_id=student_uuid, day_from=from_, day_to=to)
    row = (await info.context.session.execute(
        select(student.c.last_name, student.c.first_name, student.c.middle_name, data)
    )).one_or_none()
    if row is None:
        return None
    lessons, due, works = row[3]
    days: dict[date, DiaryDay] = {}
    day = from_
    while day <= to:
        days[day] = DiaryDay(date=day, lessons=[], homework_due=[], work_marks=[])
        day += timedelta(days=1)
    for r in lessons:
        days[date.fromisoformat(r[0])].lessons.append(_lesson(r))
    for due_on, subject, homework, links, assigned_on in due:
        days[date.fromisoformat(due_on)].homework_due.append(DiaryHomework(
            subject=subject, homework=homework, homework_links=[str(x) for x in links or []],
            assigned_on=date.fromisoformat(assigned_on)))
    for work_date, subject, label, work_type, comment in works:
        days[date.fromisoformat(work_date)].work_marks.append(DiaryWorkMark(
            subject=subject, label=label, work_type=work_type, comment=comment))
    return Diary(student_id=student_id,
                 student_name=" ".join(p for p in row[:3] if p),
                 days=list(days.values()))


@strawberry.type
class DiaryQuery:
    diary: Diary | None = strawberry.field(
        resolver=diary, permission_classes=[IsAuthenticated],
        description="A student's diary (дневник) for at most 31 days: each day's lessons in "
                    "the groups the student was a member of that day, with homework, marks and "
                    "attendance. For the student, their guardians, their teachers, their class "
                    "teacher and administrators; null for anyone else, as for a student that "
                    "does not exist.")
