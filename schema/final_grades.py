"""The final grade (итоговая отметка): its explanation, `setFinalGrades` and `setFinalGrade`
(the rule is resolvers/exams/final.py's, written out in docs/results.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from db import models
from resolvers.exams import final as rules
from resolvers.grades.queries import may_read_student
from resolvers.grades.writes import GradeChoice
from schema.errors import UserError
from schema.grades import AverageRounding, Grade, GradePayload, GradeStateEnum
from schema.grading import GradingSystem, MarkValue
from schema.ids import from_global_id, query_id
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.subjects import Subject

RULE_DESCRIPTION = (
    "The final grade (итоговая отметка) of a subject, by one rule for every school: none while "
    "the year grade is missing or deferred; not attested or exempt when the year grade is; "
    "among the exam results of the subject and year whose kind counts in the final grade "
    "(`ExamKind.countsInFinalGrade`), one deferred leaves no final grade yet, one not "
    "attested makes it not attested, exempt ones do not count; with no graded exam counting "
    "it is the year grade; otherwise the mean of the year grade's and the exam grades' "
    "numbers in the year grade's system (another system's grade: its axis point read on that "
    "scale), two decimals half up, rounded half up whatever the school's threshold — in the "
    "student's favour: (4 + 5) / 2 = 4.50 → 5. A system without numbers: the value whose "
    "range holds the mean of the axis points.")


@strawberry.type(description="An exam result as the final grade's rule used it.")
class FinalGradeExam:
    grade: Grade = strawberry.field(description="The exam result (a `Grade` of kind EXAM).")
    exam_kind: str = strawberry.field(description="Name of its exam kind, e.g. «ОГЭ».")
    counted: bool = strawberry.field(description="Whether it takes part in the mean.")
    reason: str | None = strawberry.field(description="Why it does not (its kind does not "
                                                      "count, or its state); null when "
                                                      "counted.")
    number: float | None = strawberry.field(description="Its number in the year grade's "
                                                        "system (two decimals); null when not "
                                                        "counted or without numbers.")


@strawberry.type(description="A student's final grade in a subject and year, step by step: "
                             "the inputs, the rule, the arithmetic and the result.")
class FinalGradeExplanation:
    rule: str = strawberry.field(description="The rule, in words.")
    year_grade: Grade | None = strawberry.field(description="The year grade it starts from; "
                                                            "null when there is none yet.")
    exams: list[FinalGradeExam] = strawberry.field(description="Every exam result of the "
                                                               "subject and year, by kind "
                                                               "name, counted or not.")
    year_number: float | None = strawberry.field(description="The year grade's number in its "
                                                             "system; null without numbers.")
    mean: float | None = strawberry.field(description="The mean of the year grade's and the "
                                                      "counted exam grades' numbers (axis "
                                                      "points in a system without numbers), "
                                                      "two decimals; null without a result.")
    rounding: AverageRounding | None = strawberry.field(description="How the mean was "
                                                                    "rounded (threshold 0.5); "
                                                                    "null when nothing was "
                                                                    "rounded.")
    state: GradeStateEnum | None = strawberry.field(description="The computed state; null "
                                                                "when no final grade can be "
                                                                "computed yet (see `gap`).")
    result: MarkValue | None = strawberry.field(description="The computed final grade; null "
                                                            "unless graded.")
    gap: str | None = strawberry.field(description="Why there is no final grade yet; null "
                                                   "when there is one.")
    grading_system: GradingSystem | None = strawberry.field(description="The year grade's "
                                                                        "system the result "
                                                                        "is in.")
    final_grade: Grade | None = strawberry.field(description="The final grade as stored (an "
                                                             "administrator may have set "
                                                             "another value than the "
                                                             "computed one); null when not "
                                                             "set.")
    summary: str = strawberry.field(description="The computation in words and numbers, e.g. "
                                                "«(4 + 5) / 2 = 4.50 → rounded up … to 5».")


@strawberry.input(description="Compute final grades by the rule: of a group's students in its "
                              "subject, or of a class's students in every subject its groups "
                              "(whole class and subgroups) teach with marks. Give exactly one "
                              "of `groupId` and `classId`.")
class SetFinalGradesInput:
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The study group (`StudyGroup`); its subject and year are "
                                  "the grades'.")
    class_id: strawberry.ID | None = strawberry.field(
        default=None, description="The class (`SchoolClass`): every subject its groups teach "
                                  "with marks, in its year.")
    overwrite: bool = strawberry.field(default=False, description="Also replace final grades "
                                                                  "already set (including "
                                                                  "overrides); by default "
                                                                  "only their computed value "
                                                                  "is refreshed.")


@strawberry.input(description="Set one student's final grade (итоговая отметка) to another "
                              "value than the computed one.")
class SetFinalGradeInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (`StudyGroup`).")
    student_id: strawberry.ID = strawberry.field(description="The student (`Person`), a member "
                                                             "of the group in the year.")
    state: GradeStateEnum = strawberry.field(description="Graded, deferred, not attested or "
                                                         "exempt.")
    value: str | None = strawberry.field(default=None, description="The label of the grade in "
                                                                   "the group's system: "
                                                                   "required when graded.")
    deferred_reason: str | None = strawberry.field(default=None, description="Why it is "
                                                                             "deferred: "
                                                                             "required when "
                                                                             "deferred.")
    deferred_until: date | None = strawberry.field(
        default=None, description="When it must be set, after the end of the group's last "
                                  "period: required when deferred.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version last read (0: expect no grade yet).")


@strawberry.type(description="A student left without a final grade in a subject, and why.")
class FinalGradeGap:
    student: Person | None = strawberry.field(description="The student; null when not "
                                                          "visible.")
    subject: Subject = strawberry.field(description="The subject (предмет).")
    reason: str = strawberry.field(description="Why: no year grade yet, a deferred year "
                                               "grade or a deferred exam.")


@strawberry.type(description="Result of computing a group's final grades.")
class SetFinalGradesPayload:
    grades: list[Grade] = strawberry.field(description="The final grades written or "
                                                       "refreshed.")
    gaps: list[FinalGradeGap] = strawberry.field(description="Students left without a final "
                                                             "grade, and why.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")


# Fields ------------------------------------------------------------------------------------


def _explanation(explained: rules.ExplainedFinal) -> FinalGradeExplanation:
    o, rows = explained.outcome, explained.values
    r = o.rounding
    value = rows.get(o.value.id) if o.value is not None else None
    return FinalGradeExplanation(
        rule=rules.RULE,
        year_grade=Grade.from_model(explained.year_grade) if explained.year_grade else None,
        exams=[FinalGradeExam(
            grade=Grade.from_model(explained.exam_rows[x.exam.grade_id]),
            exam_kind=x.exam.kind_name, counted=x.counted, reason=x.reason,
            number=None if x.number is None else float(x.number)) for x in o.exams],
        year_number=None if o.year_number is None else float(o.year_number),
        mean=None if o.mean is None else float(o.mean),
        rounding=AverageRounding(
            threshold=float(r.threshold), lower=r.lower.label,
            upper=r.upper.label if r.upper else None,
            fraction=None if r.fraction is None else round(float(r.fraction), 4),
            result=r.result.label) if r else None,
        state=o.state, result=MarkValue.from_model(value) if value else None, gap=o.gap,
        grading_system=GradingSystem.from_model(explained.system) if explained.system
        else None,
        final_grade=Grade.from_model(explained.final_grade) if explained.final_grade
        else None,
        summary=o.summary)


async def final_grade_explanation(
    info: Info,
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
    subject_id: Annotated[strawberry.ID, strawberry.argument(
        description="The subject (global id of a `Subject`).")],
    academic_year_id: Annotated[strawberry.ID, strawberry.argument(
        description="The academic year (global id of an `AcademicYear`).")],
) -> FinalGradeExplanation | None:
    student = query_id(student_id, "Person", "studentId")
    subject = query_id(subject_id, "Subject", "subjectId")
    year = query_id(academic_year_id, "AcademicYear", "academicYearId")
    assert student and subject and year
    ctx = info.context

    async def may_read(group: models.StudyGroup) -> bool:
        return await may_read_student(ctx.access, ctx.loaders.visible_person, group, student)

    explained = await rules.explain_final_grade(ctx.session, ctx.loaders, student_id=student,
                                                subject_id=subject, year_id=year,
                                                may_read=may_read)
    return _explanation(explained) if explained else None


async def set_final_grades(info: Info, input: Input[SetFinalGradesInput]
                           ) -> SetFinalGradesPayload:
    ctx = info.context

    async def write() -> rules.FinalGradesResult:
        request = rules.FinalGradesRequest(
            group_id=None if input.group_id is None
            else from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            class_id=None if input.class_id is None
            else from_global_id(input.class_id, "SchoolClass", "input.classId"),
            overwrite=input.overwrite)
        return await rules.set_final_grades(ctx.session, ctx.access, ctx.loaders, request,
                                            actor=lambda school_id: actor(info, school_id))

    result, errors = await apply(info, write)
    if result is None:
        return SetFinalGradesPayload(grades=[], gaps=[], errors=errors)
    persons = await ctx.loaders.visible_person.load_many([s for s, _, _ in result.gaps])
    subjects = await ctx.loaders.by_id(models.Subject).load_many(
        [subject for _, subject, _ in result.gaps])
    return SetFinalGradesPayload(
        grades=[Grade.from_model(g) for g in result.grades],
        gaps=[FinalGradeGap(student=Person.from_model(p) if p else None,
                            subject=Subject.from_model(subject), reason=reason)
              for (_, _, reason), p, subject in zip(result.gaps, persons, subjects,
                                                    strict=True) if subject is not None],
        errors=errors)


async def set_final_grade(info: Info, input: Input[SetFinalGradeInput]) -> GradePayload:
    ctx = info.context

    async def write() -> models.Grade:
        request = rules.FinalGradeRequest(
            group_id=from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            student_id=decoded(input.student_id, "Person", "input.studentId"),
            choice=GradeChoice(state=models.GradeState(input.state), value=input.value,
                               deferred_reason=input.deferred_reason,
                               deferred_until=input.deferred_until),
            expected_version=input.expected_version)
        return await rules.set_final_grade(ctx.session, ctx.access, ctx.loaders, request,
                                           actor=lambda school_id: actor(info, school_id))

    row, errors = await apply(info, write)
    return GradePayload(grade=Grade.from_model(row) if row else None, errors=errors)


@strawberry.type
class FinalGradesQuery:
    final_grade_explanation: FinalGradeExplanation | None = strawberry.field(
        resolver=final_grade_explanation, permission_classes=[IsAuthenticated],
        description=RULE_DESCRIPTION + " Explained for whoever may read the journal of a "
                    "group the student studies the subject in, or the student's diary; null "
                    "for anyone else, and when the student studies the subject in no group of "
                    "the year.")


@strawberry.type
class FinalGradesMutation:
    set_final_grades: SetFinalGradesPayload = strawberry.mutation(
        resolver=set_final_grades, permission_classes=[IsAuthenticated],
        description="Compute and store final grades by the rule of "
                    "`finalGradeExplanation` — of a group's students in its subject, or of a "
                    "class's students in every subject its groups teach with marks — the "
                    "computed value kept beside each; students without a year grade (or with a "
                    "deferred year grade or exam) are gaps and get none. By an administrator "
                    "of the school.")
    set_final_grade: GradePayload = strawberry.mutation(
        resolver=set_final_grade, permission_classes=[IsAuthenticated],
        description="Set one student's final grade to a value of the administrator's choice; "
                    "the computed one is kept beside it (`suggestedValue`). Refused while the "
                    "student has no year grade in the subject, or a deferred one. By an "
                    "administrator of the school.")
