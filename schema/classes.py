"""Classes and study groups (класс, подгруппа, профильная группа, элективный курс)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.structure import structure_nodes

GroupKindEnum = strawberry.enum(
    models.GroupKind, name="GroupKind",
    description="whole_class: the class studies the subject together; subgroup: one part of "
                "a split of a class (деление на подгруппы); cross_class: a profile group, "
                "elective or optional course drawn from several classes.",
)


@strawberry.type(description="A class (класс), e.g. 5 «А», in one academic year.")
class SchoolClass(relay.Node):
    id: relay.NodeID[uuid.UUID]
    grade_level: int = strawberry.field(description="Grade level 1–11 (параллель).")
    letter: str = strawberry.field(description="Letter of the class, e.g. «А».")
    school_id: strawberry.Private[uuid.UUID]
    academic_year_id: strawberry.Private[uuid.UUID]
    class_teacher_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Display name, e.g. «5А».")
    def name(self) -> str:
        return f"{self.grade_level}{self.letter}"

    @classmethod
    def from_model(cls, row: models.SchoolClass) -> SchoolClass:
        return cls(id=row.id, grade_level=row.grade_level, letter=row.letter,
                   school_id=row.school_id, academic_year_id=row.academic_year_id,
                   class_teacher_id=row.class_teacher_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SchoolClass | None]:
        return await structure_nodes(info, node_ids, models.SchoolClass, cls.from_model)


@strawberry.type(description="A study group: the students who study one subject together.")
class StudyGroup(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Display name, e.g. «5А Английский язык, 1 гр.».")
    kind: GroupKindEnum = strawberry.field(description="Whole class, subgroup or cross-class.")
    school_id: strawberry.Private[uuid.UUID]
    subject_id: strawberry.Private[uuid.UUID]
    class_id: strawberry.Private[uuid.UUID | None]
    academic_year_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.StudyGroup) -> StudyGroup:
        return cls(id=row.id, name=row.name, kind=row.kind, school_id=row.school_id,
                   subject_id=row.subject_id, class_id=row.class_id,
                   academic_year_id=row.academic_year_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[StudyGroup | None]:
        return await structure_nodes(info, node_ids, models.StudyGroup, cls.from_model)

