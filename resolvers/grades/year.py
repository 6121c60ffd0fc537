"""Writing year grades (годовые оценки): `setYearGrades` computes them from the period grades
by the school's rule (resolvers/grading/averages.py), `setYearGrade` overrides one.

A year grade belongs to the group's last period: once that period is closed only an
administrator may change it, and nothing is written into an archived year. The computed grade
is stored beside every year grade as its suggestion; `setYearGrades` replaces grades already
set only with `overwrite`, otherwise it refreshes their suggestion.

The year-grade rule (issue 15): no year grade while a period it sums is open
(`closing.is_open`: not closed) and the student has no period grade in a final state there
(graded, not attested or exempt; a deferred grade is not final). `setYearGrade` refuses it,
naming the periods; `setYearGrades` cannot compute one then (the school's rule needs every
period) and reports the student as a gap. An administrator may override `setYearGrade` with a
reason, recorded in the audit log beside the grade's change; a teacher may not. A deferral of
the year grade (отсрочка) is not a grade and is not refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor, Change
from resolvers.grades.closing import is_open, require_period_open, require_year_writable
from resolvers.grades.writes import (
    Decision,
    GradeChoice,
    apply_decision,
    change,
    check_decision,
    check_version,
    existing_grades,
    grading_group,
    group_periods,
    group_scale,
    member_ids,
    new_grade,
    raise_all,
)
from resolvers.grading.averages import (
    YEAR_RULES,
    PeriodResult,
    YearOutcome,
    school_rules,
    year_grade,
)
from resolvers.grading.conversion import Scale, ScaleValue
from resolvers.input_ids import Id, collect
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.errors import ErrorCode, Problem, refusal
from tenants.rules import may_override_year_grade_rule

# Period grades a year grade may rest on; a deferred one is still to come.
FINAL_STATES = frozenset({models.GradeState.GRADED, models.GradeState.NOT_ATTESTED,
                          models.GradeState.EXEMPT})
MAX_OVERRIDE_REASON = 500


@dataclass(frozen=True)
class YearGradeOverride:
    """An administrator's decision to set a year grade despite the year-grade rule."""

    reason: str


@dataclass(frozen=True)
class YearGradeRequest:
    group_id: uuid.UUID
    student_id: Id
    choice: GradeChoice
    expected_version: int | None = None
    override: YearGradeOverride | None = None


@dataclass(frozen=True)
class YearGradesRequest:
    group_id: uuid.UUID
    academic_year_id: Id
    overwrite: bool = False


@dataclass
class YearContext:
    group: models.StudyGroup
    year: models.AcademicYear
    periods: list[models.Period]
    scale: Scale
    threshold: Decimal


async def year_context(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                       group: models.StudyGroup, year_field: str | None,
                       year_ref: Id | None, errors: list[Problem]
                       ) -> YearContext | None:
    """The year, periods, scale and rules a year grade of the group needs; `year_ref` is the
    year the client named on `year_field` (None: the group's own)."""
    year: models.AcademicYear | None = None
    if year_ref is not None:
        year_id = collect(year_ref, errors)
        if year_id is not None:
            year = await session.scalar(select(models.AcademicYear).where(
                models.AcademicYear.id == year_id))
            if year is None or access.membership(year.school_id) is None:
                errors.append(Problem(field=year_field, code=ErrorCode.NOT_FOUND,
                                      message="no such academic year"))
                year = None
            elif year.id != group.academic_year_id:
                errors.append(Problem(field=year_field, code=ErrorCode.INVALID,
                                      message="is not the academic year of the group"))
                year = None
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
    scale = await group_scale(session, loaders, group, errors)
    if year is None or scale is None or not periods or errors:
        return None
    return YearContext(group, year, periods, scale, rules.rounding_threshold)


async def check_year_lock(session: AsyncSession, access: AccessContext, ctx: YearContext
                          ) -> None:
    """A year grade belongs to the last period: closing it locks the year grades too."""
    await require_period_open(session, access, ctx.group.school_id, ctx.group.id,
                              ctx.periods[-1].ends_on, "input.groupId")


PeriodGrades = dict[tuple[uuid.UUID, uuid.UUID], models.Grade]


async def period_grades(session: AsyncSession, ctx: YearContext,
                        student_ids: Sequence[uuid.UUID]) -> PeriodGrades:
    """The students' period grades in the subject, by (student, period)."""
    g, group = models.Grade, ctx.group
    rows = await session.scalars(select(g).where(
        g.school_id == group.school_id, g.student_id.in_(student_ids),
        g.subject_id == group.subject_id, g.academic_year_id == group.academic_year_id,
        g.kind == models.GradeKind.PERIOD,
        g.period_id.in_([p.id for p in ctx.periods])))
    return {(r.student_id, r.period_id): r for r in rows if r.period_id is not None}


def open_ungraded(ctx: YearContext, grades: PeriodGrades, student_id: uuid.UUID
                  ) -> list[str]:
    """The year-grade rule: the periods that stand in the way of the student's year grade,
    each as «name» and why (open, and no grade or a deferred one)."""
    out = []
    for p in ctx.periods:
        grade = grades.get((student_id, p.id))
        if not is_open(p) or (grade is not None and grade.state in FINAL_STATES):
            continue
        why = ("no grade" if grade is None else
               f"deferred until {grade.deferred_until.isoformat()}" if grade.deferred_until
               else grade.state.value.replace("_", " "))
        out.append(f"«{p.name}» ({why})")
    return out


