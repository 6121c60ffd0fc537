"""Students' exam results (`setExamResults`): rows of `grades` of kind EXAM, one per student,
subject, year and exam kind, with a test score where the kind has one.

Who: an administrator for every kind; the group's teachers for an intermediate exam
(переводной экзамен, which the subject teacher holds and marks), not for a state exam (ГИА:
ОГЭ/ЕГЭ results come from the regional processing centre, and the administration enters
them). What, per result (the states of period grades, regulation 5.7):
- graded: a value of the exam kind's grading system, and optionally the test score, from 0 to
  the kind's maximum (two decimals at most; refused for a kind without a test score);
- deferred (to a reserve day or a retake): the reason and the date, after the end of the
  group's last period;
- not attested, exempt: neither value nor score.
The exam kind must be held in the group's grade level (its `gradeLevels`, empty: any). The
results are of the group's year: nothing is written into an archived year, and once the
group's last period is closed only an administrator may change them. All or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor
from resolvers.grades.closing import require_period_open, require_year_writable
from resolvers.grades.writes import (
    GradeChoice,
    apply_decision,
    change,
    check_decision,
    grading_group,
    group_periods,
    member_ids,
    new_grade,
    raise_all,
)
from resolvers.grading.conversion import load_scales
from resolvers.grading.uses import grade_levels
from resolvers.input_ids import Id, collect
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.errors import ErrorCode, Problem
from tenants.rules import is_admin

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExamResult:
    student_id: Id
    choice: GradeChoice
    test_score: float | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ExamResultsRequest:
    group_id: uuid.UUID
    exam_kind_id: Id
    results: list[ExamResult]


async def exam_kind_of_school(session: AsyncSession, school_id: uuid.UUID, ref: Id,
                              field: str, errors: list[Problem]) -> models.ExamKind | None:
    """The exam kind named by the client, in the school (another school's is NOT_FOUND)."""
    kind_id = collect(ref, errors)
    if kind_id is None:
        return None
    k = models.ExamKind
    row = await session.scalar(select(k).where(k.school_id == school_id, k.id == kind_id))
    if row is None:
        errors.append(Problem(field=field, code=ErrorCode.NOT_FOUND,
                              message="no such exam kind in the school"))
    return row


def _score(value: float, kind: models.ExamKind, field: str, errors: list[Problem]
           ) -> Decimal | None:
    if kind.max_test_score is None:
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                              message=f"«{kind.name}» has no test score"))
        return None
    try:
        score = Decimal(repr(value))
    except (InvalidOperation, ValueError):
        score = Decimal("NaN")
    if not score.is_finite():
        errors.append(Problem(field=field, code=ErrorCode.INVALID, message="is not a number"))
        return None
    if score != score.quantize(CENT):
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                              message="may have at most two decimal places"))
        return None
    if not 0 <= score <= kind.max_test_score:
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                              message=f"must be from 0 to {kind.max_test_score}, the maximum "
                                      f"of «{kind.name}»"))
        return None
    return score.quantize(CENT)


def _at(prefix: str, problems: list[Problem]) -> list[Problem]:
    """The problems of one result, their `input.` paths moved under `prefix`."""
    out = []
    for p in problems:
        message = p.message.replace("the end of the period", "the end of the group's last "
                                                            "period")
        field = prefix + p.field.removeprefix("input.") if p.field else p.field
        out.append(Problem(field=field, code=p.code, message=message))
    return out


async def existing_results(session: AsyncSession, group: models.StudyGroup,
                           kind: models.ExamKind, student_ids: list[uuid.UUID]
                           ) -> dict[uuid.UUID, models.Grade]:
    """The results already given for the kind, by student, locked until the end of the
    transaction."""
    g = models.Grade
    rows = await session.scalars(
        select(g).where(g.school_id == group.school_id, g.student_id.in_(student_ids),
                        g.subject_id == group.subject_id,
                        g.academic_year_id == group.academic_year_id,
                        g.kind == models.GradeKind.EXAM, g.exam_kind_id == kind.id)
        .order_by(g.id).with_for_update())
    return {r.student_id: r for r in rows}


