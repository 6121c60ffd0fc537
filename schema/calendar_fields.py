"""The calendar's queries and mutations: ids decoded, the administrator's objects fetched,
and the rules of resolvers/calendar*.py run inside `apply`."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.calendar import writes
from resolvers.calendar import years as calendar
from resolvers.calendar.checks import Span
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
    GradeLevelSchemeInput,
    Holiday,
    HolidayInput,
    HolidayPayload,
    PeriodInput,
    PeriodScheme,
    PeriodSchemePayload,
    SetGradeLevelSchemesInput,
    SetGradeLevelSchemesPayload,
    UpdateAcademicYearInput,
    UpdatePeriodSchemeInput,
)
from schema.ids import from_global_id
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from tenants.errors import DomainError


async def academic_years(
    info: Info,
    school_id: Annotated[strawberry.ID, strawberry.argument(
        description="The school (global id). A school whose structure the viewer may not "
                    "read gives an empty list.")],
    first: First = None,
    after: After = None,
) -> relay.Connection[AcademicYear]:
    return await paginate(
        info.context.session, calendar.academic_years(readable_school(info, school_id)),
        keys=list(calendar.ACADEMIC_YEAR_ORDER), first=first, after=after,
        to_node=AcademicYear.from_model, descending=True,
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


def _spans(specs: list[PeriodInput] | list[HolidayInput]) -> list[Span]:
    return [Span(s.name, s.starts_on, s.ends_on) for s in specs]


async def _admin_year(info: Info, value: str, field: str) -> models.AcademicYear:
    return await access_for_admin(info, models.AcademicYear, value, "AcademicYear", field,
                                  "academic year")


async def _admin_scheme(info: Info, value: str) -> models.PeriodScheme:
    return await access_for_admin(info, models.PeriodScheme, value, "PeriodScheme", "input.id",
                                  "period scheme")


async def create_academic_year(info: Info, input: Input[CreateAcademicYearInput]
                               ) -> AcademicYearPayload:
    async def write() -> models.AcademicYear:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await writes.create_academic_year(
            info.context.session, actor(info, school_id), school_id, name=input.name,
            starts_on=input.starts_on, ends_on=input.ends_on)

    row, errors = await apply(info, write)
    return AcademicYearPayload(academic_year=_year(row), errors=errors)


async def update_academic_year(info: Info, input: Input[UpdateAcademicYearInput]
                               ) -> AcademicYearPayload:
    async def write() -> models.AcademicYear:
        year = await _admin_year(info, input.id, "input.id")
        return await writes.update_academic_year(
            info.context.session, actor(info, year.school_id), year, name=input.name,
            starts_on=input.starts_on, ends_on=input.ends_on)

    row, errors = await apply(info, write)
    return AcademicYearPayload(academic_year=_year(row), errors=errors)


async def create_period_scheme(info: Info, input: Input[CreatePeriodSchemeInput]
                               ) -> PeriodSchemePayload:
    async def write() -> models.PeriodScheme:
        year = await _admin_year(info, input.academic_year_id, "input.academicYearId")
        return await writes.create_period_scheme(
            info.context.session, actor(info, year.school_id), year, name=input.name,
            kind=input.kind, periods=_spans(input.periods), holidays=_spans(input.holidays))

    row, errors = await apply(info, write)
    return PeriodSchemePayload(period_scheme=_scheme(row), errors=errors)


async def update_period_scheme(info: Info, input: Input[UpdatePeriodSchemeInput]
                               ) -> PeriodSchemePayload:
    async def write() -> models.PeriodScheme:
        scheme = await _admin_scheme(info, input.id)
        # Through the loader: the payload's `academicYear` then costs no statement.
        year = await info.context.loaders.by_id(models.AcademicYear).load(
            scheme.academic_year_id)
        assert year is not None  # same school, same RLS scope as the scheme
        return await writes.update_period_scheme(
            info.context.session, actor(info, scheme.school_id), scheme, year,
            name=input.name,
            periods=None if input.periods is None else _spans(input.periods),
            holidays=None if input.holidays is None else _spans(input.holidays))

    row, errors = await apply(info, write)
    return PeriodSchemePayload(period_scheme=_scheme(row), errors=errors)


async def delete_period_scheme(info: Info, input: Input[DeletePeriodSchemeInput]
                               ) -> DeletePeriodSchemePayload:
    async def write() -> uuid.UUID:
        scheme = await _admin_scheme(info, input.id)
        return await writes.delete_period_scheme(info.context.session,
                                                 actor(info, scheme.school_id), scheme)

    deleted, errors = await apply(info, write)
    return DeletePeriodSchemePayload(
        deleted_period_scheme_id=strawberry.ID(input.id) if deleted else None, errors=errors)


def _assignment(i: int, given: GradeLevelSchemeInput) -> writes.GradeLevelAssignment:
    if given.period_scheme_id is None:
        return writes.GradeLevelAssignment(given.grade_level, None)
    try:
        return writes.GradeLevelAssignment(given.grade_level, from_global_id(
            given.period_scheme_id, "PeriodScheme", f"input.assignments.{i}.periodSchemeId"))
    except DomainError as e:
        return writes.GradeLevelAssignment(given.grade_level, None, tuple(e.problems))


async def set_grade_level_schemes(info: Info, input: Input[SetGradeLevelSchemesInput]
                                  ) -> SetGradeLevelSchemesPayload:
    async def write() -> models.AcademicYear:
        year = await _admin_year(info, input.academic_year_id, "input.academicYearId")
        return await writes.set_grade_level_schemes(
            info.context.session, actor(info, year.school_id), year,
            [_assignment(i, a) for i, a in enumerate(input.assignments)],
            info.context.loaders.by_id(models.PeriodScheme).load_many)

    row, errors = await apply(info, write)
    return SetGradeLevelSchemesPayload(academic_year=_year(row), errors=errors)


async def create_holiday(info: Info, input: Input[CreateHolidayInput]) -> HolidayPayload:
    async def write() -> models.Holiday:
        year = await _admin_year(info, input.academic_year_id, "input.academicYearId")
        return await writes.create_holiday(
            info.context.session, actor(info, year.school_id), year,
            Span(input.name, input.starts_on, input.ends_on))

    row, errors = await apply(info, write)
    return HolidayPayload(holiday=Holiday.from_model(row) if row else None, errors=errors)


async def delete_holiday(info: Info, input: Input[DeleteHolidayInput]) -> DeleteHolidayPayload:
    async def write() -> uuid.UUID:
        holiday = await access_for_admin(info, models.Holiday, input.id, "Holiday", "input.id",
                                         "holiday")
        return await writes.delete_holiday(info.context.session,
                                           actor(info, holiday.school_id), holiday)

    deleted, errors = await apply(info, write)
    return DeleteHolidayPayload(deleted_holiday_id=strawberry.ID(input.id) if deleted else None,
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
