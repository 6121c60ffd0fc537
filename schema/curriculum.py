"""The curriculum of a year (учебный план): its line type, read as `AcademicYear.curriculum`,
and `setCurriculum` / `copyCurriculum` (rules in resolvers/curriculum.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry
from strawberry.types import Info

from db import models
from resolvers import curriculum as rules
from schema.errors import UserError
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin
from schema.subjects import LessonType, Subject
from tenants.errors import Problem


@strawberry.type(description="Hours a year of a subject in a grade level for one lesson type "
                             "(a line of the учебный план). The fulfilment figures of "
                             "`aggregates` read the per-period plan derived from these lines.")
class CurriculumPlanLine:
    grade_level: int = strawberry.field(description="Grade level (параллель), 1 to 11.")
    hours_per_year: float = strawberry.field(description="Planned hours in the year, at most "
                                                         "one decimal.")
    subject_id: strawberry.Private[uuid.UUID]
    lesson_type_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The subject.")
    async def subject(self, info: Info) -> Subject:
        row = await info.context.loaders.by_id(models.Subject).load(self.subject_id)
        return Subject.from_model(row)

    @strawberry.field(description="The lesson type the hours are for (урок, лабораторная, "
                                  "практическая, контрольная…).")
    async def lesson_type(self, info: Info) -> LessonType:
        row = await info.context.loaders.by_id(models.LessonType).load(self.lesson_type_id)
        return LessonType.from_model(row)

    @classmethod
    def from_model(cls, row: models.CurriculumPlan) -> CurriculumPlanLine:
        return cls(grade_level=row.grade_level, hours_per_year=float(Decimal(row.hours_per_year)),
                   subject_id=row.subject_id, lesson_type_id=row.lesson_type_id)


async def curriculum_of(info: Info, year_id: uuid.UUID) -> list[CurriculumPlanLine]:
    p = models.CurriculumPlan
    rows = await info.context.loaders.many(p.academic_year_id, p.grade_level, p.subject_id,
                                           p.lesson_type_id).load(year_id)
    return [CurriculumPlanLine.from_model(r) for r in rows]


@strawberry.input(description="One line of a curriculum.")
class CurriculumLineInput:
    subject_id: strawberry.ID = strawberry.field(description="The subject (of the year's "
                                                             "school).")
    grade_level: int = strawberry.field(description="Grade level, 1 to 11.")
    lesson_type_id: strawberry.ID = strawberry.field(
        description="The lesson type (of the year's school); a subject without a breakdown "
                    "has one line of the ordinary lesson type (урок).")
    hours_per_year: float = strawberry.field(description="Hours in the year: 0 to 1000, at "
                                                         "most one decimal.")


@strawberry.input(description="The whole curriculum of a year; it replaces the one there was.")
class SetCurriculumInput:
    academic_year_id: strawberry.ID = strawberry.field(
        description="The year (an AcademicYear id); the viewer must administer its school.")
    lines: list[CurriculumLineInput] = strawberry.field(
        description="Every line of the year's curriculum, at most one per subject, grade "
                    "level and lesson type; an empty list clears it.")


@strawberry.input(description="Copy a year's curriculum to another year of the same school.")
class CopyCurriculumInput:
    from_academic_year_id: strawberry.ID = strawberry.field(
        description="The year to copy from (usually the previous one).")
    to_academic_year_id: strawberry.ID = strawberry.field(
        description="The year whose curriculum is replaced by the copy.")


@strawberry.type(description="Result of `setCurriculum` or `copyCurriculum`.")
class CurriculumPayload:
    curriculum: list[CurriculumPlanLine] | None = strawberry.field(
        description="The year's curriculum now; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


def _payload(rows: list[models.CurriculumPlan] | None, errors: list[Problem]
             ) -> CurriculumPayload:
    return CurriculumPayload(
        curriculum=None if rows is None else [CurriculumPlanLine.from_model(r) for r in rows],
        errors=errors)


async def _year(info: Info, value: str, field: str) -> models.AcademicYear:
    return await access_for_admin(info, models.AcademicYear, value, "AcademicYear", field,
                                  "academic year")


async def set_curriculum_field(info: Info, input: Input[SetCurriculumInput]
                               ) -> CurriculumPayload:
    async def write() -> list[models.CurriculumPlan]:
        year = await _year(info, input.academic_year_id, "input.academicYearId")
        lines = [rules.LineInput(
            subject_id=decoded(line.subject_id, "Subject", f"input.lines.{i}.subjectId"),
            grade_level=line.grade_level,
            lesson_type_id=decoded(line.lesson_type_id, "LessonType",
                                   f"input.lines.{i}.lessonTypeId"),
            hours_per_year=line.hours_per_year) for i, line in enumerate(input.lines)]
        return await rules.set_curriculum(info.context.session, actor(info, year.school_id),
                                          year, lines)

    rows, errors = await apply(info, write)
    return _payload(rows, errors)


async def copy_curriculum_field(info: Info, input: Input[CopyCurriculumInput]
                                ) -> CurriculumPayload:
    async def write() -> list[models.CurriculumPlan]:
        source = await _year(info, input.from_academic_year_id, "input.fromAcademicYearId")
        target = await _year(info, input.to_academic_year_id, "input.toAcademicYearId")
        return await rules.copy_curriculum(info.context.session,
                                           actor(info, target.school_id), source, target)

    rows, errors = await apply(info, write)
    return _payload(rows, errors)


@strawberry.type
class CurriculumMutation:
    set_curriculum: CurriculumPayload = strawberry.field(
        resolver=set_curriculum_field, permission_classes=[IsAuthenticated],
        description="Replace a year's curriculum (hours a year per subject, grade level and "
                    "lesson type) and derive from it the planned hours of each of the year's "
                    "groups per period (administrator; audited).")
    copy_curriculum: CurriculumPayload = strawberry.field(
        resolver=copy_curriculum_field, permission_classes=[IsAuthenticated],
        description="Replace a year's curriculum by a copy of another year's of the same "
                    "school, e.g. the previous year's, and derive the groups' planned hours "
                    "(administrator; audited).")
