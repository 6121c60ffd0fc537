"""The final grade of a subject (итоговая отметка): the rule, its explanation, and the writes
`setFinalGrades` (computes a group's) and `setFinalGrade` (an administrator's override).

The rule, one for every school and grade level (docs/results.md "Exams and final grades"); the
exam kinds say which exams take part (`counts_in_final`: ОГЭ does, ЕГЭ does not):

1. No year grade, or a deferred one: no final grade yet (refused, or a gap in a group's run).
2. The year grade not attested: the final grade is not attested; exempt: exempt.
3. The exam results of the subject and year whose kind counts in the final grade: one
   deferred, no final grade yet; one not attested, the final grade is not attested; exempt
   ones do not count.
4. No graded exam counts: the final grade is the year grade.
5. Otherwise, in a system with numbers: the mean of the year grade's number and each counted
   exam grade's number in the year grade's system (a grade of another system: its axis point
   read on the system's scale, as averages do), two decimals half up, rounded to a grade with
   the threshold 0.5 whatever the school's setting: a mean exactly between two grades goes to
   the higher one, in the student's favour ((4 + 5) / 2 = 4.50 → 5). In a system without
   numbers: the value whose range holds the mean of the axis points.

The computed grade is stored beside every final grade (`suggested_value_id`, the mean in
`suggested_average`); final grades are the administrator's: the computed one unless they set
another.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor
from resolvers.grades.closing import require_year_writable
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
from resolvers.grading.averages import Rounding, cents, number_in, round_to_grade
from resolvers.grading.conversion import Scale, ScaleValue, load_scales
from resolvers.grading.uses import systems_for_groups
from resolvers.grading.without_marks import groups_without_marks
from resolvers.input_ids import Id, collect
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.errors import ErrorCode, Problem, forbidden, refusal
from tenants.rules import is_admin

State = models.GradeState
IN_FAVOUR = Decimal("0.5")
RULE = ("final grade (итоговая отметка): no final grade while the year grade is missing or "
        "deferred; not attested or exempt as the year grade is; with exams whose kind counts "
        "in the final grade: none while one is deferred, not attested when one is, exempt "
        "ones left out; no graded exam counts: the year grade; otherwise the mean of the "
        "year grade's and the exam grades' numbers in the year grade's system, two decimals, "
        "rounded half up (in the student's favour: 4.50 → 5)")


@dataclass(frozen=True)
class GradeInput:
    """A year grade or exam result as the rule sees it."""

    grade_id: uuid.UUID
    state: models.GradeState
    value: ScaleValue | None


@dataclass(frozen=True)
class ExamInput(GradeInput):
    kind_name: str = ""
    counts_in_final: bool = True


@dataclass(frozen=True)
class ExplainedExam:
    exam: ExamInput
    counted: bool
    reason: str | None  # why it does not count
    number: Decimal | None  # its number in the year grade's system (counted, numeric)


@dataclass(frozen=True)
class FinalOutcome:
    state: models.GradeState | None  # None: no final grade yet, see `gap`
    value: ScaleValue | None = None
    year_number: Decimal | None = None
    mean: Decimal | None = None
    rounding: Rounding | None = None
    gap: str | None = None
    exams: list[ExplainedExam] = field(default_factory=list)
    summary: str = ""


def _explain_exam(exam: ExamInput, system: Scale) -> ExplainedExam:
    if not exam.counts_in_final:
        return ExplainedExam(exam, False, f"«{exam.kind_name}» does not count in the final "
                                          "grade", None)
    if exam.state != State.GRADED or exam.value is None:
        return ExplainedExam(exam, False, exam.state.value.replace("_", " "), None)
    return ExplainedExam(exam, True, None, number_in(system, exam.value))


def _shown(x: Decimal) -> str:
    return f"{x.normalize():f}" if x == x.to_integral_value() else f"{x}"


def final_grade(year: GradeInput | None, exams: Sequence[ExamInput], system: Scale
                ) -> FinalOutcome:
    """The rule of this module over one student's year grade and exam results."""
    explained = [_explain_exam(e, system) for e in sorted(exams, key=lambda e: e.kind_name)]
    if year is None:
        return FinalOutcome(None, gap="no year grade yet", exams=explained,
                            summary="no year grade yet: no final grade")
    if year.state == State.DEFERRED:
        return FinalOutcome(None, gap="the year grade is deferred", exams=explained,
                            summary="the year grade is deferred: no final grade yet")
    if year.state in (State.NOT_ATTESTED, State.EXEMPT):
        word = year.state.value.replace("_", " ")
        return FinalOutcome(year.state, exams=explained,
                            summary=f"the year grade is {word}: so is the final grade")
    assert year.value is not None
    year_number = number_in(system, year.value)
    counting = [x for x in explained if x.exam.counts_in_final]
    deferred = [x.exam.kind_name for x in counting if x.exam.state == State.DEFERRED]
    if deferred:
        names = ", ".join(f"«{n}»" for n in deferred)
        return FinalOutcome(None, year_number=year_number, exams=explained,
                            gap=f"the exam {names} is deferred",
                            summary=f"the exam {names} is deferred: no final grade yet")
    failed = [x.exam.kind_name for x in counting if x.exam.state == State.NOT_ATTESTED]
    if failed:
        names = ", ".join(f"«{n}»" for n in failed)
        return FinalOutcome(State.NOT_ATTESTED, year_number=year_number, exams=explained,
                            summary=f"not attested in the exam {names}: the final grade is "
                                    "not attested")
    counted = [x for x in explained if x.counted]
    if not counted:
        return FinalOutcome(State.GRADED, year.value, year_number, year_number,
                            exams=explained,
                            summary=f"no exam counts: the final grade is the year grade "
                                    f"{year.value.label}")
    if system.is_numeric:
        assert year_number is not None
        numbers = [year_number, *(x.number for x in counted if x.number is not None)]
        mean = cents(sum(numbers, Decimal(0)) / len(numbers))
        rounding = round_to_grade(system, mean, IN_FAVOUR)
        terms = " + ".join(_shown(n) for n in numbers)
        way = ("" if rounding.upper is None or rounding.fraction is None
               else " up" if rounding.result == rounding.upper else " down")
        return FinalOutcome(State.GRADED, rounding.result, year_number, mean, rounding,
                            exams=explained,
                            summary=f"({terms}) / {len(numbers)} = {mean} → rounded{way} "
                                    f"(half up, in the student's favour) to "
                                    f"{rounding.result.label}")
    points = [year.value.point, *(x.exam.value.point for x in counted if x.exam.value)]
    mean = cents(sum(points, Decimal(0)) / len(points))
    value = system.holding(mean)
    terms = " + ".join(_shown(p) for p in points)
    return FinalOutcome(State.GRADED, value, None, mean, exams=explained,
                        summary=f"axis points ({terms}) / {len(points)} = {mean}, which "
                                f"«{value.label}» holds")


