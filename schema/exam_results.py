"""Students' exam results (`setExamResults`): rows of `grades` of kind EXAM (rules in
resolvers/exams/results.py)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db import models
from resolvers.exams import results
from resolvers.grades.writes import GradeChoice
from schema.errors import UserError
from schema.grades import Grade, GradeStateEnum
from schema.ids import from_global_id
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated


@strawberry.input(description="One student's exam result.")
class ExamResultInput:
    student_id: strawberry.ID = strawberry.field(description="The student (`Person`), a member "
                                                             "of the group during the year.")
    state: GradeStateEnum = strawberry.field(description="Graded, deferred (to a reserve "
                                                            "day or a retake), not attested "
                                                            "or exempt.")
    value: str | None = strawberry.field(default=None, description="The grade, a label of the "
                                                                   "exam kind's grading system "
                                                                   "(e.g. «5»): required when "
                                                                   "graded, else absent.")
    test_score: float | None = strawberry.field(
        default=None, description="The test score (тестовый балл), from 0 to the kind's "
                                  "`maxTestScore`, at most two decimals; only when graded, and "
                                  "only for a kind with a test score.")
    deferred_reason: str | None = strawberry.field(default=None, description="Why it is "
                                                                             "deferred: "
                                                                             "required when "
                                                                             "deferred.")
    deferred_until: date | None = strawberry.field(
        default=None, description="When it is to be taken, after the end of the group's last "
                                  "period: required when deferred.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version last read (0: expect no result yet); a "
                                  "different current version is a CONFLICT.")


@strawberry.input(description="Exam results of students of a group in one exam kind; the "
                              "subject and year are the group's.")
class SetExamResultsInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (`StudyGroup`).")
    exam_kind_id: strawberry.ID = strawberry.field(description="The exam kind (`ExamKind`) of "
                                                               "the school.")
    results: list[ExamResultInput] = strawberry.field(description="One result per student "
                                                                  "(at least one).")


@strawberry.type(description="Result of setting exam results.")
class SetExamResultsPayload:
    grades: list[Grade] = strawberry.field(
        description="The exam results as stored, in the order given; empty on errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")


async def set_exam_results(info: Info, input: Input[SetExamResultsInput]
                           ) -> SetExamResultsPayload:
    ctx = info.context

    async def write() -> list[models.Grade]:
        request = results.ExamResultsRequest(
            group_id=from_global_id(input.group_id, "StudyGroup", "input.groupId"),
            exam_kind_id=decoded(input.exam_kind_id, "ExamKind", "input.examKindId"),
            results=[results.ExamResult(
                student_id=decoded(r.student_id, "Person", "input.studentId"),
                choice=GradeChoice(state=models.GradeState(r.state), value=r.value,
                                   deferred_reason=r.deferred_reason,
                                   deferred_until=r.deferred_until),
                test_score=r.test_score, expected_version=r.expected_version)
                for n, r in enumerate(input.results)])
        return await results.set_exam_results(ctx.session, ctx.access, ctx.loaders, request,
                                               actor=lambda school_id: actor(info, school_id))

    rows, errors = await apply(info, write)
    return SetExamResultsPayload(grades=[Grade.from_model(r) for r in rows or []],
                                 errors=errors)


@strawberry.type
class ExamResultsMutation:
    set_exam_results: SetExamResultsPayload = strawberry.mutation(
        resolver=set_exam_results, permission_classes=[IsAuthenticated],
        description="Set students' results of one exam kind in a group's subject and year: "
                    "each graded (a value of the kind's grading system and, where the kind "
                    "has one, a test score from 0 to its maximum), deferred, not attested or "
                    "exempt; all or nothing. By an administrator; by the group's teachers for "
                    "an intermediate exam (ПА) only; once the group's last period is closed, "
                    "by an administrator only.")
