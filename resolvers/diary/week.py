"""Reading a student's diary: days → lessons with subject, teacher, homework, marks, attendance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LessonStatus, Person
from resolvers.diary.sql import DIARY_DATA
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import reads_only_aggregates
from tenants.visibility import person_filter

MAX_DAYS = 31

# The diary as plain rows; schema/diary.py gives them global ids and GraphQL types. Not frozen:
# a frozen dataclass pays a setattr per field, and a month's diary builds hundreds of rows.


@dataclass(slots=True)
class DayMark:
    label: str
    work_type: str
    comment: str | None


@dataclass(slots=True)
class WorkMark:
    subject: str
    label: str
    work_type: str
    comment: str | None


@dataclass(slots=True)
class DayLesson:
    lesson_id: uuid.UUID
    lesson_number: int | None
    status: LessonStatus
    subject: str
    teacher: str | None
    topic: str | None
    homework: str | None
    homework_links: list[str]
    homework_due_on: date | None
    marks: list[DayMark]
    attendance: str | None
    late_minutes: int | None


@dataclass(slots=True)
class DueHomework:
    subject: str
    homework: str
    homework_links: list[str]
    assigned_on: date


@dataclass(slots=True)
class Day:
    date: date
    lessons: list[DayLesson] = field(default_factory=list)
    homework_due: list[DueHomework] = field(default_factory=list)
    work_marks: list[WorkMark] = field(default_factory=list)


@dataclass(slots=True)
class StudentDiary:
    student_id: uuid.UUID
    student_name: str
    days: list[Day]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lesson(row: list[Any]) -> DayLesson:
    (_, lesson_id, number, status, subject, teacher, topic, homework, links, due_on, marks,
     attendance, late_minutes) = row
    return DayLesson(
        lesson_id=uuid.UUID(lesson_id), lesson_number=number,
        status=LessonStatus(status), subject=subject, teacher=teacher, topic=topic,
        homework=homework,
        homework_links=[str(x) for x in links or []], homework_due_on=_day(due_on),
        marks=[DayMark(label=label, work_type=work_type, comment=comment)
               for label, work_type, comment in marks],
        attendance=attendance, late_minutes=late_minutes)


async def diary(session: AsyncSession, access: AccessContext, *, student_id: uuid.UUID,
                day_from: date, day_to: date) -> StudentDiary | None:
    """The student's days from `day_from` to `day_to`, every day present; None when the
    viewer may not read the student's diary or the student does not exist."""
    if day_to < day_from:
        raise bad_argument("to", "must not be before 'from'")
    if (day_to - day_from).days >= MAX_DAYS:
        raise bad_argument("to", f"must be at most {MAX_DAYS} days from 'from' (inclusive)")
    if reads_only_aggregates(access):
        return None  # no diary is theirs, and the officer role may not run the statement
    # The student's records: visible as their person is, but not merely for being staff.
    student = (select(Person.id, Person.last_name, Person.first_name, Person.middle_name)
               .where(Person.id == student_id, person_filter(access, staff=False))
               .subquery("student"))
    data = DIARY_DATA.bindparams(student_id=student_id, day_from=day_from, day_to=day_to)
    row = (await session.execute(
        select(student.c.last_name, student.c.first_name, student.c.middle_name, data)
    )).one_or_none()
    if row is None:
        return None
    lessons, due, works = row[3]
    days: dict[date, Day] = {}
    day = day_from
    while day <= day_to:
        days[day] = Day(date=day)
        day += timedelta(days=1)
    for r in lessons:
        days[date.fromisoformat(r[0])].lessons.append(_lesson(r))
    for due_on, subject, homework, links, assigned_on in due:
        days[date.fromisoformat(due_on)].homework_due.append(DueHomework(
            subject=subject, homework=homework, homework_links=[str(x) for x in links or []],
            assigned_on=date.fromisoformat(assigned_on)))
    for work_date, subject, label, work_type, comment in works:
        days[date.fromisoformat(work_date)].work_marks.append(WorkMark(
            subject=subject, label=label, work_type=work_type, comment=comment))
    return StudentDiary(student_id=student_id,
                 student_name=" ".join(p for p in row[:3] if p),
                 days=list(days.values()))
