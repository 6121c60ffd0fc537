"""Teaching without marks (безотметочное обучение) in the API: the school's configuration read
and replaced at once (rules in resolvers/grading/without_marks.py)."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from db import models
from resolvers.grading import without_marks as rules
from schema.errors import UserError
from schema.ids import SchoolIdArg, from_global_id, to_global_id
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import admin_school_by_global_id, readable_school
from schema.subjects import Subject
from tenants.errors import DomainError, Problem


@strawberry.type(description="A grade level, or a subject in a grade level, that a school "
                             "teaches without marks (безотметочное обучение): its journal "
                             "takes topics, attendance and comments but no marks, and its "
                             "students get no period or year grades and are left out of the "
                             "denominators of успеваемость and качество.")
class TeachingWithoutMarks:
    grade_level: int = strawberry.field(description="Grade level 1–11 (параллель).")
    school_id: strawberry.Private[uuid.UUID]
    subject_uuid: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Global id of the subject (a Subject); null when the whole "
                                  "grade level is taught without marks.")
    def subject_id(self) -> strawberry.ID | None:
        return None if self.subject_uuid is None else \
            strawberry.ID(to_global_id("Subject", self.subject_uuid))

    @strawberry.field(description="The subject; null when the whole grade level is taught "
                                  "without marks.")
    async def subject(self, info: Info) -> Subject | None:
        if self.subject_uuid is None:
            return None
        row = await info.context.loaders.by_id(models.Subject).load(self.subject_uuid)
        return Subject.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.TeachingWithoutMarks) -> TeachingWithoutMarks:
        return cls(grade_level=row.grade_level, school_id=row.school_id,
                   subject_uuid=row.subject_id)


@strawberry.input(description="A subject taught without marks in some grade levels.")
class SubjectWithoutMarksInput:
    subject_id: strawberry.ID = strawberry.field(description="The Subject, of the school.")
    grade_levels: list[int] = strawberry.field(
        description="The grade levels (1–11, each once, at least one) it is taught without "
                    "marks in; not a level already given whole in `gradeLevels`.")


@strawberry.input(description="The school's whole configuration of teaching without marks; "
                              "it replaces the one in force (send empty lists to clear it).")
class SetTeachingWithoutMarksInput:
    school_id: strawberry.ID = strawberry.field(description="The School.")
    grade_levels: list[int] = strawberry.field(
        description="Grade levels (1–11, each once) taught without marks in every subject, "
                    "e.g. [1].")
    subjects: list[SubjectWithoutMarksInput] = strawberry.field(
        default_factory=list,
        description="Subjects taught without marks in some other grade levels, e.g. ОРКСЭ in "
                    "grade 4; each subject once.")


@strawberry.type(description="Result of setting the school's teaching without marks.")
class TeachingWithoutMarksPayload:
    teaching_without_marks: list[TeachingWithoutMarks] = strawberry.field(
        description="The configuration now in force (as `teachingWithoutMarks` lists it); "
                    "empty when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


async def teaching_without_marks(info: Info, school_id: SchoolIdArg
                                 ) -> list[TeachingWithoutMarks]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    rows = await rules.teaching_without_marks(info.context.session, school)
    return [TeachingWithoutMarks.from_model(r) for r in rows]


def _subject(value: str, field: str) -> uuid.UUID | Problem:
    """The decoded id; a malformed one stays a problem, reported beside the input's others."""
    try:
        return from_global_id(value, "Subject", field)
    except DomainError as e:
        return e.problems[0]


async def set_teaching_without_marks(info: Info, input: Input[SetTeachingWithoutMarksInput]
                                     ) -> TeachingWithoutMarksPayload:
    async def write() -> list[models.TeachingWithoutMarks]:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        subjects = [rules.SubjectLevels(_subject(s.subject_id, f"input.subjects.{i}.subjectId"),
                                        s.grade_levels)
                    for i, s in enumerate(input.subjects)]
        return await rules.set_teaching_without_marks(
            info.context.session, actor(info, school_id), school_id,
            grade_levels=input.grade_levels, subjects=subjects)

    rows, errors = await apply(info, write)
    return TeachingWithoutMarksPayload(
        teaching_without_marks=[TeachingWithoutMarks.from_model(r) for r in rows or []],
        errors=errors)


@strawberry.type
class WithoutMarksQuery:
    teaching_without_marks: list[TeachingWithoutMarks] = strawberry.field(
        resolver=teaching_without_marks, permission_classes=[IsAuthenticated],
        description="The grade levels and subjects a school teaches without marks, by grade "
                    "level (the whole level first); readable by the school's members and the "
                    "officers over it, empty for a school the viewer may not read.")


@strawberry.type
class WithoutMarksMutation:
    set_teaching_without_marks: TeachingWithoutMarksPayload = strawberry.field(
        resolver=set_teaching_without_marks, permission_classes=[IsAuthenticated],
        description="Replace the school's whole configuration of teaching without marks "
                    "(безотметочное обучение), audited (administrator). Groups it covers "
                    "then refuse marks, period and year grades.")
