"""Lessons: the list of a group's lessons, and the mutations that plan and fill them in.

Reading follows the journal page (`may_read_journal`); a substitute also sees the lessons they
teach. The writes live in resolvers/lesson_writes.py and resolvers/lesson_generation.py.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db import models
from resolvers.lesson_generation import generate_lessons
from resolvers.lesson_writes import (
    add_lesson,
    cancel_lesson,
    clear_substitution,
    move_lesson,
    set_substitution,
    update_lesson,
)
from schema.ids import from_global_id
from schema.lessons import (
    AddLessonInput,
    CancelLessonInput,
    ClearSubstitutionInput,
    GenerateLessonsInput,
    GenerateLessonsPayload,
    Lesson,
    LessonPayload,
    MoveLessonInput,
    SetSubstitutionInput,
    UpdateLessonInput,
)
from schema.mutations import Input, apply
from schema.permissions import IsAuthenticated
from tenants.errors import DomainError, EntryWarning, Problem, bad_argument
from tenants.rules import may_read_journal

MAX_RANGE_DAYS = 400


async def lessons(
    info: Info,
    group_id: Annotated[strawberry.ID, strawberry.argument(description="The StudyGroup.")],
    from_: Annotated[date, strawberry.argument(name="from",
                                               description="First day (inclusive).")],
    to: Annotated[date, strawberry.argument(description="Last day (inclusive); at most 400 "
                                                        "days after `from`.")],
) -> list[Lesson]:
    try:
        gid = from_global_id(group_id, "StudyGroup", "groupId")
    except DomainError:
        raise bad_argument("groupId", "is not the id of a StudyGroup") from None
    if (to - from_).days > MAX_RANGE_DAYS:
        raise bad_argument("to", f"must be at most {MAX_RANGE_DAYS} days after 'from'")
    access = info.context.access
    group = await info.context.loaders.by_id(models.StudyGroup).load(gid)
    if group is None:
        return []
    m = access.membership(group.school_id)
    substituted = m.substitute_lesson_ids if m is not None else frozenset()
    whole = may_read_journal(access, group.school_id, group.id, group.class_id)
    if not whole and not substituted:
        return []
    stmt = (select(models.Lesson)
            .where(models.Lesson.school_id == group.school_id,
                   models.Lesson.group_id == group.id,
                   models.Lesson.date >= from_, models.Lesson.date <= to)
            .order_by(models.Lesson.date, models.Lesson.lesson_number.asc().nulls_last(),
                      models.Lesson.id))
    if not whole:
        # A substitute reads the lessons they teach, not the group's whole page.
        stmt = stmt.where(models.Lesson.id.in_(substituted))
    return [Lesson.from_model(r) for r in await info.context.session.scalars(stmt)]


def _payload(row: models.Lesson | None, errors: list[Problem],
             warnings: list[EntryWarning] | None = None) -> LessonPayload:
    return LessonPayload(lesson=Lesson.from_model(row) if row else None, errors=errors,
                         warnings=warnings or [])


async def add_lesson_field(info: Info, input: Input[AddLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: add_lesson(info, input)))


async def move_lesson_field(info: Info, input: Input[MoveLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: move_lesson(info, input)))


async def cancel_lesson_field(info: Info, input: Input[CancelLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: cancel_lesson(info, input)))


async def update_lesson_field(info: Info, input: Input[UpdateLessonInput]) -> LessonPayload:
    result, errors = await apply(info, lambda: update_lesson(info, input))
    row, warnings = result if result else (None, [])
    return _payload(row, errors, warnings)


async def set_substitution_field(info: Info, input: Input[SetSubstitutionInput]
                                 ) -> LessonPayload:
    return _payload(*await apply(info, lambda: set_substitution(info, input)))


async def clear_substitution_field(info: Info, input: Input[ClearSubstitutionInput]
                                   ) -> LessonPayload:
    return _payload(*await apply(info, lambda: clear_substitution(info, input)))


async def generate_lessons_field(info: Info, input: Input[GenerateLessonsInput]
                                 ) -> GenerateLessonsPayload:
    counts, errors = await apply(info, lambda: generate_lessons(info, input))
    created, skipped = counts or (0, 0)
    return GenerateLessonsPayload(created=created, skipped=skipped, errors=errors)


@strawberry.type
class LessonsQuery:
    lessons: list[Lesson] = strawberry.field(
        resolver=lessons, permission_classes=[IsAuthenticated],
        description="The lessons of a study group between two days, by date and lesson number. "
                    "For whoever may read the group's journal page (its teachers, the class "
                    "teacher, the administrator); a substitute sees the lessons they teach; "
                    "anyone else gets an empty list.")


@strawberry.type
class LessonsMutation:
    generate_lessons: GenerateLessonsPayload = strawberry.field(
        resolver=generate_lessons_field, permission_classes=[IsAuthenticated],
        description="Create the lessons of a span of dates from the timetable, skipping "
                    "holidays and days outside the academic year; lessons that already exist "
                    "are left alone, so it may be run again (administrator).")
    add_lesson: LessonPayload = strawberry.field(
        resolver=add_lesson_field, permission_classes=[IsAuthenticated],
        description="Add a lesson outside the timetable (the administrator, or a teacher of "
                    "the group).")
    move_lesson: LessonPayload = strawberry.field(
        resolver=move_lesson_field, permission_classes=[IsAuthenticated],
        description="Move a lesson without marks or attendance to another day or lesson number "
                    "(the administrator, or a teacher of the group).")
    cancel_lesson: LessonPayload = strawberry.field(
        resolver=cancel_lesson_field, permission_classes=[IsAuthenticated],
        description="Cancel a lesson that has no marks or attendance (the administrator, or a "
                    "teacher of the group).")
    update_lesson: LessonPayload = strawberry.field(
        resolver=update_lesson_field, permission_classes=[IsAuthenticated],
        description="Fill in a lesson's topic, type and homework (a teacher of the group, the "
                    "substitute of that lesson, the administrator). Late entries are accepted "
                    "with warnings.")
    set_substitution: LessonPayload = strawberry.field(
        resolver=set_substitution_field, permission_classes=[IsAuthenticated],
        description="Record that another teacher teaches a lesson, and why (administrator); "
                    "the substitute may then fill in that lesson only.")
    clear_substitution: LessonPayload = strawberry.field(
        resolver=clear_substitution_field, permission_classes=[IsAuthenticated],
        description="Undo a substitution (administrator).")
