"""Subjects, work types and lesson types: lists for readers, writes for administrators."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.types import Info

from db import audit, models
from db.audit import Change
from resolvers.school_config import clean_text, duplicate, to_decimal
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from schema.subjects import (
    CreateLessonTypeInput,
    CreateSubjectInput,
    CreateWorkTypeInput,
    LessonType,
    LessonTypePayload,
    Subject,
    SubjectPayload,
    UpdateLessonTypeInput,
    UpdateSubjectInput,
    UpdateWorkTypeInput,
    WorkType,
    WorkTypePayload,
)
from tenants.errors import DomainError, ErrorCode, Problem

SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(description="The School.")]
MAX_WEIGHT = Decimal(10)


async def _list(info: Info, school_id: str, model: Any, *order: Any) -> list[Any]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    return list(await info.context.session.scalars(
        select(model).where(model.school_id == school).order_by(*order)))


async def subjects(info: Info, school_id: SchoolIdArg) -> list[Subject]:
    rows = await _list(info, school_id, models.Subject, models.Subject.name, models.Subject.id)
    return [Subject.from_model(r) for r in rows]


async def work_types(info: Info, school_id: SchoolIdArg) -> list[WorkType]:
    rows = await _list(info, school_id, models.WorkType, models.WorkType.name,
                       models.WorkType.id)
    return [WorkType.from_model(r) for r in rows]


async def lesson_types(info: Info, school_id: SchoolIdArg) -> list[LessonType]:
    rows = await _list(info, school_id, models.LessonType, models.LessonType.code,
                       models.LessonType.id)
    return [LessonType.from_model(r) for r in rows]


async def _taken(session: AsyncSession, column: InstrumentedAttribute[Any], school_id: uuid.UUID,
                 value: str, exclude: uuid.UUID | None = None) -> bool:
    """Whether another row of the school already has this value (compared case-insensitively,
    so «Математика» and «математика» are one subject)."""
    model: Any = column.class_
    stmt = select(model.id).where(model.school_id == school_id,
                                  column.ilike(value.replace("\\", "\\\\")
                                               .replace("%", "\\%").replace("_", "\\_")))
    if exclude is not None:
        stmt = stmt.where(model.id != exclude)
    return (await session.scalar(stmt.limit(1))) is not None


def _weight(value: float, field: str, errors: list[Problem]) -> Decimal | None:
    weight = to_decimal(value, field, errors)
    if weight is not None and not (0 < weight <= MAX_WEIGHT):
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                                message="must be more than 0 and at most 10"))
        return None
    return weight


async def _save(info: Info, row: Any, before: dict[str, Any] | None) -> None:
    """Flush the row and audit it: a create when there is no `before`, else an update."""
    session = info.context.session
    session.add(row)
    await session.flush()
    await audit.record(session, actor(info, row.school_id), Change(
        school_id=row.school_id, action="update" if before else "create",
        entity=row.__tablename__, entity_id=row.id, before=before, after=audit.snapshot(row)))


def _raise(errors: list[Problem]) -> None:
    if errors:
        raise DomainError(*errors)


def _assign(row: Any, changes: dict[str, Any]) -> None:
    # Only after validation: a refused update must leave the loaded row untouched, or the
    # request's commit would flush it.
    for key, value in changes.items():
        setattr(row, key, value)


async def create_subject(info: Info, input: CreateSubjectInput) -> models.Subject:
    school_id = admin_school_by_global_id(info.context.access, input.school_id, "input.schoolId")
    errors: list[Problem] = []
    name = clean_text(input.name, "input.name", errors, max_length=200)
    short = clean_text(input.short_name, "input.shortName", errors, max_length=50)
    if name and await _taken(info.context.session, models.Subject.name, school_id, name):
        errors.append(duplicate("input.name", "the school already has a subject of this name"))
    _raise(errors)
    row = models.Subject(school_id=school_id, id=uuid.uuid4(), name=name, short_name=short)
    await _save(info, row, None)
    return row


async def update_subject(info: Info, input: UpdateSubjectInput) -> models.Subject:
    row = await access_for_admin(info, models.Subject, input.id, "Subject", "input.id",
                                 "subject")
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if input.name is not None:
        name = clean_text(input.name, "input.name", errors, max_length=200)
        if name and await _taken(info.context.session, models.Subject.name, row.school_id,
                                 name, row.id):
            errors.append(duplicate("input.name", "the school already has a subject of this "
                                                  "name"))
        changes["name"] = name
    if input.short_name is not None:
        changes["short_name"] = clean_text(input.short_name, "input.shortName", errors,
                                           max_length=50)
    _raise(errors)
    _assign(row, changes)
    await _save(info, row, before)
    return row


async def create_work_type(info: Info, input: CreateWorkTypeInput) -> models.WorkType:
    school_id = admin_school_by_global_id(info.context.access, input.school_id, "input.schoolId")
    errors: list[Problem] = []
    name = clean_text(input.name, "input.name", errors, max_length=100)
    weight = _weight(input.weight, "input.weight", errors)
    if name and await _taken(info.context.session, models.WorkType.name, school_id, name):
        errors.append(duplicate("input.name", "the school already has a work type of this name"))
    _raise(errors)
    row = models.WorkType(school_id=school_id, id=uuid.uuid4(), name=name, weight=weight)
    await _save(info, row, None)
    return row


async def update_work_type(info: Info, input: UpdateWorkTypeInput) -> models.WorkType:
    row = await access_for_admin(info, models.WorkType, input.id, "WorkType", "input.id",
                                 "work type")
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if input.name is not None:
        name = clean_text(input.name, "input.name", errors, max_length=100)
        if name and await _taken(info.context.session, models.WorkType.name, row.school_id,
                                 name, row.id):
            errors.append(duplicate("input.name", "the school already has a work type of this "
                                                  "name"))
        changes["name"] = name
    if input.weight is not None:
        changes["weight"] = _weight(input.weight, "input.weight", errors)
    _raise(errors)
    _assign(row, changes)
    await _save(info, row, before)
    return row


async def create_lesson_type(info: Info, input: CreateLessonTypeInput) -> models.LessonType:
    school_id = admin_school_by_global_id(info.context.access, input.school_id, "input.schoolId")
    errors: list[Problem] = []
    code = clean_text(input.code, "input.code", errors, max_length=32)
    name = clean_text(input.name, "input.name", errors, max_length=100)
    if code and await _taken(info.context.session, models.LessonType.code, school_id, code):
        errors.append(duplicate("input.code", "the school already has a lesson type with this "
                                              "code"))
    _raise(errors)
    row = models.LessonType(school_id=school_id, id=uuid.uuid4(), code=code, name=name)
    await _save(info, row, None)
    return row


async def update_lesson_type(info: Info, input: UpdateLessonTypeInput) -> models.LessonType:
    row = await access_for_admin(info, models.LessonType, input.id, "LessonType", "input.id",
                                 "lesson type")
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if input.code is not None:
        code = clean_text(input.code, "input.code", errors, max_length=32)
        if code and await _taken(info.context.session, models.LessonType.code, row.school_id,
                                 code, row.id):
            errors.append(duplicate("input.code", "the school already has a lesson type with "
                                                  "this code"))
        changes["code"] = code
    if input.name is not None:
        changes["name"] = clean_text(input.name, "input.name", errors, max_length=100)
    _raise(errors)
    _assign(row, changes)
    await _save(info, row, before)
    return row


async def create_subject_field(info: Info, input: Input[CreateSubjectInput]) -> SubjectPayload:
    row, errors = await apply(info, lambda: create_subject(info, input))
    return SubjectPayload(subject=Subject.from_model(row) if row else None, errors=errors)


async def update_subject_field(info: Info, input: Input[UpdateSubjectInput]) -> SubjectPayload:
    row, errors = await apply(info, lambda: update_subject(info, input))
    return SubjectPayload(subject=Subject.from_model(row) if row else None, errors=errors)


async def create_work_type_field(info: Info, input: Input[CreateWorkTypeInput]
                                 ) -> WorkTypePayload:
    row, errors = await apply(info, lambda: create_work_type(info, input))
    return WorkTypePayload(work_type=WorkType.from_model(row) if row else None, errors=errors)


async def update_work_type_field(info: Info, input: Input[UpdateWorkTypeInput]
                                 ) -> WorkTypePayload:
    row, errors = await apply(info, lambda: update_work_type(info, input))
    return WorkTypePayload(work_type=WorkType.from_model(row) if row else None, errors=errors)


async def create_lesson_type_field(info: Info, input: Input[CreateLessonTypeInput]
                                   ) -> LessonTypePayload:
    row, errors = await apply(info, lambda: create_lesson_type(info, input))
    return LessonTypePayload(lesson_type=LessonType.from_model(row) if row else None,
                             errors=errors)


async def update_lesson_type_field(info: Info, input: Input[UpdateLessonTypeInput]
                                   ) -> LessonTypePayload:
    row, errors = await apply(info, lambda: update_lesson_type(info, input))
    return LessonTypePayload(lesson_type=LessonType.from_model(row) if row else None,
                             errors=errors)


@strawberry.type
class SubjectsQuery:
    subjects: list[Subject] = strawberry.field(
        resolver=subjects, permission_classes=[IsAuthenticated],
        description="The subjects of a school (предметы), by name; empty for a school the "
                    "viewer may not read.")
    work_types: list[WorkType] = strawberry.field(
        resolver=work_types, permission_classes=[IsAuthenticated],
        description="The kinds of work of a school with their weights (виды работ), by name; "
                    "empty for a school the viewer may not read.")
    lesson_types: list[LessonType] = strawberry.field(
        resolver=lesson_types, permission_classes=[IsAuthenticated],
        description="The kinds of lesson of a school (типы занятий), by code; empty for a "
                    "school the viewer may not read.")


@strawberry.type
class SubjectsMutation:
    create_subject: SubjectPayload = strawberry.field(
        resolver=create_subject_field, permission_classes=[IsAuthenticated],
        description="Add a subject to a school (administrator).")
    update_subject: SubjectPayload = strawberry.field(
        resolver=update_subject_field, permission_classes=[IsAuthenticated],
        description="Rename a subject or change its short name (administrator).")
    create_work_type: WorkTypePayload = strawberry.field(
        resolver=create_work_type_field, permission_classes=[IsAuthenticated],
        description="Add a kind of work with its weight to a school (administrator).")
    update_work_type: WorkTypePayload = strawberry.field(
        resolver=update_work_type_field, permission_classes=[IsAuthenticated],
        description="Rename a kind of work or change its weight (administrator).")
    create_lesson_type: LessonTypePayload = strawberry.field(
        resolver=create_lesson_type_field, permission_classes=[IsAuthenticated],
        description="Add a kind of lesson to a school (administrator).")
    update_lesson_type: LessonTypePayload = strawberry.field(
        resolver=update_lesson_type_field, permission_classes=[IsAuthenticated],
        description="Change the code or name of a kind of lesson (administrator).")
