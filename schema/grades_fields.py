"""The queries and mutations of grading: converting values, explaining averages, overdue
deferrals, period and year grades, and closing periods and years (resolvers/grades/queries.py,
writes.py, year.py and closing.py hold the rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.grades import closing, writes
from resolvers.grades import queries as rules
from resolvers.grades import year as year_writes
from resolvers.grading.conversion import ScaleValue
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
from schema.ids import from_global_id, query_id, to_global_id
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.school_access import readable_school


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
    ctx = info.context
    row = await rules.converted_value(ctx.session, ctx.access, ctx.loaders, value_uuid,
                                      system_uuid, on)
    return MarkValue.from_model(row) if row else None


def explanation(explained: rules.ExplainedAverage) -> AverageExplanation:
    average, system, rows = explained.average, explained.system, explained.values

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
    ctx = info.context
    explained = await rules.explain_average(
        ctx.session, ctx.access, ctx.loaders, ctx.loaders.visible_person, group_id=group_uuid,
        period_id=period_uuid, student_id=student_uuid, system_id=system_uuid)
    return explanation(explained) if explained else None


async def overdue_deferrals(
    info: Info,
    school_id: Annotated[strawberry.ID, strawberry.argument(
        description="The school (global id of a `School`).")],
    first: First = None,
    after: After = None,
) -> relay.Connection[Grade]:
    school = readable_school(info, school_id)
    session, g = info.context.session, models.Grade
    stmt = await rules.overdue_deferrals(session, info.context.access, school)
    return await paginate(session, stmt, keys=[g.deferred_until, g.id], first=first,
                          after=after, to_node=Grade.from_model)


def _choice(input: SetPeriodGradeInput | SetYearGradeInput) -> writes.GradeChoice:
    return writes.GradeChoice(state=models.GradeState(input.state), value=input.value,
                              deferred_reason=input.deferred_reason,
                              deferred_until=input.deferred_until)


def _actor(info: Info) -> closing.ActorFor:
    return lambda school_id: actor(info, school_id)


def _grade(row: models.Grade | None) -> Grade | None:
    return Grade.from_model(row) if row else None


async def set_period_grade(info: Info, input: Input[SetPeriodGradeInput]) -> GradePayload:
    ctx = info.context

    async def write() -> models.Grade:
        request = writes.PeriodGradeRequest(
            group_id=from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            period_id=decoded(input.period_id, "Period", "input.periodId"),
            student_id=decoded(input.student_id, "Person", "input.studentId"),
            choice=_choice(input), expected_version=input.expected_version)
        return await writes.set_period_grade(ctx.session, ctx.access, ctx.loaders, request,
                                             actor=_actor(info))

    row, errors = await apply(info, write)
    return GradePayload(grade=_grade(row), errors=errors)


async def set_year_grade(info: Info, input: Input[SetYearGradeInput]) -> GradePayload:
    ctx = info.context

    async def write() -> models.Grade:
        request = year_writes.YearGradeRequest(
            group_id=from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            student_id=decoded(input.student_id, "Person", "input.studentId"),
            choice=_choice(input), expected_version=input.expected_version,
            override=year_writes.YearGradeOverride(input.override.reason)
            if input.override is not None else None)
        return await year_writes.set_year_grade(ctx.session, ctx.access, ctx.loaders, request,
                                                actor=_actor(info))

    row, errors = await apply(info, write)
    return GradePayload(grade=_grade(row), errors=errors)


async def set_year_grades(info: Info, input: Input[SetYearGradesInput]) -> SetYearGradesPayload:
    ctx = info.context

    async def write() -> year_writes.YearGradesResult:
        request = year_writes.YearGradesRequest(
            group_id=from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            academic_year_id=decoded(input.academic_year_id, "AcademicYear",
                                            "input.academicYearId"),
            overwrite=input.overwrite)
        return await year_writes.set_year_grades(ctx.session, ctx.access, ctx.loaders,
                                                 request, actor=_actor(info))

    result, errors = await apply(info, write)
    if result is None:
        return SetYearGradesPayload(grades=[], gaps=[], errors=errors)
    persons = await ctx.loaders.visible_person.load_many(
        [student for student, _ in result.gaps])
    return SetYearGradesPayload(
        grades=[Grade.from_model(g) for g in result.grades],
        gaps=[YearGradeGap(student=Person.from_model(p) if p else None, reason=reason)
              for (_, reason), p in zip(result.gaps, persons, strict=True)],
        errors=errors)


async def close_period(info: Info, input: Input[ClosePeriodInput]) -> ClosePeriodPayload:
    ctx = info.context

    async def write() -> models.Period:
        period_id = from_global_id(input.period_id, "Period", "input.periodId")
        return await closing.close_period(ctx.session, ctx.access, period_id,
                                          actor=_actor(info))

    row, errors = await apply(info, write)
    return ClosePeriodPayload(period=Period.from_model(row) if row else None, errors=errors)


async def close_academic_year(info: Info, input: Input[CloseAcademicYearInput]
                              ) -> CloseAcademicYearPayload:
    ctx = info.context

    async def write() -> models.AcademicYear:
        year_id = from_global_id(input.academic_year_id, "AcademicYear",
                                 "input.academicYearId")
        return await closing.close_academic_year(ctx.session, ctx.access, year_id,
                                                 actor=_actor(info))

    row, errors = await apply(info, write)
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
                    "computes from the period grades is stored beside it as the suggestion. "
                    "Refused while a period it sums is open (not closed) and the student has "
                    "no final grade for it, unless an administrator overrides with a reason.")
    set_year_grades: SetYearGradesPayload = strawberry.mutation(
        resolver=set_year_grades, permission_classes=[IsAuthenticated],
        description="Compute the year grades of a group's students from their period grades "
                    "by the school's rule; students with a missing or deferred period grade "
                    "are reported as gaps and get no year grade (an open period without a "
                    "final grade included).")
    close_period: ClosePeriodPayload = strawberry.mutation(
        resolver=close_period, permission_classes=[IsAuthenticated],
        description="Close a period after its end (and its posting window): its marks, "
                    "attendance and grades can then be changed by administrators only. By an "
                    "administrator of the school.")
    close_academic_year: CloseAcademicYearPayload = strawberry.mutation(
        resolver=close_academic_year, permission_classes=[IsAuthenticated],
        description="Archive an academic year whose periods are all closed: nothing dated in "
                    "it can be written any more. By an administrator of the school.")
