"""Subjects, work types with weights and lesson types of a school: types, inputs, payloads,
and the fields that read and write them (rules in resolvers/subjects.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import subjects as rules
from schema.errors import UserError
from schema.ids import SchoolIdArg
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from schema.structure import structure_nodes


@strawberry.type(description="A subject taught at a school (предмет).")
class Subject(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Full name, e.g. «Математика»; unique in the "
                                             "school.")
    short_name: str = strawberry.field(description="Short name for grids, e.g. «Мат».")
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.Subject) -> Subject:
        return cls(id=row.id, name=row.name, short_name=row.short_name, school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Subject | None]:
        return await structure_nodes(info, node_ids, models.Subject, cls.from_model)


@strawberry.type(description="A kind of work (вид работы), e.g. «Контрольная работа», with its "
                             "weight in weighted averages (вес).")
class WorkType(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name of the kind of work; unique in the school.")
    weight: float = strawberry.field(description="Weight in weighted averages: more than 0, at "
                                                 "most 10, two decimals.")
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.WorkType) -> WorkType:
        return cls(id=row.id, name=row.name, weight=float(row.weight), school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WorkType | None]:
        return await structure_nodes(info, node_ids, models.WorkType, cls.from_model)


@strawberry.type(description="A kind of lesson (тип занятия): урок, лабораторная, практическая, "
                             "контрольная…; counted against the curriculum.")
class LessonType(relay.Node):
    id: relay.NodeID[uuid.UUID]
    code: str = strawberry.field(description="Short code, unique in the school, e.g. «lab».")
    name: str = strawberry.field(description="Name, e.g. «Лабораторная работа».")
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.LessonType) -> LessonType:
        return cls(id=row.id, code=row.code, name=row.name, school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LessonType | None]:
        return await structure_nodes(info, node_ids, models.LessonType, cls.from_model)


@strawberry.input(description="A new subject of a school.")
class CreateSubjectInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    name: str = strawberry.field(description="Full name, unique in the school.")
    short_name: str = strawberry.field(description="Short name for grids.")


@strawberry.input(description="Changes to a subject; omitted fields stay as they are.")
class UpdateSubjectInput:
    id: strawberry.ID = strawberry.field(description="The subject to change.")
    name: str | None = strawberry.field(default=None, description="New full name.")
    short_name: str | None = strawberry.field(default=None, description="New short name.")


@strawberry.type(description="Result of creating or changing a subject.")
class SubjectPayload:
    subject: Subject | None = strawberry.field(description="The subject; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="A new kind of work of a school.")
class CreateWorkTypeInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    name: str = strawberry.field(description="Name, unique in the school.")
    weight: float = strawberry.field(description="Weight: more than 0, at most 10.")


@strawberry.input(description="Changes to a kind of work; omitted fields stay as they are.")
class UpdateWorkTypeInput:
    id: strawberry.ID = strawberry.field(description="The work type to change.")
    name: str | None = strawberry.field(default=None, description="New name.")
    weight: float | None = strawberry.field(default=None, description="New weight: more than "
                                                                      "0, at most 10.")


@strawberry.type(description="Result of creating or changing a kind of work.")
class WorkTypePayload:
    work_type: WorkType | None = strawberry.field(description="The work type; null when "
                                                              "refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="A new kind of lesson of a school.")
class CreateLessonTypeInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    code: str = strawberry.field(description="Short code, unique in the school.")
    name: str = strawberry.field(description="Name.")


@strawberry.input(description="Changes to a kind of lesson; omitted fields stay as they are.")
class UpdateLessonTypeInput:
    id: strawberry.ID = strawberry.field(description="The lesson type to change.")
    code: str | None = strawberry.field(default=None, description="New code, unique in the "
                                                                  "school.")
    name: str | None = strawberry.field(default=None, description="New name.")


@strawberry.type(description="Result of creating or changing a kind of lesson.")
class LessonTypePayload:
    lesson_type: LessonType | None = strawberry.field(description="The lesson type; null when "
                                                                  "refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


# Fields ------------------------------------------------------------------------------------

async def subjects(info: Info, school_id: SchoolIdArg) -> list[Subject]:
    rows = await rules.subjects(info.context.session, readable_school(info, school_id))
    return [Subject.from_model(r) for r in rows]


async def work_types(info: Info, school_id: SchoolIdArg) -> list[WorkType]:
    rows = await rules.work_types(info.context.session, readable_school(info, school_id))
    return [WorkType.from_model(r) for r in rows]


async def lesson_types(info: Info, school_id: SchoolIdArg) -> list[LessonType]:
    rows = await rules.lesson_types(info.context.session, readable_school(info, school_id))
    return [LessonType.from_model(r) for r in rows]


def _admin_school(info: Info, value: str) -> uuid.UUID:
    return admin_school_by_global_id(info.context.access, value, "input.schoolId")


async def create_subject_field(info: Info, input: Input[CreateSubjectInput]) -> SubjectPayload:
    async def write() -> models.Subject:
        school_id = _admin_school(info, input.school_id)
        return await rules.create_subject(info.context.session, actor(info, school_id),
                                          school_id, name=input.name,
                                          short_name=input.short_name)

    row, errors = await apply(info, write)
    return SubjectPayload(subject=Subject.from_model(row) if row else None, errors=errors)


async def update_subject_field(info: Info, input: Input[UpdateSubjectInput]) -> SubjectPayload:
    async def write() -> models.Subject:
        row = await access_for_admin(info, models.Subject, input.id, "Subject", "input.id",
                                     "subject")
        return await rules.update_subject(info.context.session, actor(info, row.school_id),
                                          row, name=input.name, short_name=input.short_name)

    row, errors = await apply(info, write)
    return SubjectPayload(subject=Subject.from_model(row) if row else None, errors=errors)


async def create_work_type_field(info: Info, input: Input[CreateWorkTypeInput]
                                 ) -> WorkTypePayload:
    async def write() -> models.WorkType:
        school_id = _admin_school(info, input.school_id)
        return await rules.create_work_type(info.context.session, actor(info, school_id),
                                            school_id, name=input.name, weight=input.weight)

    row, errors = await apply(info, write)
    return WorkTypePayload(work_type=WorkType.from_model(row) if row else None, errors=errors)


async def update_work_type_field(info: Info, input: Input[UpdateWorkTypeInput]
                                 ) -> WorkTypePayload:
    async def write() -> models.WorkType:
        row = await access_for_admin(info, models.WorkType, input.id, "WorkType", "input.id",
                                     "work type")
        return await rules.update_work_type(info.context.session, actor(info, row.school_id),
                                            row, name=input.name, weight=input.weight)

    row, errors = await apply(info, write)
    return WorkTypePayload(work_type=WorkType.from_model(row) if row else None, errors=errors)


async def create_lesson_type_field(info: Info, input: Input[CreateLessonTypeInput]
                                   ) -> LessonTypePayload:
    async def write() -> models.LessonType:
        school_id = _admin_school(info, input.school_id)
        return await rules.create_lesson_type(info.context.session, actor(info, school_id),
                                              school_id, code=input.code, name=input.name)

    row, errors = await apply(info, write)
    return LessonTypePayload(lesson_type=LessonType.from_model(row) if row else None,
                             errors=errors)


async def update_lesson_type_field(info: Info, input: Input[UpdateLessonTypeInput]
                                   ) -> LessonTypePayload:
    async def write() -> models.LessonType:
        row = await access_for_admin(info, models.LessonType, input.id, "LessonType",
                                     "input.id", "lesson type")
        return await rules.update_lesson_type(info.context.session,
                                              actor(info, row.school_id), row,
                                              code=input.code, name=input.name)

    row, errors = await apply(info, write)
    return LessonTypePayload(lesson_type=LessonType.from_model(row) if row else None,
                             errors=errors)


@strawberry.type
class SubjectsQuery:
    subjects: list[Subject] = strawberry.field(
        resolver=subjects, permission_classes=[IsAuthenticated],
        description="The subjects of a school (предметы), by name; empty for a school the "
                    "viewer may not read.")
    work_types: list[WorkType] = strawberry.field(
        resolver=work_types, permission_classes=[IsAuthenticated],
        description="The kinds of work of a school with their weights (виды работ), by name; "
                    "empty for a school the viewer may not read.")
    lesson_types: list[LessonType] = strawberry.field(
        resolver=lesson_types, permission_classes=[IsAuthenticated],
        description="The kinds of lesson of a school (типы занятий), by code; empty for a "
                    "school the viewer may not read.")


@strawberry.type
class SubjectsMutation:
    create_subject: SubjectPayload = strawberry.field(
        resolver=create_subject_field, permission_classes=[IsAuthenticated],
        description="Add a subject to a school (administrator).")
    update_subject: SubjectPayload = strawberry.field(
        resolver=update_subject_field, permission_classes=[IsAuthenticated],
        description="Rename a subject or change its short name (administrator).")
    create_work_type: WorkTypePayload = strawberry.field(
        resolver=create_work_type_field, permission_classes=[IsAuthenticated],
        description="Add a kind of work with its weight to a school (administrator).")
    update_work_type: WorkTypePayload = strawberry.field(
        resolver=update_work_type_field, permission_classes=[IsAuthenticated],
        description="Rename a kind of work or change its weight (administrator).")
    create_lesson_type: LessonTypePayload = strawberry.field(
        resolver=create_lesson_type_field, permission_classes=[IsAuthenticated],
        description="Add a kind of lesson to a school (administrator).")
    update_lesson_type: LessonTypePayload = strawberry.field(
        resolver=update_lesson_type_field, permission_classes=[IsAuthenticated],
        description="Change the code or name of a kind of lesson (administrator).")