# Reading the inputs, batched: a constant number of statements for a whole group.


Pair = tuple[uuid.UUID, uuid.UUID]  # (student, subject)


async def rule_inputs(session: AsyncSession, loaders: RowLoaders, school_id: uuid.UUID,
                      year_id: uuid.UUID, pairs: Sequence[Pair]
                      ) -> tuple[dict[Pair, GradeInput], dict[Pair, list[ExamInput]],
                                 dict[uuid.UUID, models.Grade]]:
    """Per (student, subject): the year grade, the exam results; and the rows read by id. Two
    statements however many pairs."""
    g, k = models.Grade, models.ExamKind
    wanted = set(pairs)
    rows = (await session.execute(
        select(g, k.name, k.counts_in_final)
        .outerjoin(k, (k.school_id == g.school_id) & (k.id == g.exam_kind_id))
        .where(g.school_id == school_id, g.student_id.in_({s for s, _ in wanted}),
               g.subject_id.in_({subject for _, subject in wanted}),
               g.academic_year_id == year_id,
               g.kind.in_([models.GradeKind.YEAR, models.GradeKind.EXAM]))
        .order_by(g.id))).all()
    rows = [r for r in rows if (r.Grade.student_id, r.Grade.subject_id) in wanted]
    values = await loaders.by_id(models.MarkValue).load_many(
        [r.Grade.value_id for r in rows if r.Grade.value_id])
    value_of = {v.id: ScaleValue.from_model(v) for v in values if v is not None}
    years: dict[Pair, GradeInput] = {}
    exams: dict[Pair, list[ExamInput]] = {pair: [] for pair in wanted}
    read: dict[uuid.UUID, models.Grade] = {}
    for row in rows:
        grade = row.Grade
        read[grade.id] = grade
        pair = (grade.student_id, grade.subject_id)
        value = value_of.get(grade.value_id) if grade.value_id else None
        if grade.kind == models.GradeKind.YEAR:
            years[pair] = GradeInput(grade.id, grade.state, value)
        else:
            exams[pair].append(ExamInput(grade.id, grade.state, value, kind_name=row.name,
                                         counts_in_final=row.counts_in_final))
    return years, exams, read


