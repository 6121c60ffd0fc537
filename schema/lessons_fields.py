"""The fields of lessons: the list of a group's lessons and the mutations that plan and fill
them in, which resolvers/lessons/queries.py, lesson_writes.py and lesson_generation.py carry out."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

import strawberry
from strawberry.types import Info

from db import models
from resolvers.lessons.generation import generate_lessons
from resolvers.lessons.queries import check_range, group_lessons
from resolvers.lessons.writes import (
    LessonChanges,
    add_lesson,
    cancel_lesson,
    clear_substitution,
    move_lesson,
    set_substitution,
    update_lesson,
)
from schema.ids import from_global_id, query_id, to_global_id
from schema.input_ids import decoded
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
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import admin_school_by_global_id
from tenants.errors import EntryWarning, Problem


async def lessons(
    info: Info,
    group_id: Annotated[strawberry.ID, strawberry.argument(description="The StudyGroup.")],
    from_: Annotated[date, strawberry.argument(name="from",
                                               description="First day (inclusive).")],
    to: Annotated[date, strawberry.argument(description="Last day (inclusive); at most 400 "
                                                        "days after `from`.")],
) -> list[Lesson]:
    gid = query_id(group_id, "StudyGroup", "groupId")
    check_range(from_, to)
    group = await info.context.loaders.by_id(models.StudyGroup).load(gid)
    rows = await group_lessons(info.context.session, info.context.access, group, from_, to)
    return [Lesson.from_model(r) for r in rows]


def _payload(row: models.Lesson | None, errors: list[Problem],
             warnings: list[EntryWarning] | None = None) -> LessonPayload:
    return LessonPayload(lesson=Lesson.from_model(row) if row else None, errors=errors,
                         warnings=warnings or [])


async def add_lesson_field(info: Info, input: Input[AddLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: add_lesson(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.group_id, "StudyGroup", "input.groupId"), input.date,
        input.lesson_number, decoded(input.lesson_type_id, "LessonType", "input.lessonTypeId"),
        to_global_id)))


async def move_lesson_field(info: Info, input: Input[MoveLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: move_lesson(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.id, "Lesson", "input.id"), input.date, input.lesson_number,
        input.expected_version, to_global_id)))


async def cancel_lesson_field(info: Info, input: Input[CancelLessonInput]) -> LessonPayload:
    return _payload(*await apply(info, lambda: cancel_lesson(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.id, "Lesson", "input.id"), input.reason)))


async def update_lesson_field(info: Info, input: Input[UpdateLessonInput]) -> LessonPayload:
    changes = LessonChanges(
        topic=input.topic,
        lesson_type_id=decoded(input.lesson_type_id, "LessonType", "input.lessonTypeId"),
        homework=input.homework, homework_links=input.homework_links,
        homework_due_on=input.homework_due_on, recorded_at=input.recorded_at,
        expected_version=input.expected_version)
    result, errors = await apply(info, lambda: update_lesson(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.id, "Lesson", "input.id"), changes))
    row, warnings = result if result else (None, [])
    return _payload(row, errors, warnings)


async def set_substitution_field(info: Info, input: Input[SetSubstitutionInput]
                                 ) -> LessonPayload:
    return _payload(*await apply(info, lambda: set_substitution(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.lesson_id, "Lesson", "input.lessonId"),
        decoded(input.teacher_id, "Person", "input.teacherId"), input.reason)))


async def clear_substitution_field(info: Info, input: Input[ClearSubstitutionInput]
                                   ) -> LessonPayload:
    return _payload(*await apply(info, lambda: clear_substitution(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.lesson_id, "Lesson", "input.lessonId"))))


async def generate_lessons_field(info: Info, input: Input[GenerateLessonsInput]
                                 ) -> GenerateLessonsPayload:
    async def generate() -> tuple[int, int]:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await generate_lessons(
            info.context.session, actor(info, school_id), school_id, input.from_, input.to,
            decoded(input.group_id, "StudyGroup", "input.groupId"))

    counts, errors = await apply(info, generate)
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
