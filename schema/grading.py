"""Grading systems (системы оценивания), their values on the 0–100 axis, conversion tables,
which system applies where, and the global templates. Inputs live in schema/grading_inputs.py.

Axis values and numeric values are Floats with at most two decimals (stored as NUMERIC).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.ids import to_global_id, try_uuid
from schema.structure import structure_nodes
from schema.subjects import Subject

if TYPE_CHECKING:
    from schema.calendar import AcademicYear

GradingKindEnum = strawberry.enum(
    models.GradingKind, name="GradingKind",
    description="numeric: marks are numbers (5-point, 10-point, 100-point); pass_fail: зачёт / "
                "незачёт; letter: letters (A–F); percent: percentages.",
)


@strawberry.type(description="One value of a grading system (отметка шкалы): its label and its "
                             "place on the common 0–100 axis.")
class MarkValue(relay.Node):
    id: relay.NodeID[uuid.UUID]
    label: str = strawberry.field(description="What is written in the journal, e.g. «5», "
                                              "«зачёт».")
    ordinal: int = strawberry.field(description="Position in the system, from 1 (lowest).")
    range_low: float = strawberry.field(description="Start of the value's range on the 0–100 "
                                                    "axis (included).")
    range_high: float = strawberry.field(description="End of the value's range on the 0–100 "
                                                     "axis (excluded, except 100 for the top "
                                                     "value).")
    point: float = strawberry.field(description="Representative point on the axis, used to "
                                                "convert and average.")
    counts_as_pass: bool = strawberry.field(description="Whether the value is a pass "
                                                        "(положительная отметка).")
    numeric_value: float | None = strawberry.field(description="The number for arithmetic "
                                                               "averages (средний балл), if the "
                                                               "value has one.")
    school_id: strawberry.Private[uuid.UUID]
    system_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The grading system the value belongs to.")
    async def grading_system(self, info: Info) -> GradingSystem:
        row = await info.context.loaders.by_id(models.GradingSystem).load(self.system_id)
        return GradingSystem.from_model(row)

    @classmethod
    def from_model(cls, row: models.MarkValue) -> MarkValue:
        return cls(id=row.id, label=row.label, ordinal=row.ordinal,
                   range_low=float(row.range_low), range_high=float(row.range_high),
                   point=float(row.point), counts_as_pass=row.counts_as_pass,
                   numeric_value=_float(row.numeric_value), school_id=row.school_id,
                   system_id=row.system_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MarkValue | None]:
        return await structure_nodes(info, node_ids, models.MarkValue, cls.from_model)


@strawberry.type(description="A grading system (система оценивания, шкала) of a school: its "
                             "values cover the 0–100 axis without gap or overlap.")
class GradingSystem(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name, unique in the school, e.g. «Пятибалльная».")
    kind: GradingKindEnum = strawberry.field(description="Numeric, pass/fail, letter or "
                                                         "percent.")
    template_code: str | None = strawberry.field(description="Code of the template the system "
                                                             "was copied from, if any.")
    school_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The values, lowest first.")
    async def values(self, info: Info) -> list[MarkValue]:
        rows = await info.context.loaders.many(
            models.MarkValue.system_id, models.MarkValue.ordinal).load(self.id)
        return [MarkValue.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, row: models.GradingSystem) -> GradingSystem:
        return cls(id=row.id, name=row.name, kind=row.kind, template_code=row.template_code,
                   school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[GradingSystem | None]:
        return await structure_nodes(info, node_ids, models.GradingSystem, cls.from_model)


@strawberry.type(description="One value of a grading template.")
class GradingTemplateValue:
    label: str = strawberry.field(description="Label, e.g. «5».")
    ordinal: int = strawberry.field(description="Position, from 1 (lowest).")
    range_low: float = strawberry.field(description="Start of the range on the 0–100 axis.")
    range_high: float = strawberry.field(description="End of the range on the 0–100 axis.")
    point: float = strawberry.field(description="Representative point on the axis.")
    counts_as_pass: bool = strawberry.field(description="Whether the value is a pass.")
    numeric_value: float | None = strawberry.field(description="The number for averages, if "
                                                               "any.")

    @classmethod
    def from_model(cls, row: models.GradingTemplateValue) -> GradingTemplateValue:
        return cls(label=row.label, ordinal=row.ordinal, range_low=float(row.range_low),
                   range_high=float(row.range_high), point=float(row.point),
                   counts_as_pass=row.counts_as_pass, numeric_value=_float(row.numeric_value))


@strawberry.type(description="A common Russian scale shared by every school (5-point, "
                             "10-point, 100-point, зачёт/незачёт), to copy with "
                             "`copyGradingTemplate`.")
class GradingTemplate(relay.Node):
    id: relay.NodeID[uuid.UUID]
    code: str = strawberry.field(description="Stable code: five_point, ten_point, "
                                             "hundred_point or pass_fail.")
    name: str = strawberry.field(description="Name, e.g. «Пятибалльная».")
    kind: GradingKindEnum = strawberry.field(description="Numeric, pass/fail, letter or "
                                                         "percent.")

    @strawberry.field(description="The values, lowest first.")
    async def values(self, info: Info) -> list[GradingTemplateValue]:
        rows = await info.context.loaders.many(
            models.GradingTemplateValue.template_id, models.GradingTemplateValue.ordinal
        ).load(self.id)
        return [GradingTemplateValue.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, row: models.GradingTemplate) -> GradingTemplate:
        return cls(id=row.id, code=row.code, name=row.name, kind=row.kind)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[GradingTemplate | None]:
        # Global reference data: any authenticated viewer (the node field requires one).
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.by_id(models.GradingTemplate).load_many(
            [i for i in ids if i])
        found = {r.id: cls.from_model(r) for r in rows if r is not None}
        return [found.get(i) if i else None for i in ids]


@strawberry.type(description="One line of a conversion table: this value becomes that one.")
class ConversionTableRow:
    from_value: MarkValue = strawberry.field(name="from", description="A value of the source "
                                                                      "system.")
    to_value: MarkValue = strawberry.field(name="to", description="The value of the target "
                                                                  "system it converts to.")


@strawberry.type(description="An explicit conversion between two grading systems of a school "
                             "(таблица перевода), pinned by a local act for a period of time.")
class ConversionTable(relay.Node):
    id: relay.NodeID[uuid.UUID]
    provenance: str = strawberry.field(description="Where the table comes from, e.g. the "
                                                   "school's local act (локальный акт).")
    valid_from: date = strawberry.field(description="First day the table applies.")
    valid_to: date | None = strawberry.field(description="Last day the table applies; null: "
                                                         "open-ended.")
    school_id: strawberry.Private[uuid.UUID]
    from_system_id: strawberry.Private[uuid.UUID]
    to_system_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="from", description="The source system.")
    async def from_system(self, info: Info) -> GradingSystem:
        row = await info.context.loaders.by_id(models.GradingSystem).load(self.from_system_id)
        return GradingSystem.from_model(row)

    @strawberry.field(name="to", description="The target system.")
    async def to_system(self, info: Info) -> GradingSystem:
        row = await info.context.loaders.by_id(models.GradingSystem).load(self.to_system_id)
        return GradingSystem.from_model(row)

    @strawberry.field(description="One row per value of the source system, lowest first.")
    async def rows(self, info: Info) -> list[ConversionTableRow]:
        loaders = info.context.loaders
        rows = await loaders.many(models.ConversionRow.table_id).load(self.id)
        found = await loaders.by_id(models.MarkValue).load_many(
            [r.from_value_id for r in rows] + [r.to_value_id for r in rows])
        froms, tos = found[:len(rows)], found[len(rows):]
        pairs = sorted(zip(froms, tos, strict=True), key=lambda p: p[0].ordinal)
        return [ConversionTableRow(from_value=MarkValue.from_model(f),
                                   to_value=MarkValue.from_model(t)) for f, t in pairs]

    @classmethod
    def from_model(cls, row: models.ConversionTable) -> ConversionTable:
        return cls(id=row.id, provenance=row.provenance, valid_from=row.valid_from,
                   valid_to=row.valid_to, school_id=row.school_id,
                   from_system_id=row.from_system_id, to_system_id=row.to_system_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ConversionTable | None]:
        return await structure_nodes(info, node_ids, models.ConversionTable, cls.from_model)


@strawberry.type(description="Which grading system applies in an academic year to a subject "
                             "and grade level; a null subject or grade level means any.")
class GradingSystemUse(relay.Node):
    id: relay.NodeID[uuid.UUID]
    grade_level: int | None = strawberry.field(description="Grade level 1–11 (параллель); null "
                                                           "for every grade level.")
    school_id: strawberry.Private[uuid.UUID]
    year_id: strawberry.Private[uuid.UUID]
    subject_id: strawberry.Private[uuid.UUID | None]
    system_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Global id of the academic year (an AcademicYear).")
    def academic_year_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("AcademicYear", self.year_id))

    @strawberry.field(description="The academic year (учебный год).")
    async def academic_year(
        self, info: Info
    ) -> Annotated[AcademicYear, strawberry.lazy("schema.calendar")]:
        from schema.calendar import AcademicYear

        row = await info.context.loaders.by_id(models.AcademicYear).load(self.year_id)
        return AcademicYear.from_model(row)

    @strawberry.field(description="The subject; null for every subject.")
    async def subject(self, info: Info) -> Subject | None:
        if self.subject_id is None:
            return None
        row = await info.context.loaders.by_id(models.Subject).load(self.subject_id)
        return Subject.from_model(row) if row else None

    @strawberry.field(description="The grading system that applies.")
    async def system(self, info: Info) -> GradingSystem:
        row = await info.context.loaders.by_id(models.GradingSystem).load(self.system_id)
        return GradingSystem.from_model(row)

    @classmethod
    def from_model(cls, row: models.GradingSystemUse) -> GradingSystemUse:
        return cls(id=row.id, grade_level=row.grade_level, school_id=row.school_id,
                   year_id=row.academic_year_id, subject_id=row.subject_id,
                   system_id=row.system_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[GradingSystemUse | None]:
        return await structure_nodes(info, node_ids, models.GradingSystemUse, cls.from_model)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