def _suggest(grade: models.Grade, outcome: FinalOutcome) -> None:
    grade.suggested_value_id = outcome.value.id if outcome.value else None
    grade.suggested_average = outcome.mean


def _require_admin(access: AccessContext, school_id: uuid.UUID, field: str) -> None:
    if not is_admin(access, school_id):
        raise forbidden(field, "final grades are set by an administrator of the school")


async def _final_group(session: AsyncSession, access: AccessContext, group_id: uuid.UUID
                       ) -> models.StudyGroup:
    group = await grading_group(session, access, group_id, "input.groupId")
    _require_admin(access, group.school_id, "input.groupId")
    await require_year_writable(session, group.school_id, group.academic_year_id,
                                "input.groupId")
    return group


async def _year(session: AsyncSession, school_id: uuid.UUID, year_id: uuid.UUID
                ) -> models.AcademicYear:
    year = await session.scalar(select(models.AcademicYear).where(
        models.AcademicYear.school_id == school_id, models.AcademicYear.id == year_id))
    assert year is not None
    return year


@dataclass(frozen=True)
class FinalGradesRequest:
    group_id: uuid.UUID | None = None
    class_id: uuid.UUID | None = None
    overwrite: bool = False


@dataclass
class FinalGradesResult:
    grades: list[models.Grade]
    gaps: list[tuple[uuid.UUID, uuid.UUID, str]]  # student, subject, why


async def _class_groups(session: AsyncSession, access: AccessContext, class_id: uuid.UUID
                        ) -> tuple[models.SchoolClass, list[models.StudyGroup]]:
    """The class's groups (whole class and subgroups) taught with marks, by name."""
    klass = await session.scalar(select(models.SchoolClass).where(
        models.SchoolClass.id == class_id))
    if klass is None or access.membership(klass.school_id) is None:
        raise refusal("input.classId", ErrorCode.NOT_FOUND, "no such class")
    _require_admin(access, klass.school_id, "input.classId")
    await require_year_writable(session, klass.school_id, klass.academic_year_id,
                                "input.classId")
    sg = models.StudyGroup
    groups = list(await session.scalars(select(sg).where(
        sg.school_id == klass.school_id, sg.class_id == klass.id).order_by(sg.name, sg.id)))
    without = await groups_without_marks(session, [grp.id for grp in groups])
    return klass, [grp for grp in groups if grp.id not in without]


async def _members(session: AsyncSession, groups: Sequence[models.StudyGroup],
                   year: models.AcademicYear) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each group's students during the year, by name: one statement for all the groups."""
    gm, p = models.GroupMembership, models.Person
    rows = (await session.execute(
        select(gm.group_id, gm.student_id)
        .join(p, (p.school_id == gm.school_id) & (p.id == gm.student_id))
        .where(gm.school_id == year.school_id, gm.group_id.in_([grp.id for grp in groups]),
               gm.starts_on <= year.ends_on,
               or_(gm.ends_on.is_(None), gm.ends_on >= year.starts_on))
        .group_by(gm.group_id, gm.student_id, p.last_name, p.first_name)
        .order_by(p.last_name, p.first_name, gm.student_id))).all()
    out: dict[uuid.UUID, list[uuid.UUID]] = {grp.id: [] for grp in groups}
    for row in rows:
        out[row.group_id].append(row.student_id)
    return out


async def _existing_finals(session: AsyncSession, school_id: uuid.UUID, year_id: uuid.UUID,
                           pairs: Sequence[Pair]) -> dict[Pair, models.Grade]:
    """The final grades already set, locked until the end of the transaction."""
    g, wanted = models.Grade, set(pairs)
    rows = await session.scalars(
        select(g).where(g.school_id == school_id, g.student_id.in_({s for s, _ in wanted}),
                        g.subject_id.in_({subject for _, subject in wanted}),
                        g.academic_year_id == year_id, g.kind == models.GradeKind.FINAL)
        .order_by(g.id).with_for_update())
    return {(r.student_id, r.subject_id): r for r in rows
            if (r.student_id, r.subject_id) in wanted}


