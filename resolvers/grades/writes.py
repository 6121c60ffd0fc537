"""Writing period grades (`setPeriodGrade`), and the checks year grades share
(resolvers/grades/year.py).

Who: the group's teachers and the school's administrators. What (regulation 5.7):
- graded needs a value, a label of the grading system that applies to the group (a pass/fail
  subject has its own system, as grading_uses decides);
- deferred (отсрочка) needs a reason and the date by which the grade must be set, after the
  end of the period (of the last period for a year grade);
- not attested and exempt carry neither;
- a group taught without marks (безотметочное обучение) takes no period or year grade in any
  state: its students are not attested.
The suggestion (resolvers/grading/averages.py: the rounded average for a period grade, the school's
rule over the period grades for a year grade) is computed and stored beside the grade.
A period grade of a closed period, or a year grade once the last period is closed, may be
changed by an administrator only; nothing is written into an archived year.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor, Change
from resolvers.grades.closing import require_period_open, require_year_writable
from resolvers.grading.averages import school_rules, student_average
from resolvers.grading.conversion import Scale, ScaleValue, load_scales
from resolvers.grading.uses import grade_levels, systems_for_groups
from resolvers.grading.without_marks import require_graded_group
from resolvers.input_ids import Id, collect
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found, refusal
from tenants.rules import is_admin, teaches

State = models.GradeState
MAX_REASON = 500



@dataclass(frozen=True)
class GradeChoice:
    """The state of a grade and its fields, as the client sent them."""

    state: models.GradeState
    value: str | None = None
    deferred_reason: str | None = None
    deferred_until: date | None = None


@dataclass(frozen=True)
class PeriodGradeRequest:
    group_id: uuid.UUID
    period_id: Id
    student_id: Id
    choice: GradeChoice
    expected_version: int | None = None


def may_grade(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """Period and year grades of a group: its teachers and the school's administrators."""
    return is_admin(access, school_id) or teaches(access, school_id, group_id)


async def grading_group(session: AsyncSession, access: AccessContext, group_id: uuid.UUID,
                        field: str) -> models.StudyGroup:
    """The group named by the client, if the viewer may grade it: a group of a school the
    viewer is no member of is NOT_FOUND like one that does not exist; a member who neither
    teaches it nor administers the school is FORBIDDEN; a group taught without marks takes
    no grade at all (INVALID, resolvers/grading/without_marks.py)."""
    group = await session.scalar(
        select(models.StudyGroup).where(models.StudyGroup.id == group_id))
    if group is None or access.membership(group.school_id) is None:
        raise not_found(field, "study group")
    if not may_grade(access, group.school_id, group.id):
        raise forbidden(field, "only a teacher of the group or an administrator may set its "
                               "grades")
    await require_graded_group(session, group, field)
    return group


async def group_periods(session: AsyncSession, group: models.StudyGroup) -> list[models.Period]:
    """The periods of the scheme the group's grade level uses in its year (the year's only
    scheme when the grade level has none), in order; empty when that is ambiguous."""
    level = (await grade_levels(session, [group])).get(group.id)
    scheme_ids = list(await session.scalars(
        select(models.GradeLevelScheme.scheme_id).where(
            models.GradeLevelScheme.school_id == group.school_id,
            models.GradeLevelScheme.academic_year_id == group.academic_year_id,
            models.GradeLevelScheme.grade_level == level)))
    if not scheme_ids:
        scheme_ids = list(await session.scalars(select(models.PeriodScheme.id).where(
            models.PeriodScheme.school_id == group.school_id,
            models.PeriodScheme.academic_year_id == group.academic_year_id)))
    if len(scheme_ids) != 1:
        return []
    return list(await session.scalars(
        select(models.Period).where(models.Period.school_id == group.school_id,
                                    models.Period.scheme_id == scheme_ids[0])
        .order_by(models.Period.ordinal)))


