"""Reading grading: a value converted into another system, a student's average explained, and
the overdue deferrals of a school.

The rules live beside their code: conversion in resolvers/grading/conversion.py, averages and year
grades in resolvers/grading/averages.py, grade writes in resolvers/grades/writes.py and
resolvers/grades/year.py, closing and the locks it puts on the journal in
resolvers/grades/closing.py. The GraphQL fields are schema/grades_fields.py's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.grading.averages import Average, school_rules, student_average
from resolvers.grading.conversion import convert_value
from resolvers.grading.uses import systems_for_groups
from resolvers.row_loaders import Batch, RowLoaders
from resolvers.timeliness import deadlines
from tenants.access import AccessContext
from tenants.rules import can_read_structure, is_admin, is_staff, may_read_journal


async def converted_value(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                          value_id: uuid.UUID, to_system_id: uuid.UUID, on: date | None
                          ) -> models.MarkValue | None:
    """The value in the target system on `on` (default today in the school's time zone);
    None for a value the viewer may not read or a system of another school."""
    value = await loaders.by_id(models.MarkValue).load(value_id)
    if value is None or not can_read_structure(access, value.school_id):
        return None
    if on is None:
        rules = await deadlines(session, value.school_id)
        on = rules.local_day(datetime.now(UTC))
    return await convert_value(loaders, value_id, to_system_id, on)


async def may_read_student(access: AccessContext,
                           visible_person: Batch[models.Person | None],
                           group: models.StudyGroup, student_id: uuid.UUID) -> bool:
    """The group's journal, or the student's diary (self, guardians, staff who see them)."""
    if may_read_journal(access, group.school_id, group.id, group.class_id):
        return True
    m = access.membership(group.school_id)
    if m is not None and (student_id == m.person_id or student_id in m.child_ids):
        return True
    if is_staff(access, group.school_id):
        return await visible_person.load(student_id) is not None
    return False


@dataclass(frozen=True)
class ExplainedAverage:
    """A student's average with what telling it needs: the system it is told in and the
    rows of its converted and suggested values."""

    average: Average
    system: models.GradingSystem | None
    values: dict[uuid.UUID, models.MarkValue]


async def explain_average(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                          visible_person: Batch[models.Person | None], *,
                          group_id: uuid.UUID, period_id: uuid.UUID, student_id: uuid.UUID,
                          system_id: uuid.UUID | None) -> ExplainedAverage | None:
    """The student's average in the group and period, told in `system_id` (default the
    group's); None when the viewer may read neither the journal nor the student's diary, or
    the group, period or system do not belong together."""
    group = await loaders.by_id(models.StudyGroup).load(group_id)
    period = await loaders.by_id(models.Period).load(period_id)
    if group is None or period is None or period.school_id != group.school_id:
        return None
    scheme = await loaders.by_id(models.PeriodScheme).load(period.scheme_id)
    if scheme is None or scheme.academic_year_id != group.academic_year_id:
        return None
    if not await may_read_student(access, visible_person, group, student_id):
        return None
    if system_id is None:
        system_id = (await systems_for_groups(session, [group])).get(group.id)
    system = await loaders.by_id(models.GradingSystem).load(system_id) if system_id \
        else None
    if system is not None and system.school_id != group.school_id:
        return None
    rules = await school_rules(session, group.school_id)
    average = await student_average(session, loaders, group=group,
                                    student_id=student_id, period=period,
                                    system_id=system.id if system else None,
                                    threshold=rules.rounding_threshold)
    ids = [v.id for v in (average.converted, average.suggested) if v is not None]
    rows = await loaders.by_id(models.MarkValue).load_many(ids)
    return ExplainedAverage(average, system, {r.id: r for r in rows if r is not None})


def deferral_scope(access: AccessContext, school_id: uuid.UUID) -> ColumnElement[bool]:
    """Which deferred grades the viewer may list: the administrator all of the school; a
    teacher those of the groups they teach and the groups of the classes they lead."""
    if is_admin(access, school_id):
        return true()
    m = access.membership(school_id)
    if m is None or not is_staff(access, school_id):
        return false()
    classes = select(models.StudyGroup.id).where(
        models.StudyGroup.school_id == school_id,
        models.StudyGroup.class_id.in_(m.led_class_ids or [uuid.UUID(int=0)]))
    return or_(models.Grade.group_id.in_(m.taught_group_ids or [uuid.UUID(int=0)]),
               models.Grade.group_id.in_(classes))


async def overdue_deferrals(session: AsyncSession, access: AccessContext,
                            school_id: uuid.UUID | None) -> Select[tuple[models.Grade]]:
    """The statement of the school's deferred grades past their date that the viewer may
    list (none without a school), for the caller to page by (deferred_until, id)."""
    g = models.Grade
    if school_id is None:
        return select(g).where(false())
    today = (await deadlines(session, school_id)).local_day(datetime.now(UTC))
    return select(g).where(g.school_id == school_id, g.state == models.GradeState.DEFERRED,
                           g.deferred_until < today, deferral_scope(access, school_id))
