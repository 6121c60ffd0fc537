"""Reading lessons: a lesson is readable with its group's journal page (`may_read_journal`) and
by the substitute who teaches that one lesson. The writes are lesson_writes.py and
lesson_generation.py (their fields: schema/lessons_fields.py)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import may_read_journal

MAX_RANGE_DAYS = 400


def check_range(start: date, end: date) -> None:
    if (end - start).days > MAX_RANGE_DAYS:
        raise bad_argument("to", f"must be at most {MAX_RANGE_DAYS} days after 'from'")


def substituted(access: AccessContext, school_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The lessons of the school the viewer teaches as a substitute."""
    m = access.membership(school_id)
    return m.substitute_lesson_ids if m is not None else frozenset()


def may_read_lesson(access: AccessContext, row: models.Lesson,
                    group: models.StudyGroup | None) -> bool:
    if group is None:
        return False
    return may_read_journal(access, row.school_id, row.group_id, group.class_id) \
        or row.id in substituted(access, row.school_id)


async def group_lessons(session: AsyncSession, access: AccessContext,
                        group: models.StudyGroup | None, start: date, end: date
                        ) -> list[models.Lesson]:
    """The lessons of a group between two days that the viewer may read, by date and lesson
    number; none for a viewer who may read neither the page nor one of its lessons."""
    if group is None:
        return []
    whole = may_read_journal(access, group.school_id, group.id, group.class_id)
    mine = substituted(access, group.school_id)
    if not whole and not mine:
        return []
    stmt = (select(models.Lesson)
            .where(models.Lesson.school_id == group.school_id,
                   models.Lesson.group_id == group.id,
                   models.Lesson.date >= start, models.Lesson.date <= end)
            .order_by(models.Lesson.date, models.Lesson.lesson_number.asc().nulls_last(),
                      models.Lesson.id))
    if not whole:
        # A substitute reads the lessons they teach, not the group's whole page.
        stmt = stmt.where(models.Lesson.id.in_(mine))
    return list(await session.scalars(stmt))