async def member_ids(session: AsyncSession, group: models.StudyGroup, first: date, last: date,
                     student_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Students who were members of the group on some day from `first` to `last`, by name."""
    gm, p = models.GroupMembership, models.Person
    stmt = (select(gm.student_id)
            .join(p, (p.school_id == gm.school_id) & (p.id == gm.student_id))
            .where(gm.school_id == group.school_id, gm.group_id == group.id,
                   gm.starts_on <= last, or_(gm.ends_on.is_(None), gm.ends_on >= first))
            .group_by(gm.student_id, p.last_name, p.first_name)
            .order_by(p.last_name, p.first_name, gm.student_id))
    if student_id is not None:
        stmt = stmt.where(gm.student_id == student_id)
    return list(await session.scalars(stmt))


async def group_scale(session: AsyncSession, loaders: RowLoaders, group: models.StudyGroup,
                      errors: list[Problem]) -> Scale | None:
    system_id = (await systems_for_groups(session, [group])).get(group.id)
    scale = (await load_scales(loaders, [system_id])).get(system_id) \
        if system_id else None
    if scale is None or not scale.values:
        errors.append(Problem(field="input.groupId", code=ErrorCode.INVALID,
                                message="no grading system applies to the group: configure "
                                        "one (setGradingSystemUse) first"))
        return None
    return scale


@dataclass
class Decision:
    state: models.GradeState
    value: ScaleValue | None
    reason: str | None
    until: date | None


def check_decision(choice: GradeChoice, scale: Scale | None, after: date,
                   errors: list[Problem]) -> Decision:
    """The state and its fields, every problem collected."""
    state = models.GradeState(choice.state)
    value: ScaleValue | None = None
    if state == State.GRADED:
        label = (choice.value or "").strip()
        if not label:
            errors.append(Problem(field="input.value", code=ErrorCode.REQUIRED,
                                    message="a graded grade needs a value"))
        elif scale is not None:
            value = scale.by_label(label)
            if value is None:
                allowed = ", ".join(v.label for v in scale.values)
                errors.append(Problem(field="input.value", code=ErrorCode.INVALID,
                                        message=f"«{label}» is not a value of «{scale.name}»; "
                                                f"allowed: {allowed}"))
    elif choice.value is not None:
        errors.append(Problem(field="input.value", code=ErrorCode.INVALID,
                                message=f"only a graded grade has a value, not a "
                                        f"{state.value.replace('_', ' ')} one"))
    reason = (choice.deferred_reason or "").strip() or None
    if state == State.DEFERRED:
        if reason is None:
            errors.append(Problem(field="input.deferredReason", code=ErrorCode.REQUIRED,
                                    message="a deferral needs its reason (e.g. illness)"))
        elif len(reason) > MAX_REASON:
            errors.append(Problem(field="input.deferredReason", code=ErrorCode.INVALID,
                                    message=f"must be at most {MAX_REASON} characters"))
        if choice.deferred_until is None:
            errors.append(Problem(field="input.deferredUntil", code=ErrorCode.REQUIRED,
                                    message="a deferral needs the date by which the grade "
                                            "must be set"))
        elif choice.deferred_until <= after:
            errors.append(Problem(field="input.deferredUntil", code=ErrorCode.OUT_OF_RANGE,
                                    message=f"must be after {after.isoformat()}, the end of "
                                            "the period"))
    else:
        for name, given in (("deferredReason", choice.deferred_reason),
                            ("deferredUntil", choice.deferred_until)):
            if given is not None:
                errors.append(Problem(field=f"input.{name}", code=ErrorCode.INVALID,
                                        message="only a deferred grade has a "
                                                f"{'reason' if 'Reason' in name else 'date'}"))
    return Decision(state, value, reason if state == State.DEFERRED else None,
                    choice.deferred_until if state == State.DEFERRED else None)


def raise_all(errors: list[Problem]) -> None:
    if errors:
        raise DomainError(*errors)


async def existing_grades(session: AsyncSession, group: models.StudyGroup,
                          kind: models.GradeKind, period_id: uuid.UUID | None,
                          student_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, models.Grade]:
    """The grades already set (locked until the end of the transaction), by student."""
    g = models.Grade
    rows = await session.scalars(
        select(g).where(g.school_id == group.school_id, g.student_id.in_(student_ids),
                        g.subject_id == group.subject_id,
                        g.academic_year_id == group.academic_year_id, g.kind == kind,
                        g.period_id == period_id if period_id else g.period_id.is_(None))
        .order_by(g.id).with_for_update())
    return {r.student_id: r for r in rows}


def check_version(existing: models.Grade | None, expected: int | None,
                  labels: dict[uuid.UUID, str]) -> None:
    if expected is None:
        return
    current = existing.version if existing else 0
    if current != expected:
        now = "not set" if existing is None else (
            labels.get(existing.value_id, existing.state.value) if existing.value_id
            else existing.state.value.replace("_", " "))
        raise refusal("input.expectedVersion", ErrorCode.CONFLICT,
                         f"the grade changed since it was read: it is now {now} "
                         f"(version {current})")


def new_grade(group: models.StudyGroup, student_id: uuid.UUID, kind: models.GradeKind,
              period_id: uuid.UUID | None) -> models.Grade:
    return models.Grade(school_id=group.school_id, id=uuid.uuid4(),
                        academic_year_id=group.academic_year_id, student_id=student_id,
                        subject_id=group.subject_id, kind=kind, period_id=period_id, version=0)


def apply_decision(access: AccessContext, grade: models.Grade, group: models.StudyGroup,
                   decision: Decision) -> None:
    grade.group_id = group.id
    grade.state = decision.state
    grade.value_id = decision.value.id if decision.value else None
    grade.deferred_reason = decision.reason
    grade.deferred_until = decision.until
    grade.set_by_id = access.person_id(group.school_id)
    grade.set_at = datetime.now(UTC)
    grade.version = (grade.version or 0) + 1


def change(grade: models.Grade, before: dict[str, Any] | None) -> Change:
    return Change(school_id=grade.school_id, action="update" if before else "create",
                  entity="grades", entity_id=grade.id, before=before,
                  after=audit.snapshot(grade))


async def set_period_grade(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                           input: PeriodGradeRequest, *, actor: ActorFor) -> models.Grade:
    group = await grading_group(session, access, input.group_id, "input.groupId")
    await require_year_writable(session, group.school_id, group.academic_year_id,
                                "input.groupId")
    errors: list[Problem] = []
    periods = await group_periods(session, group)
    period: models.Period | None = None
    period_id = collect(input.period_id, errors)
    if period_id is not None:
        period = next((p for p in periods if p.id == period_id), None)
        if period is None:
            errors.append(Problem(field="input.periodId", code=ErrorCode.NOT_FOUND,
                                  message="no such period in the group's period scheme"))
    student_id = collect(input.student_id, errors)
    if period is not None and student_id is not None and not await member_ids(
            session, group, period.starts_on, period.ends_on, student_id):
        errors.append(Problem(field="input.studentId", code=ErrorCode.NOT_FOUND,
                                message="no such student in the group during the period"))
    scale = await group_scale(session, loaders, group, errors)
    decision = check_decision(input.choice, scale, period.ends_on if period else date.max,
                              errors)
    raise_all(errors)
    assert period is not None and student_id is not None and scale is not None
    await require_period_open(session, access, group.school_id, group.id,
                              period.ends_on, "input.periodId")
    existing = (await existing_grades(session, group, models.GradeKind.PERIOD, period.id,
                                      [student_id])).get(student_id)
    check_version(existing, input.expected_version, {v.id: v.label for v in scale.values})
    rules = await school_rules(session, group.school_id)
    average = await student_average(session, loaders, group=group,
                                    student_id=student_id, period=period, system_id=scale.id,
                                    threshold=rules.rounding_threshold)
    grade = existing or new_grade(group, student_id, models.GradeKind.PERIOD, period.id)
    before = audit.snapshot(existing) if existing else None
    apply_decision(access, grade, group, decision)
    grade.suggested_value_id = average.suggested.id if average.suggested else None
    grade.suggested_average = (average.native_average if average.native_average is not None
                               else average.axis_average)
    if existing is None:
        session.add(grade)
    await session.flush()
    await audit.record(session, actor(group.school_id), change(grade, before))
    return grade
