"""Subjects, work types and lesson types: lists for readers, writes for administrators.

A write gets the school or the row the caller has checked the viewer administers
(schema/school_access.py) and the author of the change for the audit log.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db import audit, models
from db.audit import Actor, Change
from resolvers.school_config import clean_text, duplicate, to_decimal
from tenants.errors import DomainError, ErrorCode, Problem

MAX_WEIGHT = Decimal(10)


async def _list(session: AsyncSession, school_id: uuid.UUID | None, model: Any, *order: Any
                ) -> list[Any]:
    """A school's rows; none for a school the viewer may not read (None)."""
    if school_id is None:
        return []
    return list(await session.scalars(
        select(model).where(model.school_id == school_id).order_by(*order)))


async def subjects(session: AsyncSession, school_id: uuid.UUID | None) -> list[models.Subject]:
    return await _list(session, school_id, models.Subject, models.Subject.name,
                       models.Subject.id)


async def work_types(session: AsyncSession, school_id: uuid.UUID | None
                     ) -> list[models.WorkType]:
    return await _list(session, school_id, models.WorkType, models.WorkType.name,
                       models.WorkType.id)


async def lesson_types(session: AsyncSession, school_id: uuid.UUID | None
                       ) -> list[models.LessonType]:
    return await _list(session, school_id, models.LessonType, models.LessonType.code,
                       models.LessonType.id)


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


async def _save(session: AsyncSession, actor: Actor, row: Any, before: dict[str, Any] | None
                ) -> None:
    """Flush the row and audit it: a create when there is no `before`, else an update."""
    session.add(row)
    await session.flush()
    await audit.record(session, actor, Change(
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


async def create_subject(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                           name: str, short_name: str) -> models.Subject:
    errors: list[Problem] = []
    name = clean_text(name, "input.name", errors, max_length=200)
    short = clean_text(short_name, "input.shortName", errors, max_length=50)
    if name and await _taken(session, models.Subject.name, school_id, name):
        errors.append(duplicate("input.name", "the school already has a subject of this name"))
    _raise(errors)
    row = models.Subject(school_id=school_id, id=uuid.uuid4(), name=name, short_name=short)
    await _save(session, actor, row, None)
    return row


async def update_subject(session: AsyncSession, actor: Actor, row: models.Subject, *,
                           name: str | None, short_name: str | None) -> models.Subject:
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if name is not None:
        name = clean_text(name, "input.name", errors, max_length=200)
        if name and await _taken(session, models.Subject.name, row.school_id,
                                 name, row.id):
            errors.append(duplicate("input.name", "the school already has a subject of this "
                                                  "name"))
        changes["name"] = name
    if short_name is not None:
        changes["short_name"] = clean_text(short_name, "input.shortName", errors,
                                           max_length=50)
    _raise(errors)
    _assign(row, changes)
    await _save(session, actor, row, before)
    return row


async def create_work_type(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                           name: str, weight: float) -> models.WorkType:
    errors: list[Problem] = []
    name = clean_text(name, "input.name", errors, max_length=100)
    value = _weight(weight, "input.weight", errors)
    if name and await _taken(session, models.WorkType.name, school_id, name):
        errors.append(duplicate("input.name", "the school already has a work type of this name"))
    _raise(errors)
    row = models.WorkType(school_id=school_id, id=uuid.uuid4(), name=name, weight=value)
    await _save(session, actor, row, None)
    return row


async def update_work_type(session: AsyncSession, actor: Actor, row: models.WorkType, *,
                           name: str | None, weight: float | None) -> models.WorkType:
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if name is not None:
        name = clean_text(name, "input.name", errors, max_length=100)
        if name and await _taken(session, models.WorkType.name, row.school_id,
                                 name, row.id):
            errors.append(duplicate("input.name", "the school already has a work type of this "
                                                  "name"))
        changes["name"] = name
    if weight is not None:
        changes["weight"] = _weight(weight, "input.weight", errors)
    _raise(errors)
    _assign(row, changes)
    await _save(session, actor, row, before)
    return row


async def create_lesson_type(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                             code: str, name: str) -> models.LessonType:
    errors: list[Problem] = []
    code = clean_text(code, "input.code", errors, max_length=32)
    name = clean_text(name, "input.name", errors, max_length=100)
    if code and await _taken(session, models.LessonType.code, school_id, code):
        errors.append(duplicate("input.code", "the school already has a lesson type with this "
                                              "code"))
    _raise(errors)
    row = models.LessonType(school_id=school_id, id=uuid.uuid4(), code=code, name=name)
    await _save(session, actor, row, None)
    return row


async def update_lesson_type(session: AsyncSession, actor: Actor, row: models.LessonType, *,
                             code: str | None, name: str | None) -> models.LessonType:
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if code is not None:
        code = clean_text(code, "input.code", errors, max_length=32)
        if code and await _taken(session, models.LessonType.code, row.school_id,
                                 code, row.id):
            errors.append(duplicate("input.code", "the school already has a lesson type with "
                                                  "this code"))
        changes["code"] = code
    if name is not None:
        changes["name"] = clean_text(name, "input.name", errors, max_length=100)
    _raise(errors)
    _assign(row, changes)
    await _save(session, actor, row, before)
    return row
