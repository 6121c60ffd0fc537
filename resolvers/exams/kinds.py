"""Exam kinds of a school (ОГЭ, ЕГЭ, переводной экзамен): a list for the school's readers,
writes for its administrators (the caller checks who: schema/school_access.py).

A kind names the school grading system its grades are in. While results use it, its system
cannot change, its maximum test score cannot fall below a score already given, and it cannot
be deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.input_ids import Id, collect
from resolvers.school_config import clean_text, duplicate
from tenants.errors import DomainError, ErrorCode, Problem

MAX_TEST_SCORE = 1000


@dataclass(frozen=True)
class ExamKindFields:
    """What the client sent; None: not given (an update keeps the value)."""

    name: str | None = None
    short_name: str | None = None
    level: models.ExamLevel | None = None
    system_id: Id | None = None
    max_test_score: int | None = None
    clear_max_test_score: bool = False
    grade_levels: list[int] | None = None
    counts_in_final: bool | None = None


async def exam_kinds(session: AsyncSession, school_id: uuid.UUID | None
                     ) -> list[models.ExamKind]:
    """The school's exam kinds by name; none for a school the viewer may not read (None)."""
    if school_id is None:
        return []
    k = models.ExamKind
    return list(await session.scalars(
        select(k).where(k.school_id == school_id).order_by(k.name, k.id)))


async def _name_taken(session: AsyncSession, school_id: uuid.UUID, name: str,
                      exclude: uuid.UUID | None) -> bool:
    k = models.ExamKind
    stmt = select(k.id).where(k.school_id == school_id, func.lower(k.name) == name.lower())
    if exclude is not None:
        stmt = stmt.where(k.id != exclude)
    return (await session.scalar(stmt.limit(1))) is not None


async def _system(session: AsyncSession, school_id: uuid.UUID, ref: Id,
                  errors: list[Problem]) -> uuid.UUID | None:
    system_id = collect(ref, errors)
    if system_id is None:
        return None
    g = models.GradingSystem
    found = await session.scalar(select(g.id).where(g.school_id == school_id, g.id == system_id))
    if found is None:
        errors.append(Problem(field="input.systemId", code=ErrorCode.NOT_FOUND,
                              message="no such grading system in the school"))
    return found


def _levels(levels: list[int], errors: list[Problem]) -> list[int]:
    for n, level in enumerate(levels):
        if not 1 <= level <= 11:
            errors.append(Problem(field=f"input.gradeLevels.{n}", code=ErrorCode.OUT_OF_RANGE,
                                  message="a grade level is from 1 to 11"))
        elif level in levels[:n]:
            errors.append(Problem(field=f"input.gradeLevels.{n}", code=ErrorCode.DUPLICATE,
                                  message=f"grade level {level} is listed twice"))
    return sorted(set(levels))


def _max_score(value: int, errors: list[Problem]) -> int | None:
    if not 1 <= value <= MAX_TEST_SCORE:
        errors.append(Problem(field="input.maxTestScore", code=ErrorCode.OUT_OF_RANGE,
                              message=f"must be from 1 to {MAX_TEST_SCORE}"))
        return None
    return value


async def _check(session: AsyncSession, school_id: uuid.UUID, fields: ExamKindFields,
                 exclude: uuid.UUID | None, errors: list[Problem]) -> dict[str, Any]:
    """The changes the fields ask for, every problem collected."""
    changes: dict[str, Any] = {}
    if fields.name is not None:
        name = clean_text(fields.name, "input.name", errors, max_length=100)
        if name and await _name_taken(session, school_id, name, exclude):
            errors.append(duplicate("input.name", "the school already has an exam kind of "
                                                  "this name"))
        changes["name"] = name
    if fields.short_name is not None:
        changes["short_name"] = clean_text(fields.short_name, "input.shortName", errors,
                                           max_length=20)
    if fields.level is not None:
        changes["level"] = models.ExamLevel(fields.level)
    if fields.system_id is not None:
        changes["system_id"] = await _system(session, school_id, fields.system_id, errors)
    if fields.max_test_score is not None:
        if fields.clear_max_test_score:
            errors.append(Problem(field="input.maxTestScore", code=ErrorCode.INVALID,
                                  message="give a maximum or clear it, not both"))
        changes["max_test_score"] = _max_score(fields.max_test_score, errors)
    elif fields.clear_max_test_score:
        changes["max_test_score"] = None
    if fields.grade_levels is not None:
        changes["grade_levels"] = _levels(fields.grade_levels, errors)
    if fields.counts_in_final is not None:
        changes["counts_in_final"] = fields.counts_in_final
    return changes