async def set_final_grades(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                           input: FinalGradesRequest, *, actor: ActorFor) -> FinalGradesResult:
    """Compute the final grades of a group's students in its subject, or of a class's students
    in every subject its groups teach with marks; a student without a year grade (or with a
    deferred one, or a deferred exam) is a gap with its reason and gets none. The number of
    statements grows with the class's groups, not with its students."""
    if (input.group_id is None) == (input.class_id is None):
        raise refusal("input.groupId", ErrorCode.INVALID, "give either groupId or classId")
    if input.group_id is not None:
        groups = [await _final_group(session, access, input.group_id)]
        field = "input.groupId"
    else:
        assert input.class_id is not None
        _, groups = await _class_groups(session, access, input.class_id)
        field = "input.classId"
    result = FinalGradesResult([], [])
    if not groups:
        return result
    school_id = groups[0].school_id
    year = await _year(session, school_id, groups[0].academic_year_id)
    systems = await systems_for_groups(session, groups)
    scales = await load_scales(loaders, {s for s in systems.values() if s})
    scale_of: dict[uuid.UUID, Scale] = {}
    for grp in groups:
        system_id = systems.get(grp.id)
        scale = scales.get(system_id) if system_id else None
        if scale is None or not scale.values:
            raise refusal(field, ErrorCode.INVALID,
                          f"no grading system applies to «{grp.name}»: configure one "
                          "(setGradingSystemUse) first")
        scale_of[grp.id] = scale
    members = await _members(session, groups, year)
    # a student is graded once per subject, by the first group (by name) they studied it in
    plan: dict[Pair, models.StudyGroup] = {}
    for grp in groups:
        for student_id in members[grp.id]:
            plan.setdefault((student_id, grp.subject_id), grp)
    pairs = list(plan)
    years, exams, _ = await rule_inputs(session, loaders, school_id, year.id, pairs)
    existing = await _existing_finals(session, school_id, year.id, pairs)
    befores: list[tuple[models.Grade, dict[str, Any] | None]] = []
    for pair, grp in plan.items():
        outcome = final_grade(years.get(pair), exams[pair], scale_of[grp.id])
        grade = existing.get(pair)
        if outcome.state is None:
            result.gaps.append((pair[0], pair[1], outcome.gap or "incomplete"))
            continue
        before = audit.snapshot(grade) if grade else None
        if grade is None or input.overwrite:
            grade = grade or new_grade(grp, pair[0], models.GradeKind.FINAL, None)
            apply_decision(access, grade, grp, Decision(outcome.state, outcome.value, None,
                                                      None))
            session.add(grade)
        elif (grade.suggested_value_id, grade.suggested_average) == (
                outcome.value.id if outcome.value else None, outcome.mean):
            result.grades.append(grade)
            continue
        else:
            grade.version += 1
        _suggest(grade, outcome)
        befores.append((grade, before))
        result.grades.append(grade)
    await session.flush()
    await audit.record(session, actor(school_id),
                       *(change(grade, before) for grade, before in befores))
    return result


@dataclass(frozen=True)
class FinalGradeRequest:
    group_id: uuid.UUID
    student_id: Id
    choice: GradeChoice
    expected_version: int | None = None