async def set_exam_results(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                           input: ExamResultsRequest, *, actor: ActorFor
                           ) -> list[models.Grade]:
    group = await grading_group(session, access, input.group_id, "input.groupId")
    school_id = group.school_id
    await require_year_writable(session, school_id, group.academic_year_id, "input.groupId")
    errors: list[Problem] = []
    kind = await exam_kind_of_school(session, school_id, input.exam_kind_id,
                                     "input.examKindId", errors)
    periods = await group_periods(session, group)
    if not periods:
        errors.append(Problem(field="input.groupId", code=ErrorCode.INVALID,
                              message="the group's grade level has no period scheme"))
    if kind is not None:
        if kind.level == models.ExamLevel.STATE and not is_admin(access, school_id):
            errors.append(Problem(field="input.examKindId", code=ErrorCode.FORBIDDEN,
                                  message="results of a state exam (ГИА) are entered by an "
                                          "administrator"))
        level = (await grade_levels(session, [group])).get(group.id)
        if kind.grade_levels and level not in kind.grade_levels:
            held = ", ".join(map(str, kind.grade_levels))
            errors.append(Problem(field="input.examKindId", code=ErrorCode.INVALID,
                                  message=f"«{kind.name}» is held in grade levels {held}, "
                                          f"not in {level}"))
    scale = (await load_scales(loaders, [kind.system_id])).get(kind.system_id) \
        if kind is not None else None
    if kind is not None and (scale is None or not scale.values):
        errors.append(Problem(field="input.examKindId", code=ErrorCode.INVALID,
                              message=f"the grading system of «{kind.name}» has no values"))
        scale = None
    if not input.results:
        errors.append(Problem(field="input.results", code=ErrorCode.REQUIRED,
                              message="give at least one result"))
    year = await session.scalar(select(models.AcademicYear).where(
        models.AcademicYear.school_id == school_id,
        models.AcademicYear.id == group.academic_year_id))
    assert year is not None
    members = set(await member_ids(session, group, year.starts_on, year.ends_on))
    last_day = periods[-1].ends_on if periods else year.ends_on
    wanted: list[tuple[int, uuid.UUID, Any, Decimal | None, ExamResult]] = []
    seen: set[uuid.UUID] = set()
    for n, result in enumerate(input.results):
        prefix = f"input.results.{n}."
        own: list[Problem] = []
        student_id = collect(result.student_id, own)
        if student_id is not None:
            if student_id not in members:
                own.append(Problem(field="input.studentId", code=ErrorCode.NOT_FOUND,
                                   message="no such student in the group during the year"))
            elif student_id in seen:
                own.append(Problem(field="input.studentId", code=ErrorCode.DUPLICATE,
                                   message="the student has another result in this input"))
            seen.add(student_id)
        decision = check_decision(result.choice, scale, last_day, own)
        score = None
        if result.test_score is not None:
            if decision.state != models.GradeState.GRADED:
                own.append(Problem(field="input.testScore", code=ErrorCode.INVALID,
                                   message="only a graded result has a test score"))
            elif kind is not None:
                score = _score(result.test_score, kind, "input.testScore", own)
        errors += _at(prefix, own)
        if student_id is not None:
            wanted.append((n, student_id, decision, score, result))
    raise_all(errors)
    assert kind is not None and periods
    await require_period_open(session, access, school_id, group.id, last_day, "input.groupId")
    existing = await existing_results(session, group, kind, [w[1] for w in wanted])
    labels = {v.id: v.label for v in scale.values} if scale else {}
    for n, student_id, _, _, result in wanted:
        if result.expected_version is None:
            continue
        row = existing.get(student_id)
        current = row.version if row else 0
        if current != result.expected_version:
            now = "not set" if row is None else labels.get(
                row.value_id, row.state.value.replace("_", " ")) if row.value_id \
                else row.state.value.replace("_", " ")
            errors.append(Problem(field=f"input.results.{n}.expectedVersion",
                                  code=ErrorCode.CONFLICT,
                                  message=f"the result changed since it was read: it is now "
                                          f"{now} (version {current})"))
    raise_all(errors)
    written: list[tuple[models.Grade, dict[str, Any] | None]] = []
    for _, student_id, decision, score, _ in wanted:
        row = existing.get(student_id)
        before = audit.snapshot(row) if row else None
        grade = row or new_grade(group, student_id, models.GradeKind.EXAM, None)
        grade.exam_kind_id = kind.id
        apply_decision(access, grade, group, decision)
        grade.test_score = score
        if row is None:
            session.add(grade)
        written.append((grade, before))
    await session.flush()
    await audit.record(session, actor(school_id),
                       *(change(grade, before) for grade, before in written))
    return [grade for grade, _ in written]