def _raise(errors: list[Problem]) -> None:
    if errors:
        raise DomainError(*errors)


async def _save(session: AsyncSession, actor: Actor, row: models.ExamKind,
                before: dict[str, Any] | None) -> None:
    session.add(row)
    await session.flush()
    await audit.record(session, actor, Change(
        school_id=row.school_id, action="update" if before else "create", entity="exam_kinds",
        entity_id=row.id, before=before, after=audit.snapshot(row)))


async def create_exam_kind(session: AsyncSession, actor: Actor, school_id: uuid.UUID,
                           fields: ExamKindFields) -> models.ExamKind:
    errors: list[Problem] = []
    changes = await _check(session, school_id, fields, None, errors)
    _raise(errors)
    row = models.ExamKind(school_id=school_id, id=uuid.uuid4(),
                          **{"grade_levels": [], "counts_in_final": True, **changes})
    await _save(session, actor, row, None)
    return row


@dataclass(frozen=True)
class KindUse:
    results: int
    top_score: Decimal | None


async def kind_use(session: AsyncSession, row: models.ExamKind) -> KindUse:
    g = models.Grade
    count, top = (await session.execute(
        select(func.count(), func.max(g.test_score)).where(
            g.school_id == row.school_id, g.exam_kind_id == row.id))).one()
    return KindUse(count, top)


async def update_exam_kind(session: AsyncSession, actor: Actor, row: models.ExamKind,
                           fields: ExamKindFields) -> models.ExamKind:
    before = audit.snapshot(row)
    errors: list[Problem] = []
    changes = await _check(session, row.school_id, fields, row.id, errors)
    use = await kind_use(session, row)
    if use.results and changes.get("system_id") not in (None, row.system_id):
        errors.append(Problem(field="input.systemId", code=ErrorCode.INVALID,
                              message=f"{use.results} results of «{row.name}» are graded in "
                                      "its grading system: it cannot change"))
    if use.top_score is not None and "max_test_score" in changes:
        new_max = changes["max_test_score"]
        if new_max is None or new_max < use.top_score:
            errors.append(Problem(field="input.maxTestScore", code=ErrorCode.INVALID,
                                  message=f"a result of «{row.name}» has the test score "
                                          f"{use.top_score.normalize():f}: the maximum cannot "
                                          "be below it or cleared"))
    _raise(errors)
    # only after validation: a refused update must leave the loaded row untouched
    for key, value in changes.items():
        setattr(row, key, value)
    await _save(session, actor, row, before)
    return row


async def delete_exam_kind(session: AsyncSession, actor: Actor, row: models.ExamKind
                           ) -> uuid.UUID:
    use = await kind_use(session, row)
    if use.results:
        raise DomainError(Problem(field="input.id", code=ErrorCode.INVALID,
                                  message=f"«{row.name}» has {use.results} exam results and "
                                          "cannot be deleted"))
    deleted = row.id
    change = Change(school_id=row.school_id, action="delete", entity="exam_kinds",
                    entity_id=row.id, before=audit.snapshot(row))
    await session.delete(row)
    await session.flush()
    await audit.record(session, actor, change)
    return deleted
