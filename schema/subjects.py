"""Subjects, work types with weights and lesson types of a school: types, inputs, payloads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.errors import UserError
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
