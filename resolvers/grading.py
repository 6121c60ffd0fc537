"""Queries and mutations of the grading domain (writes in resolvers/grading_writes.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db import models
from resolvers import grading_writes as writes
from schema.grading import ConversionTable, GradingSystem, GradingSystemUse, GradingTemplate
from schema.grading_inputs import (
    ConversionTablePayload,
    CopyGradingTemplateInput,
    CreateConversionTableInput,
    CreateGradingSystemInput,
    DeleteConversionTableInput,
    DeleteConversionTablePayload,
    GradingSystemPayload,
    GradingSystemUsePayload,
    SetGradingSystemUseInput,
    UpdateGradingSystemInput,
)
from schema.ids import from_global_id, to_global_id
from schema.mutations import Input, apply
from schema.permissions import IsAuthenticated
from schema.school_access import readable_school
from tenants.errors import DomainError, bad_argument
from tenants.rules import can_read_structure

SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(description="The School.")]
YearIdArg = Annotated[strawberry.ID, strawberry.argument(description="The AcademicYear.")]


async def grading_templates(info: Info) -> list[GradingTemplate]:
    rows = await info.context.session.scalars(
        select(models.GradingTemplate).order_by(models.GradingTemplate.code))
    return [GradingTemplate.from_model(r) for r in rows]


async def grading_systems(info: Info, school_id: SchoolIdArg) -> list[GradingSystem]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    rows = await info.context.session.scalars(
        select(models.GradingSystem).where(models.GradingSystem.school_id == school)
        .order_by(models.GradingSystem.name, models.GradingSystem.id))
    return [GradingSystem.from_model(r) for r in rows]


async def conversion_tables(info: Info, school_id: SchoolIdArg) -> list[ConversionTable]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    t = models.ConversionTable
    rows = await info.context.session.scalars(
        select(t).where(t.school_id == school).order_by(t.valid_from, t.id))
    return [ConversionTable.from_model(r) for r in rows]


async def grading_system_uses(info: Info, academic_year_id: YearIdArg
                              ) -> list[GradingSystemUse]:
    try:
        year_id = from_global_id(academic_year_id, "AcademicYear", "academicYearId")
    except DomainError:
        raise bad_argument("academicYearId", "is not the id of an AcademicYear") from None
    year = await info.context.loaders.by_id(models.AcademicYear).load(year_id)
    if year is None or not can_read_structure(info.context.access, year.school_id):
        return []
    u = models.GradingSystemUse
    rows = await info.context.session.scalars(
        select(u).where(u.school_id == year.school_id, u.academic_year_id == year.id)
        .order_by(u.grade_level.nulls_first(), u.subject_id.nulls_first(), u.id))
    return [GradingSystemUse.from_model(r) for r in rows]


def _system(row: models.GradingSystem | None) -> GradingSystem | None:
    return GradingSystem.from_model(row) if row else None


async def create_grading_system(info: Info, input: Input[CreateGradingSystemInput]
                                ) -> GradingSystemPayload:
    row, errors = await apply(info, lambda: writes.create_grading_system(info, input))
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def copy_grading_template(info: Info, input: Input[CopyGradingTemplateInput]
                                ) -> GradingSystemPayload:
    row, errors = await apply(info, lambda: writes.copy_grading_template(info, input))
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def update_grading_system(info: Info, input: Input[UpdateGradingSystemInput]
                                ) -> GradingSystemPayload:
    row, errors = await apply(info, lambda: writes.update_grading_system(info, input))
    return GradingSystemPayload(grading_system=_system(row), errors=errors)


async def create_conversion_table(info: Info, input: Input[CreateConversionTableInput]
                                  ) -> ConversionTablePayload:
    row, errors = await apply(info, lambda: writes.create_conversion_table(info, input))
    return ConversionTablePayload(
        conversion_table=ConversionTable.from_model(row) if row else None, errors=errors)


async def delete_conversion_table(info: Info, input: Input[DeleteConversionTableInput]
                                  ) -> DeleteConversionTablePayload:
    row, errors = await apply(info, lambda: writes.delete_conversion_table(info, input))
    deleted = strawberry.ID(to_global_id("ConversionTable", row.id)) if row else None
    return DeleteConversionTablePayload(deleted_id=deleted, errors=errors)


async def set_grading_system_use(info: Info, input: Input[SetGradingSystemUseInput]
                                 ) -> GradingSystemUsePayload:
    row, errors = await apply(info, lambda: writes.set_grading_system_use(info, input))
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
