"""Exam kinds of a school (ОГЭ, ЕГЭ, переводной экзамен): the type, its inputs and payloads,
and the fields that read and write them (rules in resolvers/exams/kinds.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.exams import kinds as rules
from schema.errors import UserError
from schema.grading import GradingSystem
from schema.ids import SchoolIdArg
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from schema.structure import structure_nodes

ExamLevelEnum = strawberry.enum(
    models.ExamLevel, name="ExamLevel",
    description="intermediate: промежуточная аттестация (ПА), e.g. a переводной экзамен; "
                "state: государственная итоговая аттестация (ГИА), e.g. ОГЭ, ЕГЭ.")


@strawberry.type(description="A kind of exam the school holds (вид экзамена): ОГЭ, ЕГЭ, "
                             "переводной экзамен… A student's result is a `Grade` of kind "
                             "EXAM naming it.")
class ExamKind(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name, unique in the school, e.g. «ОГЭ».")
    short_name: str = strawberry.field(description="Short name for grids, e.g. «ОГЭ».")
    level: ExamLevelEnum = strawberry.field(description="Intermediate (ПА) or state (ГИА) "
                                                        "attestation.")
    max_test_score: int | None = strawberry.field(
        description="The highest test score (e.g. 100 for ЕГЭ) when the exam has one; null: "
                    "results carry no test score.")
    grade_levels: list[int] = strawberry.field(
        description="The grade levels (1–11) the exam is held in, ascending; empty: any.")
    counts_in_final_grade: bool = strawberry.field(
        description="Whether its grade takes part in the final grade (итоговая отметка): "
                    "true for ОГЭ, false for ЕГЭ, whose score does not change the attestat's "
                    "grade.")
    school_id: strawberry.Private[uuid.UUID]
    system_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The school grading system the exam's grades are in.")
    async def grading_system(self, info: Info) -> GradingSystem | None:
        row = await info.context.loaders.by_id(models.GradingSystem).load(self.system_id)
        return GradingSystem.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.ExamKind) -> ExamKind:
        return cls(id=row.id, name=row.name, short_name=row.short_name, level=row.level,
                   max_test_score=row.max_test_score, grade_levels=list(row.grade_levels),
                   counts_in_final_grade=row.counts_in_final, school_id=row.school_id,
                   system_id=row.system_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ExamKind | None]:
        return await structure_nodes(info, node_ids, models.ExamKind, cls.from_model)


@strawberry.input(description="A new exam kind of a school.")
class CreateExamKindInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a `School` id); the "
                                                            "viewer must administer it.")
    name: str = strawberry.field(description="Name, unique in the school (at most 100 "
                                             "characters).")
    short_name: str = strawberry.field(description="Short name (at most 20 characters).")
    level: ExamLevelEnum = strawberry.field(description="Intermediate (ПА) or state (ГИА).")
    system_id: strawberry.ID = strawberry.field(description="The grading system of its "
                                                            "grades (a `GradingSystem` of the "
                                                            "school).")
    max_test_score: int | None = strawberry.field(
        default=None, description="The highest test score, 1–1000 (100 for ЕГЭ); omit for "
                                  "an exam without a test score.")
    grade_levels: list[int] = strawberry.field(
        default_factory=list, description="Grade levels (1–11) it is held in; empty: any.")
    counts_in_final_grade: bool = strawberry.field(
        default=True, description="Whether its grade takes part in the final grade.")


@strawberry.input(description="Changes to an exam kind; omitted fields stay as they are.")
class UpdateExamKindInput:
    id: strawberry.ID = strawberry.field(description="The exam kind (`ExamKind`).")
    name: str | None = strawberry.field(default=None, description="New name.")
    short_name: str | None = strawberry.field(default=None, description="New short name.")
    level: ExamLevelEnum | None = strawberry.field(default=None, description="New level.")
    system_id: strawberry.ID | None = strawberry.field(
        default=None, description="New grading system (`GradingSystem`); refused once "
                                  "results use the kind.")
    max_test_score: int | None = strawberry.field(
        default=strawberry.UNSET, description="New highest test score (1–1000); null clears "
                                              "it. Refused below a score already given.")
    grade_levels: list[int] | None = strawberry.field(default=None,
                                                      description="New grade levels; empty: "
                                                                  "any.")
    counts_in_final_grade: bool | None = strawberry.field(
        default=None, description="Whether its grade takes part in the final grade.")


@strawberry.input(description="Delete an exam kind no result uses.")
class DeleteExamKindInput:
    id: strawberry.ID = strawberry.field(description="The exam kind (`ExamKind`).")


@strawberry.type(description="Result of creating or changing an exam kind.")
class ExamKindPayload:
    exam_kind: ExamKind | None = strawberry.field(description="The exam kind; null when "
                                                              "refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.type(description="Result of deleting an exam kind.")
class DeleteExamKindPayload:
    deleted_exam_kind_id: strawberry.ID | None = strawberry.field(
        description="Global id of the deleted exam kind; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused; empty on "
                                                           "success.")


# Fields ------------------------------------------------------------------------------------


async def exam_kinds(info: Info, school_id: SchoolIdArg) -> list[ExamKind]:
    rows = await rules.exam_kinds(info.context.session, readable_school(info, school_id))
    return [ExamKind.from_model(r) for r in rows]


def _fields(input: CreateExamKindInput | UpdateExamKindInput) -> rules.ExamKindFields:
    max_score = input.max_test_score
    return rules.ExamKindFields(
        name=input.name, short_name=input.short_name,
        level=models.ExamLevel(input.level) if input.level is not None else None,
        system_id=decoded(input.system_id, "GradingSystem", "input.systemId"),
        max_test_score=max_score if isinstance(max_score, int) else None,
        clear_max_test_score=isinstance(input, UpdateExamKindInput) and max_score is None,
        grade_levels=input.grade_levels, counts_in_final=input.counts_in_final_grade)


def _kind(row: models.ExamKind | None) -> ExamKind | None:
    return ExamKind.from_model(row) if row else None


async def create_exam_kind(info: Info, input: Input[CreateExamKindInput]) -> ExamKindPayload:
    async def write() -> models.ExamKind:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await rules.create_exam_kind(info.context.session, actor(info, school_id),
                                            school_id, _fields(input))

    row, errors = await apply(info, write)
    return ExamKindPayload(exam_kind=_kind(row), errors=errors)


async def update_exam_kind(info: Info, input: Input[UpdateExamKindInput]) -> ExamKindPayload:
    async def write() -> models.ExamKind:
        row = await access_for_admin(info, models.ExamKind, input.id, "ExamKind", "input.id",
                                     "exam kind")
        return await rules.update_exam_kind(info.context.session, actor(info, row.school_id),
                                            row, _fields(input))

    row, errors = await apply(info, write)
    return ExamKindPayload(exam_kind=_kind(row), errors=errors)


async def delete_exam_kind(info: Info, input: Input[DeleteExamKindInput]
                           ) -> DeleteExamKindPayload:
    async def write() -> uuid.UUID:
        row = await access_for_admin(info, models.ExamKind, input.id, "ExamKind", "input.id",
                                     "exam kind")
        return await rules.delete_exam_kind(info.context.session, actor(info, row.school_id),
                                            row)

    deleted, errors = await apply(info, write)
    return DeleteExamKindPayload(
        deleted_exam_kind_id=strawberry.ID(input.id) if deleted else None, errors=errors)


@strawberry.type
class ExamKindsQuery:
    exam_kinds: list[ExamKind] = strawberry.field(
        resolver=exam_kinds, permission_classes=[IsAuthenticated],
        description="The exam kinds of a school, by name: for its members and the officers "
                    "over it (no personal data); empty for a school the viewer may not read.")


@strawberry.type
class ExamKindsMutation:
    create_exam_kind: ExamKindPayload = strawberry.mutation(
        resolver=create_exam_kind, permission_classes=[IsAuthenticated],
        description="Add an exam kind (ОГЭ, ЕГЭ, переводной экзамен) to a school "
                    "(administrator).")
    update_exam_kind: ExamKindPayload = strawberry.mutation(
        resolver=update_exam_kind, permission_classes=[IsAuthenticated],
        description="Change an exam kind (administrator); its grading system cannot change "
                    "once results use it.")
    delete_exam_kind: DeleteExamKindPayload = strawberry.mutation(
        resolver=delete_exam_kind, permission_classes=[IsAuthenticated],
        description="Delete an exam kind (administrator); refused while results use it.")
