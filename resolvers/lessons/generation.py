"""Generating lessons from the timetable for a span of dates (administrator).

For each slot in force and each of its weekdays in the span, a lesson — unless the day is
outside the group's academic year, a school-wide holiday, a holiday of the period scheme of the
group's grade level (a cross-class group: the grade of its youngest class), or the group
already has a lesson at that date and lesson number (cancelled ones included, so a cancelled
lesson is not brought back). A fixed number of statements whatever the span: the lessons go in
one multi-row INSERT per batch, their audit rows in one more.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.grading.uses import grade_levels
from resolvers.input_ids import Id, require
from tenants.errors import DomainError, ErrorCode, Problem, not_found

MAX_SPAN_DAYS = 400


def _weekdays(weekday: int, first: date, last: date) -> list[date]:
    day = first + timedelta(days=(weekday - first.isoweekday()) % 7)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=7)
    return out


async def generate_lessons(session: AsyncSession, actor: Actor, school_id: uuid.UUID,
                           start: date, end: date, group_id: Id) -> tuple[int, int]:
    """Lessons created and skipped in a school the viewer administers (schema/ checks it:
    `admin_school_by_global_id`), of one group (`group_id`) or of all."""
    errors: list[Problem] = []
    if end < start:
        errors.append(Problem(field="input.to", code=ErrorCode.INVALID,
                                message="must not be before from"))
    elif (end - start).days > MAX_SPAN_DAYS:
        errors.append(Problem(field="input.to", code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be at most {MAX_SPAN_DAYS} days after from"))
    only: uuid.UUID | None = None
    if group_id is not None:
        only = require(group_id)
        found = await session.scalar(select(models.StudyGroup.id).where(
            models.StudyGroup.school_id == school_id, models.StudyGroup.id == only))
        if found is None:
            errors.append(not_found("input.groupId", "study group").problems[0])
    if errors:
        raise DomainError(*errors)

    s = models.TimetableSlot
    stmt = select(s).where(s.school_id == school_id, s.valid_from <= end,
                           or_(s.valid_to.is_(None), s.valid_to >= start))
    if only is not None:
        stmt = stmt.where(s.group_id == only)
    slots = list(await session.scalars(stmt.order_by(s.valid_from, s.id)))
    if not slots:
        return 0, 0
    groups = list(await session.scalars(select(models.StudyGroup).where(
        models.StudyGroup.school_id == school_id,
        models.StudyGroup.id.in_({x.group_id for x in slots}))))
    by_id = {x.id: x for x in groups}
    years = {y.id: y for y in await session.scalars(select(models.AcademicYear).where(
        models.AcademicYear.school_id == school_id))}
    grades = await grade_levels(session, groups)
    schemes = {(r.academic_year_id, r.grade_level): r.scheme_id
               for r in await session.scalars(select(models.GradeLevelScheme).where(
                   models.GradeLevelScheme.school_id == school_id))}
    holidays = list(await session.scalars(select(models.Holiday).where(
        models.Holiday.school_id == school_id, models.Holiday.starts_on <= end,
        models.Holiday.ends_on >= start)))
    existing = {(r.group_id, r.date, r.lesson_number) for r in (await session.execute(
        select(models.Lesson.group_id, models.Lesson.date, models.Lesson.lesson_number)
        .where(models.Lesson.school_id == school_id,
               models.Lesson.group_id.in_(list(by_id)),
               models.Lesson.date >= start, models.Lesson.date <= end))).all()}

    rows: list[dict[str, Any]] = []
    skipped = 0
    for slot in slots:
        group = by_id[slot.group_id]
        year = years[group.academic_year_id]
        scheme = schemes.get((year.id, grades.get(group.id, 0)))
        off = [(h.starts_on, h.ends_on) for h in holidays if h.academic_year_id == year.id
               and (h.scheme_id is None or h.scheme_id == scheme)]
        first = max(start, slot.valid_from, year.starts_on)
        last = min(end, slot.valid_to or end, year.ends_on)
        for day in _weekdays(slot.weekday, first, last):
            if any(a <= day <= b for a, b in off):
                continue
            key = (group.id, day, slot.lesson_number)
            if key in existing:
                skipped += 1
                continue
            existing.add(key)
            rows.append(dict(school_id=school_id, id=uuid.uuid4(), group_id=group.id,
                             slot_id=slot.id, date=day, lesson_number=slot.lesson_number,
                             status=models.LessonStatus.SCHEDULED,
                             scheduled_teacher_id=slot.teacher_id,
                             actual_teacher_id=slot.teacher_id, homework_links=[], version=1))
    if rows:
        # One multi-row INSERT (insertmanyvalues batches), not one statement per lesson.
        await session.execute(insert(models.Lesson), rows)
        await audit.record(session, actor, *[
            Change(school_id=school_id, action="create", entity="lessons", entity_id=r["id"],
                   after=audit.jsonable({k: v for k, v in r.items() if k != "school_id"}))
            for r in rows])
    return len(rows), skipped
