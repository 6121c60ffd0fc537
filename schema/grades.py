"""Period, year and final grades (итоговые оценки), the explanation of an average, and the
inputs and payloads of grading and closing periods and years.

A grade is readable with its group's journal page (tenants/rules.py `may_read_journal`) and
with the student's diary: the student, their guardians, and staff who may see the student.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.calendar import AcademicYear, Period
from schema.classes import StudyGroup
from schema.errors import UserError
from schema.exam_kinds import ExamKind
from schema.grading import GradingSystem, MarkValue
from schema.ids import try_uuid
from schema.marks import person_or_none, readable_rows, target_system, value_in_system
from schema.people import Person
from schema.subjects import Subject

GradeKindEnum = strawberry.enum(
    models.GradeKind, name="GradeKind",
    description="What a grade sums up: period (четвертная, триместровая…), year (годовая), "
                "exam (экзаменационная) or final (итоговая).")
GradeStateEnum = strawberry.enum(
    models.GradeState, name="GradeState",
    description="graded: a value is set; deferred (отсрочка, regulation 5.7): to be set by "
                "`deferredUntil`; not_attested (н/а, не аттестован); exempt (освобождён).")


async def readable_grades(info: Info, rows: Sequence[models.Grade]) -> list[bool]:
    """Per grade: readable with its group's journal or with the student's diary."""
    return await readable_rows(info, rows, [None] * len(rows), [r.group_id for r in rows])


async def _label(info: Info, value_id: uuid.UUID | None) -> str | None:
    if value_id is None:
        return None
    row = await info.context.loaders.by_id(models.MarkValue).load(value_id)
    return row.label if row else None


@strawberry.type(description="A student's grade in a subject for a period or the year "
                             "(итоговая оценка), an exam result (with its kind and test "
                             "score) or the final grade (итоговая отметка), with the grade "
                             "suggested by the average or computed by the school's rule kept "
                             "beside it.")
class Grade(relay.Node):
    id: relay.NodeID[uuid.UUID]
    kind: GradeKindEnum = strawberry.field(description="Period, year, exam or final grade.")
    state: GradeStateEnum = strawberry.field(description="Graded, deferred, not attested or "
                                                         "exempt.")
    suggested_average: float | None = strawberry.field(
        description="The average the suggestion came from: for a period grade in a numeric "
                    "system the weighted average in its numbers (e.g. 4.33), in another system "
                    "the average on the 0–100 axis; for a year grade the mean of the period "
                    "grades. Null without marks.")
    deferred_reason: str | None = strawberry.field(description="Why the grade is deferred "
                                                               "(e.g. illness); null otherwise.")
    deferred_until: date | None = strawberry.field(description="The date by which a deferred "
                                                               "grade must be set.")
    set_at: datetime | None = strawberry.field(description="When the grade was last set.")
    version: int = strawberry.field(description="Version for optimistic concurrency: send it "
                                                "as `expectedVersion` when changing the grade.")
    school_id: strawberry.Private[uuid.UUID]
    student_ref: strawberry.Private[uuid.UUID]
    subject_ref: strawberry.Private[uuid.UUID]
    period_ref: strawberry.Private[uuid.UUID | None]
    group_ref: strawberry.Private[uuid.UUID | None]
    year_ref: strawberry.Private[uuid.UUID]
    value_ref: strawberry.Private[uuid.UUID | None]
    suggested_ref: strawberry.Private[uuid.UUID | None]
    set_by_ref: strawberry.Private[uuid.UUID | None]
    exam_kind_ref: strawberry.Private[uuid.UUID | None]
    test_score: float | None = strawberry.field(
        description="An exam result's test score (тестовый балл, from 0 to its kind's "
                    "`maxTestScore`); null for other grades and exams without one.")

    @strawberry.field(description="The grade as written, the label of its value (e.g. «5», "
                                  "«зачёт»); null unless graded.")
    async def value(self, info: Info) -> str | None:
        return await _label(info, self.value_ref)

    @strawberry.field(description="The grade's value converted into another grading system "
                                  "of the school (by its pinned conversion table valid at the "
                                  "end of the period or year, otherwise through the 0–100 "
                                  "axis); null unless graded or for a system of another "
                                  "school.")
    async def value_in(
        self, info: Info,
        system_id: Annotated[strawberry.ID, strawberry.argument(
            description="The target grading system (global id of a `GradingSystem`).")],
    ) -> MarkValue | None:
        target = target_system(system_id)
        if self.value_ref is None:
            return None
        return await value_in_system(info, self.value_ref, target,
                                     await self._relevant_day(info))

    async def _relevant_day(self, info: Info) -> date:
        loaders = info.context.loaders
        if self.period_ref is not None:
            period = await loaders.by_id(models.Period).load(self.period_ref)
            if period is not None:
                return period.ends_on
        year = await loaders.by_id(models.AcademicYear).load(self.year_ref)
        assert year is not None
        return year.ends_on

    @strawberry.field(description="The grade suggested by the average (or, for a year grade, "
                                  "by the school's rule from the period grades): the label of "
                                  "its value; null without marks.")
    async def suggested_value(self, info: Info) -> str | None:
        return await _label(info, self.suggested_ref)

    @strawberry.field(description="The student; null when the viewer may not see them.")
    async def student(self, info: Info) -> Person | None:
        return await person_or_none(info, self.student_ref)

    @strawberry.field(description="Who set the grade last; null when unknown or not visible.")
    async def set_by(self, info: Info) -> Person | None:
        return await person_or_none(info, self.set_by_ref)

    @strawberry.field(description="The subject (предмет).")
    async def subject(self, info: Info) -> Subject | None:
        row = await info.context.loaders.by_id(models.Subject).load(self.subject_ref)
        return Subject.from_model(row) if row else None

    @strawberry.field(description="The period of a period grade; null for other grades.")
    async def period(self, info: Info) -> Period | None:
        if self.period_ref is None:
            return None
        row = await info.context.loaders.by_id(models.Period).load(self.period_ref)
        return Period.from_model(row) if row else None

    @strawberry.field(description="The academic year (учебный год).")
    async def academic_year(self, info: Info) -> AcademicYear | None:
        row = await info.context.loaders.by_id(models.AcademicYear).load(self.year_ref)
        return AcademicYear.from_model(row) if row else None

    @strawberry.field(description="The exam kind of an exam result (ОГЭ, ЕГЭ, переводной "
                                  "экзамен); null for other grades.")
    async def exam_kind(self, info: Info) -> ExamKind | None:
        if self.exam_kind_ref is None:
            return None
        row = await info.context.loaders.by_id(models.ExamKind).load(self.exam_kind_ref)
        return ExamKind.from_model(row) if row else None

    @strawberry.field(description="The study group whose teacher set the grade; null when the "
                                  "group was removed.")
    async def group(self, info: Info) -> StudyGroup | None:
        if self.group_ref is None:
            return None
        row = await info.context.loaders.by_id(models.StudyGroup).load(self.group_ref)
        return StudyGroup.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.Grade) -> Grade:
        return cls(
            id=row.id, kind=row.kind, state=row.state,
            suggested_average=None if row.suggested_average is None
            else float(row.suggested_average),
            deferred_reason=row.deferred_reason, deferred_until=row.deferred_until,
            set_at=row.set_at, version=row.version, school_id=row.school_id,
            student_ref=row.student_id, subject_ref=row.subject_id, period_ref=row.period_id,
            group_ref=row.group_id, year_ref=row.academic_year_id, value_ref=row.value_id,
            suggested_ref=row.suggested_value_id, set_by_ref=row.set_by_id,
            exam_kind_ref=row.exam_kind_id,
            test_score=None if row.test_score is None else float(row.test_score))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Grade | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = [r for r in await info.context.loaders.by_id(models.Grade).load_many(
            [i for i in ids if i]) if r is not None]
        readable = await readable_grades(info, rows)
        found = {r.id: cls.from_model(r) for r, ok in zip(rows, readable, strict=True) if ok}
        return [found.get(i) if i else None for i in ids]


# The explanation of an average (resolvers/grading/averages.py has the rule).


@strawberry.enum(description="Why a mark does not count in the average.")
class AverageExclusion(enum.Enum):
    EXCLUDED = strawberry.enum_value("excluded", description="The teacher excluded it from "
                                                             "the average.")
    OTHER_PERIOD = strawberry.enum_value("other_period", description="Its work date lies "
                                                                     "outside the period.")


@strawberry.type(description="One mark of the student in the group, as the average used it.")
class ExplainedMark:
    mark_id: strawberry.ID = strawberry.field(description="Global id of the mark (`Mark`).")
    work_date: date = strawberry.field(description="The day of the work.")
    label: str = strawberry.field(description="The mark as written, e.g. «5».")
    grading_system: str = strawberry.field(description="Name of the mark's grading system.")
    work_type: str = strawberry.field(description="The kind of work (вид работы).")
    weight: float = strawberry.field(description="Its weight (вес) in the average.")
    point: float = strawberry.field(description="Its representative point on the 0–100 axis.")
    number: float | None = strawberry.field(
        description="Its number in the reporting system: the mark's own number when it is of "
                    "that system, else its point interpolated between the system's points; "
                    "null for a system without numbers.")
    counted: bool = strawberry.field(description="Whether it counts in the average.")
    reason: AverageExclusion | None = strawberry.field(description="Why it does not count; "
                                                                   "null when it counts.")


@strawberry.type(description="How the average (its number in the system) was rounded to the "
                             "suggested grade.")
class AverageRounding:
    threshold: float = strawberry.field(description="The school's rounding threshold (0.5: 4.5 "
                                                    "→ 5; 0.6: 4.5 → 4, 4.6 → 5).")
    lower: str = strawberry.field(description="The value just below (or at) the average.")
    upper: str | None = strawberry.field(description="The value just above; null at the ends "
                                                     "of the scale.")
    fraction: float | None = strawberry.field(description="How far the average lies from "
                                                          "lower to upper (0–1); rounds up "
                                                          "when it reaches the threshold.")
    result: str = strawberry.field(description="The suggested grade.")


@strawberry.type(description="A student's weighted average in a group and period, step by "
                             "step, so that a parent or teacher can check it by hand.")
class AverageExplanation:
    marks: list[ExplainedMark] = strawberry.field(description="Every mark of the student in "
                                                              "the group, by date, counted or "
                                                              "not.")
    counted_marks: int = strawberry.field(description="How many marks count.")
    total_weight: float = strawberry.field(description="Σ weight of the counted marks.")
    weighted_point_sum: float = strawberry.field(description="Σ weight × point of the counted "
                                                             "marks.")
    axis_average: float | None = strawberry.field(description="Σ weight × point / Σ weight: "
                                                              "the average on the 0–100 axis "
                                                              "(two decimals, half up).")
    weighted_number_sum: float | None = strawberry.field(description="Σ weight × number in "
                                                                     "the reporting system.")
    average: float | None = strawberry.field(description="Σ weight × number / Σ weight: the "
                                                         "average in the system's numbers "
                                                         "(средний балл, e.g. 4.33); null for "
                                                         "a system without numbers.")
    converted_value: MarkValue | None = strawberry.field(
        description="The value of the reporting system whose range holds the axis average.")
    rounding: AverageRounding | None = strawberry.field(description="The rounding of the "
                                                                    "average; null for a "
                                                                    "system without numbers.")
    suggested_value: MarkValue | None = strawberry.field(
        description="The suggested grade: the rounded average in a numeric system, else the "
                    "converted value.")
    grading_system: GradingSystem | None = strawberry.field(
        description="The system the average is told in; null when the group has none.")
    summary: str = strawberry.field(description="The computation in words and numbers.")


# Inputs and payloads.


@strawberry.input(description="Set a student's period grade (четвертная, триместровая… "
                              "оценка) in a group.")
class SetPeriodGradeInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (`StudyGroup`).")
    period_id: strawberry.ID = strawberry.field(description="The period (`Period`) of the "
                                                            "group's period scheme.")
    student_id: strawberry.ID = strawberry.field(description="The student (`Person`), a member "
                                                             "of the group in the period.")
    state: GradeStateEnum = strawberry.field(description="Graded, deferred, not attested or "
                                                         "exempt.")
    value: str | None = strawberry.field(default=None, description="The label of the grade "
                                                                   "(e.g. «5»): required when "
                                                                   "graded, else absent.")
    deferred_reason: str | None = strawberry.field(default=None, description="Why the grade is "
                                                                             "deferred: "
                                                                             "required when "
                                                                             "deferred.")
    deferred_until: date | None = strawberry.field(default=None, description="The date by "
                                                                             "which a deferred "
                                                                             "grade must be "
                                                                             "set, after the "
                                                                             "period's end: "
                                                                             "required when "
                                                                             "deferred.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version last read (0: expect no grade yet); a "
                                  "different current version is a CONFLICT.")


@strawberry.input(description="An administrator's override of the year-grade rule (no year "
                              "grade while a period it sums is open and the student has no "
                              "final grade for it); audited with its reason.")
class YearGradeOverrideInput:
    reason: str = strawberry.field(description="Why the year grade is set anyway (e.g. «перевод "
                                               "в другую школу 20.05, приказ № 41»); at most "
                                               "500 characters.")


@strawberry.input(description="Override one student's year grade (годовая оценка).")
class SetYearGradeInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (`StudyGroup`).")
    student_id: strawberry.ID = strawberry.field(description="The student (`Person`), a member "
                                                             "of the group in the year.")
    state: GradeStateEnum = strawberry.field(description="Graded, deferred, not attested or "
                                                         "exempt.")
    value: str | None = strawberry.field(default=None, description="The label of the grade: "
                                                                   "required when graded.")
    deferred_reason: str | None = strawberry.field(default=None, description="Why the grade is "
                                                                             "deferred: "
                                                                             "required when "
                                                                             "deferred.")
    deferred_until: date | None = strawberry.field(default=None, description="The date by "
                                                                             "which it must "
                                                                             "be set: required "
                                                                             "when deferred.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version last read (0: expect no grade yet).")
    override: YearGradeOverrideInput | None = strawberry.field(
        default=None, description="Set the year grade although a period it sums is open and "
                                  "the student has no final grade for it (graded, not attested "
                                  "or exempt): administrators only, with the reason, recorded "
                                  "in the audit log. Without it such a year grade is refused "
                                  "(a deferral is not).")


@strawberry.input(description="Compute the year grades of a group from its period grades by "
                              "the school's rule.")
class SetYearGradesInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (`StudyGroup`).")
    academic_year_id: strawberry.ID = strawberry.field(description="The group's academic year "
                                                                   "(`AcademicYear`).")
    overwrite: bool = strawberry.field(default=False, description="Also replace year grades "
                                                                  "already set (including "
                                                                  "overrides); by default "
                                                                  "only their suggestion is "
                                                                  "refreshed.")


@strawberry.input(description="Close a period: its marks, attendance and grades are locked "
                              "for everyone but administrators.")
class ClosePeriodInput:
    period_id: strawberry.ID = strawberry.field(description="The period (`Period`).")


@strawberry.input(description="Close an academic year whose periods are all closed: it "
                              "becomes archived and read-only.")
class CloseAcademicYearInput:
    academic_year_id: strawberry.ID = strawberry.field(description="The academic year "
                                                                   "(`AcademicYear`).")


@strawberry.type(description="Result of setting a grade.")
class GradePayload:
    grade: Grade | None = strawberry.field(description="The grade as stored; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")


@strawberry.type(description="A student whose year grade could not be computed.")
class YearGradeGap:
    student: Person | None = strawberry.field(description="The student; null when not "
                                                          "visible.")
    reason: str = strawberry.field(description="Why: a period grade missing or deferred.")


@strawberry.type(description="Result of computing a group's year grades.")
class SetYearGradesPayload:
    grades: list[Grade] = strawberry.field(description="The year grades written or refreshed.")
    gaps: list[YearGradeGap] = strawberry.field(description="Students left without a computed "
                                                            "year grade, and why.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")


@strawberry.type(description="Result of closing a period.")
class ClosePeriodPayload:
    period: Period | None = strawberry.field(description="The closed period; null on errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")


@strawberry.type(description="Result of closing an academic year.")
class CloseAcademicYearPayload:
    academic_year: AcademicYear | None = strawberry.field(description="The archived year; null "
                                                                      "on errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written; empty on "
                                                           "success.")
