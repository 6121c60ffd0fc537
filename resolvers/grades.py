"""Queries and mutations of grading: converting values, explaining averages, period and year
grades, overdue deferrals, and closing periods and years.

The rules live beside their code: conversion in resolvers/conversion.py, averages and year
grades in resolvers/averages.py, grade writes in resolvers/grade_writes.py and
resolvers/year_grade_writes.py, closing and the
locks it puts on the journal in resolvers/closing.py (`require_period_open` and
`require_year_writable` are re-exported here for the journal's writes).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement, false, or_, select, true
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import closing
from resolvers import grade_writes as writes
from resolvers import year_grade_writes as year_writes
from resolvers.averages import Average, school_rules, student_average
from resolvers.closing import (
    require_period_open,
    require_year_writable,
)
from resolvers.conversion import ScaleValue, convert_value
from resolvers.grading_uses import systems_for_groups
from resolvers.timeliness import deadlines
from schema.calendar import AcademicYear, Period
from schema.grades import (
    AverageExclusion,
    AverageExplanation,
    AverageRounding,
    CloseAcademicYearInput,
    CloseAcademicYearPayload,
    ClosePeriodInput,
    ClosePeriodPayload,
    ExplainedMark,
    Grade,
    GradePayload,
    SetPeriodGradeInput,
    SetYearGradeInput,
    SetYearGradesInput,
    SetYearGradesPayload,
    YearGradeGap,
)
from schema.grading import GradingSystem, MarkValue
from schema.ids import query_id, to_global_id
from schema.mutations import Input, apply
from schema.pagination import After, First, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.school_access import readable_school
from tenants.access import AccessContext
from tenants.rules import can_read_structure, is_admin, is_staff, may_read_journal

__all__ = ["GradesMutation", "GradesQuery", "require_period_open", "require_year_writable"]


async def convert_value_query(
    info: Info,
    value_id: Annotated[strawberry.ID, strawberry.argument(
        description="The value to convert (global id of a `MarkValue`).")],
    to_system_id: Annotated[strawberry.ID, strawberry.argument(
        description="The target grading system (global id of a `GradingSystem` of the same "
                    "school).")],
    on: Annotated[date | None, strawberry.argument(
        description="The day whose conversion tables apply; default today in the school's "
                    "time zone.")] = None,
) -> MarkValue | None:
    value_uuid = query_id(value_id, "MarkValue", "valueId")
    system_uuid = query_id(to_system_id, "GradingSystem", "toSystemId")
    assert value_uuid and system_uuid
    loaders = info.context.loaders
    value = await loaders.by_id(models.MarkValue).load(value_uuid)
    if value is None or not can_read_structure(info.context.access, value.school_id):
        return None
    if on is None:
        rules = await deadlines(info.context.session, value.school_id)
        on = rules.local_day(datetime.now(UTC))
    row = await convert_value(loaders, value_uuid, system_uuid, on)
    return MarkValue.from_model(row) if row else None


async def may_read_student(info: Info, group: models.StudyGroup, student_id: uuid.UUID
                           ) -> bool:
    """The group's journal, or the student's diary (self, guardians, staff who see them)."""
    access = info.context.access
    if may_read_journal(access, group.school_id, group.id, group.class_id):
        return True
    m = access.membership(group.school_id)
    if m is not None and (student_id == m.person_id or student_id in m.child_ids):
        return True
    if is_staff(access, group.school_id):
        return await info.context.loaders.visible_person.load(student_id) is not None
    return False


def explanation(average: Average, system: models.GradingSystem | None,
                rows: dict[uuid.UUID, models.MarkValue]) -> AverageExplanation:
    def value(v: ScaleValue | None) -> MarkValue | None:
        row = rows.get(v.id) if v is not None else None
        return MarkValue.from_model(row) if row else None

    r = average.rounding
    return AverageExplanation(
        marks=[ExplainedMark(
            mark_id=strawberry.ID(to_global_id("Mark", m.entry.id)),
            work_date=m.entry.work_date, label=m.entry.value.label,
            grading_system=m.entry.system_name, work_type=m.entry.work_type,
            weight=float(m.entry.weight), point=float(m.entry.value.point),
            number=None if m.native is None else float(m.native), counted=m.counted,
            reason=AverageExclusion(m.reason.value) if m.reason else None)
            for m in average.marks],
        counted_marks=len(average.counted), total_weight=float(average.total_weight),
        weighted_point_sum=float(average.weighted_points),
        axis_average=None if average.axis_average is None else float(average.axis_average),
        weighted_number_sum=None if average.weighted_native is None
        else float(average.weighted_native),
        average=None if average.native_average is None else float(average.native_average),
        converted_value=value(average.converted),
        rounding=AverageRounding(
            threshold=float(r.threshold), lower=r.lower.label,
            upper=r.upper.label if r.upper else None,
            fraction=None if r.fraction is None else round(float(r.fraction), 4),
            result=r.result.label) if r else None,
        suggested_value=value(average.suggested),
        grading_system=GradingSystem.from_model(system) if system else None,
        summary=average.summary())


async def average_explanation(
    info: Info,
    group_id: Annotated[strawberry.ID, strawberry.argument(
        description="The study group (global id of a `StudyGroup`).")],
    period_id: Annotated[strawberry.ID, strawberry.argument(
        description="The period (global id of a `Period` of the group's year).")],
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
    in_: Annotated[strawberry.ID | None, strawberry.argument(
        name="in", description="The grading system to tell the average in (global id of a "
                               "`GradingSystem` of the school); default the group's.")] = None,
) -> AverageExplanation | None:
    group_uuid = query_id(group_id, "StudyGroup", "groupId")
    period_uuid = query_id(period_id, "Period", "periodId")
    student_uuid = query_id(student_id, "Person", "studentId")
    system_uuid = query_id(in_, "GradingSystem", "in")
    assert group_uuid and period_uuid and student_uuid
    session, loaders = info.context.session, info.context.loaders
    group = await loaders.by_id(models.StudyGroup).load(group_uuid)
    period = await loaders.by_id(models.Period).load(period_uuid)
    if group is None or period is None or period.school_id != group.school_id:
        return None
    scheme = await loaders.by_id(models.PeriodScheme).load(period.scheme_id)
    if scheme is None or scheme.academic_year_id != group.academic_year_id:
        return None
    if not await may_read_student(info, group, student_uuid):
        return None
    if system_uuid is None:
        system_uuid = (await systems_for_groups(session, [group])).get(group.id)
    system = await loaders.by_id(models.GradingSystem).load(system_uuid) if system_uuid \
        else None
    if system is not None and system.school_id != group.school_id:
        return None
    rules = await school_rules(session, group.school_id)
    average = await student_average(session, loaders, group=group, student_id=student_uuid,
                                    period=period, system_id=system.id if system else None,
                                    threshold=rules.rounding_threshold)
    ids = [v.id for v in (average.converted, average.suggested) if v is not None]
    rows = await loaders.by_id(models.MarkValue).load_many(ids)
    return explanation(average, system, {r.id: r for r in rows if r is not None})


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


async def overdue_deferrals(
    info: Info,
    school_id: Annotated[strawberry.ID, strawberry.argument(
        description="The school (global id of a `School`).")],
    first: First = None,
    after: After = None,
) -> relay.Connection[Grade]:
    school = readable_school(info, school_id)
    session, g = info.context.session, models.Grade
    stmt = select(g).where(false())
    if school is not None:
        today = (await deadlines(session, school)).local_day(datetime.now(UTC))
        stmt = select(g).where(g.school_id == school, g.state == models.GradeState.DEFERRED,
                               g.deferred_until < today,
                               deferral_scope(info.context.access, school))
    return await paginate(session, stmt, keys=[g.deferred_until, g.id], first=first,
                          after=after, to_node=Grade.from_model)


def _grade(row: models.Grade | None) -> Grade | None:
    return Grade.from_model(row) if row else None


async def set_period_grade(info: Info, input: Input[SetPeriodGradeInput]) -> GradePayload:
    row, errors = await apply(info, lambda: writes.set_period_grade(info, input))
    return GradePayload(grade=_grade(row), errors=errors)


async def set_year_grade(info: Info, input: Input[SetYearGradeInput]) -> GradePayload:
    row, errors = await apply(info, lambda: year_writes.set_year_grade(info, input))
    return GradePayload(grade=_grade(row), errors=errors)


async def set_year_grades(info: Info, input: Input[SetYearGradesInput]) -> SetYearGradesPayload:
    result, errors = await apply(info, lambda: year_writes.set_year_grades(info, input))
    if result is None:
        return SetYearGradesPayload(grades=[], gaps=[], errors=errors)
    persons = await info.context.loaders.visible_person.load_many(
        [student for student, _ in result.gaps])
    return SetYearGradesPayload(
        grades=[Grade.from_model(g) for g in result.grades],
        gaps=[YearGradeGap(student=Person.from_model(p) if p else None, reason=reason)
              for (_, reason), p in zip(result.gaps, persons, strict=True)],
        errors=errors)


async def close_period(info: Info, input: Input[ClosePeriodInput]) -> ClosePeriodPayload:
    row, errors = await apply(info, lambda: closing.close_period(info, input))
    return ClosePeriodPayload(period=Period.from_model(row) if row else None, errors=errors)


async def close_academic_year(info: Info, input: Input[CloseAcademicYearInput]
                              ) -> CloseAcademicYearPayload:
    row, errors = await apply(info, lambda: closing.close_academic_year(info, input))
    return CloseAcademicYearPayload(academic_year=AcademicYear.from_model(row) if row else None,
                                    errors=errors)


@strawberry.type
class GradesQuery:
    convert_value: MarkValue | None = strawberry.field(
        resolver=convert_value_query, permission_classes=[IsAuthenticated],
        description="A value converted into another grading system of its school (перевод "
                    "отметки): by the school's pinned conversion table valid on the day, "
                    "otherwise the target value whose 0–100 range holds the value's point. "
                    "Null for a value or system the viewer may not read, or of another school.")
    average_explanation: AverageExplanation | None = strawberry.field(
        resolver=average_explanation, permission_classes=[IsAuthenticated],
        description="A student's weighted average in a group and period, explained mark by "
                    "mark with the rounding to the suggested grade. For whoever may read the "
                    "group's journal or the student's diary; null for anyone else.")
    overdue_deferrals: relay.Connection[Grade] = strawberry.field(
        resolver=overdue_deferrals, permission_classes=[IsAuthenticated],
        description="Deferred grades (отсрочка) past the date by which they had to be set, "
                    "earliest first: all of the school for its administrators, those of their "
                    "groups and classes for teachers; empty for anyone else.")


@strawberry.type
class GradesMutation:
    set_period_grade: GradePayload = strawberry.mutation(
        resolver=set_period_grade, permission_classes=[IsAuthenticated],
        description="Set a student's period grade (graded, deferred, not attested or exempt); "
                    "the grade suggested by the average is stored beside it. By the group's "
                    "teacher or an administrator; in a closed period by an administrator only.")
    set_year_grade: GradePayload = strawberry.mutation(
        resolver=set_year_grade, permission_classes=[IsAuthenticated],
        description="Set (override) one student's year grade; the grade the school's rule "
                    "computes from the period grades is stored beside it as the suggestion.")
    set_year_grades: SetYearGradesPayload = strawberry.mutation(
        resolver=set_year_grades, permission_classes=[IsAuthenticated],
        description="Compute the year grades of a group's students from their period grades "
                    "by the school's rule; students with a missing or deferred period grade "
                    "are reported as gaps.")
    close_period: ClosePeriodPayload = strawberry.mutation(
        resolver=close_period, permission_classes=[IsAuthenticated],
        description="Close a period after its end (and its posting window): its marks, "
                    "attendance and grades can then be changed by administrators only. By an "
                    "administrator of the school.")
    close_academic_year: CloseAcademicYearPayload = strawberry.mutation(
        resolver=close_academic_year, permission_classes=[IsAuthenticated],
        description="Archive an academic year whose periods are all closed: nothing dated in "
                    "it can be written any more. By an administrator of the school.")
