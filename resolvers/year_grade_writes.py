"""Writing year grades (годовые оценки): `setYearGrades` computes them from the period grades
by the school's rule (resolvers/averages.py), `setYearGrade` overrides one.

A year grade belongs to the group's last period: once that period is closed only an
administrator may change it, and nothing is written into an archived year. The computed grade
is stored beside every year grade as its suggestion; `setYearGrades` replaces grades already
set only with `overwrite`, otherwise it refreshes their suggestion.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from strawberry.types import Info

from db import audit, models
from resolvers.averages import YEAR_RULES, PeriodResult, YearOutcome, school_rules, year_grade
from resolvers.closing import require_period_open, require_year_writable
from resolvers.conversion import Scale, ScaleValue
from resolvers.grade_writes import (
    Decision,
    apply_decision,
    change,
    check_decision,
    check_version,
    decode_student,
    existing_grades,
    grading_group,
    group_periods,
    group_scale,
    member_ids,
    new_grade,
    raise_all,
)
from schema.grades import SetYearGradeInput, SetYearGradesInput
from schema.ids import from_global_id
from schema.mutations import actor
from tenants.errors import DomainError, ErrorCode, Problem


@dataclass
class YearContext:
    group: models.StudyGroup
    year: models.AcademicYear
    periods: list[models.Period]
    scale: Scale
    threshold: Decimal


async def year_context(info: Info, group: models.StudyGroup, year_field: str | None,
                       year_gid: str | None, errors: list[Problem]) -> YearContext | None:
    session = info.context.session
    year: models.AcademicYear | None = None
    if year_gid is not None:
        try:
            year_id = from_global_id(year_gid, "AcademicYear", str(year_field))
            year = await session.scalar(select(models.AcademicYear).where(
                models.AcademicYear.id == year_id))
            if year is None or info.context.access.membership(year.school_id) is None:
                errors.append(Problem(field=year_field, code=ErrorCode.NOT_FOUND,
                                        message="no such academic year"))
                year = None
            elif year.id != group.academic_year_id:
                errors.append(Problem(field=year_field, code=ErrorCode.INVALID,
                                        message="is not the academic year of the group"))
                year = None
        except DomainError as e:
            errors.extend(e.problems)
    else:
        year = await session.scalar(select(models.AcademicYear).where(
            models.AcademicYear.school_id == group.school_id,
            models.AcademicYear.id == group.academic_year_id))
    periods = await group_periods(session, group)
    if not periods:
        errors.append(Problem(field="input.groupId", code=ErrorCode.INVALID,
                                message="the group's grade level has no period scheme"))
    rules = await school_rules(session, group.school_id)
    if rules.year_grade_rule not in YEAR_RULES:
        errors.append(Problem(field=None, code=ErrorCode.INVALID,
                                message=f"the school's year grade rule "
                                        f"«{rules.year_grade_rule}» is not supported"))
    scale = await group_scale(session, info, group, errors)
    if year is None or scale is None or not periods or errors:
        return None
    return YearContext(group, year, periods, scale, rules.rounding_threshold)


async def check_year_lock(info: Info, ctx: YearContext) -> None:
    """A year grade belongs to the last period: closing it locks the year grades too."""
    await require_period_open(info.context.session, info.context.access,
                              ctx.group.school_id, ctx.group.id, ctx.periods[-1].ends_on,
                              "input.groupId")


async def year_outcomes(info: Info, ctx: YearContext, student_ids: Sequence[uuid.UUID]
                        ) -> dict[uuid.UUID, YearOutcome]:
    """The school's rule over each student's period grades in the subject."""
    g, group = models.Grade, ctx.group
    rows = list(await info.context.session.scalars(select(g).where(
        g.school_id == group.school_id, g.student_id.in_(student_ids),
        g.subject_id == group.subject_id, g.academic_year_id == group.academic_year_id,
        g.kind == models.GradeKind.PERIOD,
        g.period_id.in_([p.id for p in ctx.periods]))))
    values = await info.context.loaders.by_id(models.MarkValue).load_many(
        [r.value_id for r in rows if r.value_id])
    value_of = {v.id: ScaleValue.from_model(v) for v in values if v is not None}
    by_key = {(r.student_id, r.period_id): r for r in rows}
    out: dict[uuid.UUID, YearOutcome] = {}
    for student_id in student_ids:
        results = []
        for p in ctx.periods:
            r = by_key.get((student_id, p.id))
            results.append(PeriodResult(p.name, r.state if r else None,
                                        value_of.get(r.value_id) if r and r.value_id else None))
        out[student_id] = year_grade(results, ctx.scale, ctx.threshold)
    return out


def suggest(grade: models.Grade, outcome: YearOutcome) -> None:
    grade.suggested_value_id = outcome.value.id if outcome.value else None
    grade.suggested_average = outcome.average


async def set_year_grade(info: Info, input: SetYearGradeInput) -> models.Grade:
    session = info.context.session
    group = await grading_group(info, input.group_id, "input.groupId")
    await require_year_writable(session, group.school_id, group.academic_year_id,
                                "input.groupId")
    errors: list[Problem] = []
    ctx = await year_context(info, group, None, None, errors)
    student_id = decode_student("input.studentId", input.student_id, errors)
    if ctx is not None and student_id is not None and not await member_ids(
            session, group, ctx.year.starts_on, ctx.year.ends_on, student_id):
        errors.append(Problem(field="input.studentId", code=ErrorCode.NOT_FOUND,
                                message="no such student in the group during the year"))
    decision = check_decision(input, ctx.scale if ctx else None,
                              ctx.periods[-1].ends_on if ctx else date.max, errors)
    raise_all(errors)
    assert ctx is not None and student_id is not None
    await check_year_lock(info, ctx)
    existing = (await existing_grades(session, group, models.GradeKind.YEAR, None,
                                      [student_id])).get(student_id)
    check_version(existing, input.expected_version, {v.id: v.label for v in ctx.scale.values})
    outcome = (await year_outcomes(info, ctx, [student_id]))[student_id]
    grade = existing or new_grade(group, student_id, models.GradeKind.YEAR, None)
    before = audit.snapshot(existing) if existing else None
    apply_decision(info, grade, group, decision)
    suggest(grade, outcome)
    if existing is None:
        session.add(grade)
    await session.flush()
    await audit.record(session, actor(info, group.school_id), change(grade, before))
    return grade


@dataclass
class YearGradesResult:
    grades: list[models.Grade]
    gaps: list[tuple[uuid.UUID, str]]


async def set_year_grades(info: Info, input: SetYearGradesInput) -> YearGradesResult:
    session = info.context.session
    group = await grading_group(info, input.group_id, "input.groupId")
    errors: list[Problem] = []
    ctx = await year_context(info, group, "input.academicYearId", input.academic_year_id,
                             errors)
    raise_all(errors)
    assert ctx is not None
    await require_year_writable(session, group.school_id, ctx.year.id, "input.academicYearId")
    await check_year_lock(info, ctx)
    students = await member_ids(session, group, ctx.year.starts_on, ctx.year.ends_on)
    outcomes = await year_outcomes(info, ctx, students)
    existing = await existing_grades(session, group, models.GradeKind.YEAR, None, students)
    result = YearGradesResult([], [])
    befores: list[tuple[models.Grade, dict[str, Any] | None]] = []
    for student_id in students:
        outcome, grade = outcomes[student_id], existing.get(student_id)
        if outcome.state is None:
            result.gaps.append((student_id, outcome.gap or "incomplete"))
            continue
        before = audit.snapshot(grade) if grade else None
        if grade is None or input.overwrite:
            grade = grade or new_grade(group, student_id, models.GradeKind.YEAR, None)
            apply_decision(info, grade, group, Decision(outcome.state, outcome.value, None,
                                                        None))
            session.add(grade)
        elif (grade.suggested_value_id, grade.suggested_average) == (
                outcome.value.id if outcome.value else None, outcome.average):
            result.grades.append(grade)
            continue
        else:
            grade.version += 1
        suggest(grade, outcome)
        befores.append((grade, before))
        result.grades.append(grade)
    await session.flush()
    await audit.record(session, actor(info, group.school_id),
                       *(change(grade, before) for grade, before in befores))
    return result
