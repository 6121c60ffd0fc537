"""Queries and mutations of the calendar domain: academic years, period schemes, holidays."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import false, select
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import calendar_writes as writes
from schema.calendar import (
    AcademicYear,
    AcademicYearPayload,
    CreateAcademicYearInput,
    CreateHolidayInput,
    CreatePeriodSchemeInput,
    DeleteHolidayInput,
    DeleteHolidayPayload,
    DeletePeriodSchemeInput,
    DeletePeriodSchemePayload,
    Holiday,
    HolidayPayload,
    PeriodScheme,
    PeriodSchemePayload,
    SetGradeLevelSchemesInput,
    SetGradeLevelSchemesPayload,
    UpdateAcademicYearInput,
    UpdatePeriodSchemeInput,
)
from schema.mutations import Input, apply
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from schema.school_access import readable_school


async def academic_years(
    info: Info,
    school_id: Annotated[strawberry.ID, strawberry.argument(
        description="The school (global id). A school whose structure the viewer may not "
                    "read gives an empty list.")],
    first: First = None,
    after: After = None,
) -> relay.Connection[AcademicYear]:
    school = readable_school(info, school_id)
    stmt = select(models.AcademicYear).where(
        models.AcademicYear.school_id == school if school else false())
    return await paginate(
        info.context.session, stmt,
        keys=[models.AcademicYear.starts_on, models.AcademicYear.id],
        first=first, after=after, to_node=AcademicYear.from_model, descending=True,
    )


@strawberry.type
class CalendarQuery:
    academic_years: relay.Connection[AcademicYear] = strawberry.field(
        resolver=academic_years, permission_classes=[IsAuthenticated],
        description="The academic years of a school (учебные годы), latest first.")


def _year(row: models.AcademicYear | None) -> AcademicYear | None:
    return AcademicYear.from_model(row) if row else None


def _scheme(row: models.PeriodScheme | None) -> PeriodScheme | None:
    return PeriodScheme.from_model(row) if row else None


async def create_academic_year(info: Info, input: Input[CreateAcademicYearInput]
                               ) -> AcademicYearPayload:
    row, errors = await apply(info, lambda: writes.create_academic_year(info, input))
    return AcademicYearPayload(academic_year=_year(row), errors=errors)


async def update_academic_year(info: Info, input: Input[UpdateAcademicYearInput]
                               ) -> AcademicYearPayload:
    row, errors = await apply(info, lambda: writes.update_academic_year(info, input))
    return AcademicYearPayload(academic_year=_year(row), errors=errors)


async def create_period_scheme(info: Info, input: Input[CreatePeriodSchemeInput]
                               ) -> PeriodSchemePayload:
    row, errors = await apply(info, lambda: writes.create_period_scheme(info, input))
    return PeriodSchemePayload(period_scheme=_scheme(row), errors=errors)


async def update_period_scheme(info: Info, input: Input[UpdatePeriodSchemeInput]
                               ) -> PeriodSchemePayload:
    row, errors = await apply(info, lambda: writes.update_period_scheme(info, input))
    return PeriodSchemePayload(period_scheme=_scheme(row), errors=errors)


async def delete_period_scheme(info: Info, input: Input[DeletePeriodSchemeInput]
                               ) -> DeletePeriodSchemePayload:
    deleted, errors = await apply(info, lambda: writes.delete_period_scheme(info, input))
    return DeletePeriodSchemePayload(
        deleted_period_scheme_id=strawberry.ID(deleted) if deleted else None, errors=errors)


async def set_grade_level_schemes(info: Info, input: Input[SetGradeLevelSchemesInput]
                                  ) -> SetGradeLevelSchemesPayload:
    row, errors = await apply(info, lambda: writes.set_grade_level_schemes(info, input))
    return SetGradeLevelSchemesPayload(academic_year=_year(row), errors=errors)


async def create_holiday(info: Info, input: Input[CreateHolidayInput]) -> HolidayPayload:
    row, errors = await apply(info, lambda: writes.create_holiday(info, input))
    return HolidayPayload(holiday=Holiday.from_model(row) if row else None, errors=errors)


async def delete_holiday(info: Info, input: Input[DeleteHolidayInput]) -> DeleteHolidayPayload:
    deleted, errors = await apply(info, lambda: writes.delete_holiday(info, input))
    return DeleteHolidayPayload(deleted_holiday_id=strawberry.ID(deleted) if deleted else None,
                                errors=errors)


ADMIN_ONLY = " School administrators only."


@strawberry.type
class CalendarMutation:
    create_academic_year: AcademicYearPayload = strawberry.field(
        resolver=create_academic_year, permission_classes=[IsAuthenticated],
        description="Open a new academic year in a school; the name must be unique in the "
                    "school and the year must end after it starts." + ADMIN_ONLY)
    update_academic_year: AcademicYearPayload = strawberry.field(
        resolver=update_academic_year, permission_classes=[IsAuthenticated],
        description="Rename an academic year or move its dates; it must still contain all its "
                    "periods and holidays." + ADMIN_ONLY)
    create_period_scheme: PeriodSchemePayload = strawberry.field(
        resolver=create_period_scheme, permission_classes=[IsAuthenticated],
        description="Cut an academic year into periods (quarters, trimesters, half-years, "
                    "modules) with holidays; the periods, given in order, get ordinals "
                    "1..n." + ADMIN_ONLY)
    update_period_scheme: PeriodSchemePayload = strawberry.field(
        resolver=update_period_scheme, permission_classes=[IsAuthenticated],
        description="Rename a period scheme or replace its periods or holidays; closed "
                    "periods cannot change." + ADMIN_ONLY)
    delete_period_scheme: DeletePeriodSchemePayload = strawberry.field(
        resolver=delete_period_scheme, permission_classes=[IsAuthenticated],
        description="Delete a period scheme with its periods and holidays; refused while grade "
                    "levels use it or its periods are closed or graded." + ADMIN_ONLY)
    set_grade_level_schemes: SetGradeLevelSchemesPayload = strawberry.field(
        resolver=set_grade_level_schemes, permission_classes=[IsAuthenticated],
        description="Choose the period scheme of grade levels in a year (e.g. quarters for "
                    "1–9, half-years for 10–11); other grade levels keep theirs." + ADMIN_ONLY)
    create_holiday: HolidayPayload = strawberry.field(
        resolver=create_holiday, permission_classes=[IsAuthenticated],
        description="Add a school-wide holiday (no lessons for any grade level) to an "
                    "academic year." + ADMIN_ONLY)
    delete_holiday: DeleteHolidayPayload = strawberry.field(
        resolver=delete_holiday, permission_classes=[IsAuthenticated],
        description="Delete a school-wide holiday." + ADMIN_ONLY)
