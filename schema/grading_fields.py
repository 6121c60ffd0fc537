"""The grading queries and mutations: ids decoded, the rules of resolvers/grading/queries.py and
resolvers/grading/writes.py called, their rows turned into the types of schema/grading.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from strawberry.types import Info

from db import models
from resolvers.grading import queries as grading
from resolvers.grading import writes as grading_writes
from resolvers.grading.values import ValueInput
from resolvers.grading.writes import ConversionRowSpec, ValueRef
from schema.grading import ConversionTable, GradingSystem, GradingSystemUse, GradingTemplate
from schema.grading_inputs import (
    ConversionRowInput,
    ConversionTablePayload,
    CopyGradingTemplateInput,
    CreateConversionTableInput,
    CreateGradingSystemInput,
    DeleteConversionTableInput,
    DeleteConversionTablePayload,
    GradingSystemPayload,
    GradingSystemUsePayload,
    MarkValueInput,
    SetGradingSystemUseInput,
    UpdateGradingSystemInput,
)
from schema.ids import SchoolIdArg, from_global_id, query_id, to_global_id
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from tenants.errors import DomainError

YearIdArg = Annotated[strawberry.ID, strawberry.argument(description="The AcademicYear.")]


async def grading_templates(info: Info) -> list[GradingTemplate]:
    rows = await grading.grading_templates(info.context.session)
    return [GradingTemplate.from_model(r) for r in rows]


async def grading_systems(info: Info, school_id: SchoolIdArg) -> list[GradingSystem]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    rows = await grading.grading_systems(info.context.session, school)
    return [GradingSystem.from_model(r) for r in rows]


async def conversion_tables(info: Info, school_id: SchoolIdArg) -> list[ConversionTable]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    rows = await grading.conversion_tables(info.context.session, school)
    return [ConversionTable.from_model(r) for r in rows]


async def grading_system_uses(info: Info, academic_year_id: YearIdArg
                              ) -> list[GradingSystemUse]:
    year_id = query_id(academic_year_id, "AcademicYear", "academicYearId")
    assert year_id is not None
    year = await info.context.loaders.by_id(models.AcademicYear).load(year_id)
    rows = await grading.grading_system_uses(info.context.session, info.context.access, year)
    return [GradingSystemUse.from_model(r) for r in rows]


def _values(values: Iterable[MarkValueInput]) -> list[ValueInput]:
    return [ValueInput(label=v.label, range_low=v.range_low, range_high=v.range_high,
                       point=v.point, counts_as_pass=v.counts_as_pass,
                       numeric_value=v.numeric_value) for v in values]


def _ref(label: str | None, value_id: str | None, field: str) -> ValueRef:
    """A row's value; a malformed id stays a problem, reported beside the table's others."""
    if value_id is None:
        return ValueRef(label, None)
    try:
        return ValueRef(label, from_global_id(value_id, "MarkValue", field))
    except DomainError as e:
        return ValueRef(label, e.problems[0])


def _rows(rows: Iterable[ConversionRowInput]) -> list[ConversionRowSpec]:
    return [ConversionRowSpec(
        source=_ref(r.from_label, r.from_value_id, f"input.rows.{i}.fromValueId"),
        target=_ref(r.to_label, r.to_value_id, f"input.rows.{i}.toValueId"))
        for i, r in enumerate(rows)]


def _system(row: models.GradingSystem | None) -> GradingSystem | None:
    return GradingSystem.from_model(row) if row else None


async def create_grading_system(info: Info, input: Input[CreateGradingSystemInput]
                                ) -> GradingSystemPayload:
    async def write() -> models.GradingSystem:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await grading_writes.create_grading_system(
            info.context.session, actor(info, school_id), school_id, name=input.name,
            kind=models.GradingKind(input.kind.value), values=_values(input.values))

    row, errors = await apply(info, write)
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def copy_grading_template(info: Info, input: Input[CopyGradingTemplateInput]
                                ) -> GradingSystemPayload:
    async def write() -> models.GradingSystem:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await grading_writes.copy_grading_template(
            info.context.session, actor(info, school_id), school_id,
            template_code=input.template_code, name=input.name)

    row, errors = await apply(info, write)
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def update_grading_system(info: Info, input: Input[UpdateGradingSystemInput]
                                ) -> GradingSystemPayload:
    async def write() -> models.GradingSystem:
        system = await access_for_admin(info, models.GradingSystem, input.id, "GradingSystem",
                                        "input.id", "grading system")
        return await grading_writes.update_grading_system(
            info.context.session, actor(info, system.school_id), system, name=input.name,
            values=None if input.values is None else _values(input.values))

    row, errors = await apply(info, write)
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def create_conversion_table(info: Info, input: Input[CreateConversionTableInput]
                                  ) -> ConversionTablePayload:
    async def write() -> models.ConversionTable:
        source = await access_for_admin(info, models.GradingSystem, input.from_system_id,
                                        "GradingSystem", "input.fromSystemId", "grading system")
        to_system_id = from_global_id(input.to_system_id, "GradingSystem", "input.toSystemId")
        return await grading_writes.create_conversion_table(
            info.context.session, actor(info, source.school_id), source,
            to_system_id=to_system_id, provenance=input.provenance,
            valid_from=input.valid_from, valid_to=input.valid_to, rows=_rows(input.rows))

    row, errors = await apply(info, write)
    return ConversionTablePayload(
        conversion_table=ConversionTable.from_model(row) if row else None, errors=errors)


async def delete_conversion_table(info: Info, input: Input[DeleteConversionTableInput]
                                  ) -> DeleteConversionTablePayload:
    async def write() -> models.ConversionTable:
        table = await access_for_admin(info, models.ConversionTable, input.id,
                                       "ConversionTable", "input.id", "conversion table")
        return await grading_writes.delete_conversion_table(
            info.context.session, actor(info, table.school_id), table)

    row, errors = await apply(info, write)
    deleted = strawberry.ID(to_global_id("ConversionTable", row.id)) if row else None
    return DeleteConversionTablePayload(deleted_id=deleted, errors=errors)


async def set_grading_system_use(info: Info, input: Input[SetGradingSystemUseInput]
                                 ) -> GradingSystemUsePayload:
    async def write() -> models.GradingSystemUse:
        year = await access_for_admin(info, models.AcademicYear, input.academic_year_id,
                                      "AcademicYear", "input.academicYearId", "academic year")
        subject_id = (None if input.subject_id is None
                      else from_global_id(input.subject_id, "Subject", "input.subjectId"))
        system_id = from_global_id(input.system_id, "GradingSystem", "input.systemId")
        return await grading_writes.set_grading_system_use(
            info.context.session, actor(info, year.school_id), year, subject_id=subject_id,
            system_id=system_id, grade_level=input.grade_level)

    row, errors = await apply(info, write)
    return GradingSystemUsePayload(
        grading_system_use=GradingSystemUse.from_model(row) if row else None, errors=errors)


@strawberry.type
class GradingQuery:
    grading_templates: list[GradingTemplate] = strawberry.field(
        resolver=grading_templates, permission_classes=[IsAuthenticated],
        description="The common Russian scales every school can copy (шаблоны шкал), by code.")
    grading_systems: list[GradingSystem] = strawberry.field(
        resolver=grading_systems, permission_classes=[IsAuthenticated],
        description="The grading systems of a school (системы оценивания), by name; empty for "
                    "a school the viewer may not read.")
    conversion_tables: list[ConversionTable] = strawberry.field(
        resolver=conversion_tables, permission_classes=[IsAuthenticated],
        description="The conversion tables of a school (таблицы перевода отметок), by start "
                    "date; empty for a school the viewer may not read.")
    grading_system_uses: list[GradingSystemUse] = strawberry.field(
        resolver=grading_system_uses, permission_classes=[IsAuthenticated],
        description="Which grading system applies to which subject and grade level in an "
                    "academic year; empty for a year the viewer may not read.")


@strawberry.type
class GradingMutation:
    create_grading_system: GradingSystemPayload = strawberry.field(
        resolver=create_grading_system, permission_classes=[IsAuthenticated],
        description="Define a grading system of a school with its values (administrator).")
    copy_grading_template: GradingSystemPayload = strawberry.field(
        resolver=copy_grading_template, permission_classes=[IsAuthenticated],
        description="Copy a global template into a school as a new grading system "
                    "(administrator).")
    update_grading_system: GradingSystemPayload = strawberry.field(
        resolver=update_grading_system, permission_classes=[IsAuthenticated],
        description="Rename a grading system or replace its values; values are frozen once "
                    "marks or grades use them (administrator).")
    create_conversion_table: ConversionTablePayload = strawberry.field(
        resolver=create_conversion_table, permission_classes=[IsAuthenticated],
        description="Pin an explicit conversion between two grading systems of a school "
                    "(administrator).")
    delete_conversion_table: DeleteConversionTablePayload = strawberry.field(
        resolver=delete_conversion_table, permission_classes=[IsAuthenticated],
        description="Delete a conversion table (administrator).")
    set_grading_system_use: GradingSystemUsePayload = strawberry.field(
        resolver=set_grading_system_use, permission_classes=[IsAuthenticated],
        description="Say which grading system applies in a year to a subject and grade level, "
                    "replacing the one set before (administrator).")