def check_override(access: AccessContext, group: models.StudyGroup,
                   override: YearGradeOverride | None, errors: list[Problem]) -> str | None:
    """The reason of an administrator's override, every problem collected."""
    if override is None:
        return None
    if not may_override_year_grade_rule(access, group.school_id):
        errors.append(Problem(field="input.override", code=ErrorCode.FORBIDDEN,
                              message="only an administrator may override the year-grade "
                                      "rule"))
        return None
    reason = override.reason.strip()
    if not reason:
        errors.append(Problem(field="input.override.reason", code=ErrorCode.REQUIRED,
                              message="an override needs its reason"))
    elif len(reason) > MAX_OVERRIDE_REASON:
        errors.append(Problem(field="input.override.reason", code=ErrorCode.INVALID,
                              message=f"must be at most {MAX_OVERRIDE_REASON} characters"))
    return reason or None


async def year_outcomes(session: AsyncSession, loaders: RowLoaders, ctx: YearContext,
                        student_ids: Sequence[uuid.UUID],
                        grades: PeriodGrades | None = None) -> dict[uuid.UUID, YearOutcome]:
    """The school's rule over each student's period grades in the subject."""
    by_key = grades if grades is not None else await period_grades(session, ctx, student_ids)
    rows = list(by_key.values())
    values = await loaders.by_id(models.MarkValue).load_many(
        [r.value_id for r in rows if r.value_id])
    value_of = {v.id: ScaleValue.from_model(v) for v in values if v is not None}
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


async def set_year_grade(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                         input: YearGradeRequest, *, actor: ActorFor) -> models.Grade:
    group = await grading_group(session, access, input.group_id, "input.groupId")
    await require_year_writable(session, group.school_id, group.academic_year_id,
                                "input.groupId")
    errors: list[Problem] = []
    ctx = await year_context(session, access, loaders, group, None, None, errors)
    student_id = collect(input.student_id, errors)
    if ctx is not None and student_id is not None and not await member_ids(
            session, group, ctx.year.starts_on, ctx.year.ends_on, student_id):
        errors.append(Problem(field="input.studentId", code=ErrorCode.NOT_FOUND,
                                message="no such student in the group during the year"))
    decision = check_decision(input.choice, ctx.scale if ctx else None,
                              ctx.periods[-1].ends_on if ctx else date.max, errors)
    reason = check_override(access, group, input.override, errors)
    raise_all(errors)
    assert ctx is not None and student_id is not None
    await check_year_lock(session, access, ctx)
    existing = (await existing_grades(session, group, models.GradeKind.YEAR, None,
                                      [student_id])).get(student_id)
    check_version(existing, input.expected_version, {v.id: v.label for v in ctx.scale.values})
    grades = await period_grades(session, ctx, [student_id])
    blocking = open_ungraded(ctx, grades, student_id)
    if blocking and decision.state != models.GradeState.DEFERRED and reason is None:
        raise refusal("input.studentId", ErrorCode.INVALID,
                      "no year grade while a period it sums is open and the student has no "
                      "final grade for it: " + ", ".join(blocking) + "; set the period "
                      "grades first (or defer the year grade); an administrator may "
                      "override with a reason (input.override)")
    outcome = (await year_outcomes(session, loaders, ctx, [student_id], grades))[student_id]
    grade = existing or new_grade(group, student_id, models.GradeKind.YEAR, None)
    before = audit.snapshot(existing) if existing else None
    apply_decision(access, grade, group, decision)
    suggest(grade, outcome)
    if existing is None:
        session.add(grade)
    await session.flush()
    changes = [change(grade, before)]
    if reason is not None:
        # The override is its own audit entry, so the grade's change reads like any other.
        changes.append(Change(school_id=grade.school_id, action="override", entity="grades",
                              entity_id=grade.id, after={
                                  "rule": "year grade with an open, ungraded period",
                                  "reason": reason, "open_periods": blocking}))
    await audit.record(session, actor(group.school_id), *changes)
    return grade


@dataclass
class YearGradesResult:
    grades: list[models.Grade]
    gaps: list[tuple[uuid.UUID, str]]


async def set_year_grades(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                          input: YearGradesRequest, *, actor: ActorFor) -> YearGradesResult:
    group = await grading_group(session, access, input.group_id, "input.groupId")
    errors: list[Problem] = []
    ctx = await year_context(session, access, loaders, group, "input.academicYearId",
                             input.academic_year_id, errors)
    raise_all(errors)
    assert ctx is not None
    await require_year_writable(session, group.school_id, ctx.year.id, "input.academicYearId")
    await check_year_lock(session, access, ctx)
    students = await member_ids(session, group, ctx.year.starts_on, ctx.year.ends_on)
    outcomes = await year_outcomes(session, loaders, ctx, students)
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
            apply_decision(access, grade, group, Decision(outcome.state, outcome.value, None,
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
    await audit.record(session, actor(group.school_id),
                       *(change(grade, before) for grade, before in befores))
    return result