async def set_final_grade(session: AsyncSession, access: AccessContext, loaders: RowLoaders,
                          input: FinalGradeRequest, *, actor: ActorFor) -> models.Grade:
    """An administrator sets one student's final grade; the computed one is kept beside."""
    group = await _final_group(session, access, input.group_id)
    errors: list[Problem] = []
    scale = await group_scale(session, loaders, group, errors)
    year = await _year(session, group.school_id, group.academic_year_id)
    periods = await group_periods(session, group)
    student_id = collect(input.student_id, errors)
    if student_id is not None and not await member_ids(
            session, group, year.starts_on, year.ends_on, student_id):
        errors.append(Problem(field="input.studentId", code=ErrorCode.NOT_FOUND,
                              message="no such student in the group during the year"))
        student_id = None
    last_day = periods[-1].ends_on if periods else year.ends_on
    decision = check_decision(input.choice, scale, last_day, errors)
    raise_all(errors)
    assert scale is not None and student_id is not None
    pair = (student_id, group.subject_id)
    years, exams, _ = await rule_inputs(session, loaders, group.school_id, year.id, [pair])
    outcome = final_grade(years.get(pair), exams[pair], scale)
    year_grade = years.get(pair)
    if year_grade is None or year_grade.state == State.DEFERRED:
        raise refusal("input.studentId", ErrorCode.INVALID,
                      f"{outcome.gap}: a final grade needs the student's year grade in the "
                      "subject first (setYearGrade)")
    existing = (await existing_grades(session, group, models.GradeKind.FINAL, None,
                                      [student_id])).get(student_id)
    check_version(existing, input.expected_version, {v.id: v.label for v in scale.values})
    grade = existing or new_grade(group, student_id, models.GradeKind.FINAL, None)
    before = audit.snapshot(existing) if existing else None
    apply_decision(access, grade, group, decision)
    _suggest(grade, outcome)
    if existing is None:
        session.add(grade)
    await session.flush()
    await audit.record(session, actor(group.school_id), change(grade, before))
    return grade


# The explanation (finalGradeExplanation).


@dataclass(frozen=True)
class ExplainedFinal:
    outcome: FinalOutcome
    system: models.GradingSystem | None
    group: models.StudyGroup
    year_grade: models.Grade | None
    exam_rows: dict[uuid.UUID, models.Grade]
    final_grade: models.Grade | None
    values: dict[uuid.UUID, models.MarkValue]


async def explain_final_grade(session: AsyncSession, loaders: RowLoaders, *,
                              student_id: uuid.UUID, subject_id: uuid.UUID,
                              year_id: uuid.UUID,
                              may_read: Callable[[models.StudyGroup], Awaitable[bool]]
                              ) -> ExplainedFinal | None:
    """The rule applied to the student's grades in the subject and year, step by step; None
    when the student studies the subject in no group of the year, or `may_read(group)` (the
    caller's access rule) refuses every group they study it in."""
    g, gm, sg = models.Grade, models.GroupMembership, models.StudyGroup
    groups = list(await session.scalars(
        select(sg).join(gm, (gm.school_id == sg.school_id) & (gm.group_id == sg.id))
        .where(gm.student_id == student_id, sg.subject_id == subject_id,
               sg.academic_year_id == year_id)
        .order_by(sg.id)))
    # the access rule first: no grade is read for a viewer who may not see one
    readable = [grp for grp in dict.fromkeys(groups) if await may_read(grp)]
    if not readable:
        return None
    school_id = readable[0].school_id
    year_row = await session.scalar(select(g).where(
        g.school_id == school_id, g.student_id == student_id, g.subject_id == subject_id,
        g.academic_year_id == year_id, g.kind == models.GradeKind.YEAR))
    # the year grade's group tells its system; else a group the student studies it in
    group = next((grp for grp in readable if year_row and grp.id == year_row.group_id),
                 readable[0])
    errors: list[Problem] = []
    scale = await group_scale(session, loaders, group, errors)
    system = await loaders.by_id(models.GradingSystem).load(scale.id) if scale else None
    pair = (student_id, subject_id)
    years, exams, read = await rule_inputs(session, loaders, group.school_id, year_id, [pair])
    final_row = await session.scalar(select(g).where(
        g.school_id == group.school_id, g.student_id == student_id, g.subject_id == subject_id,
        g.academic_year_id == year_id, g.kind == models.GradeKind.FINAL))
    if scale is None:
        outcome = FinalOutcome(None, gap="no grading system applies to the group",
                               summary="no grading system applies to the group: no final "
                                       "grade")
    else:
        outcome = final_grade(years.get(pair), exams[pair], scale)
    loaded = await loaders.by_id(models.MarkValue).load_many(
        [outcome.value.id] if outcome.value else [])
    year_grade = read.get(years[pair].grade_id) if pair in years else None
    return ExplainedFinal(outcome, system, group, year_grade,
                          {e.exam.grade_id: read[e.exam.grade_id] for e in outcome.exams},
                          final_row, {v.id: v for v in loaded if v is not None})
