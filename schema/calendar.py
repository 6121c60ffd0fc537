"""The school calendar: academic years, period schemes, periods and holidays (учебный год)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.curriculum import CurriculumPlanLine, curriculum_of
from schema.errors import UserError
from schema.structure import structure_nodes

YearStatusEnum = strawberry.enum(
    models.YearStatus, name="AcademicYearStatus",
    description="open: the year is being taught; closed: finished, its grades are final; "
                "archived: kept for history only.",
)

SchemeKindEnum = strawberry.enum(
    models.SchemeKind, name="PeriodSchemeKind",
    description="How a year is cut into reporting periods: quarters (четверти), trimesters "
                "(триместры), half_years (полугодия) or modules (модули).",
)


@strawberry.type(description="An academic year of one school (учебный год), e.g. 2015/2016.")
class AcademicYear(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name of the year, e.g. «2015/2016».")
    starts_on: date = strawberry.field(description="First day of the year.")
    ends_on: date = strawberry.field(description="Last day of the year.")
    status: YearStatusEnum = strawberry.field(description="Open, closed or archived.")
    school_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The period schemes of the year (схемы деления на "
                                  "учебные периоды), by name.")
    async def period_schemes(self, info: Info) -> list[PeriodScheme]:
        rows = await info.context.loaders.many(
            models.PeriodScheme.academic_year_id, models.PeriodScheme.name,
            models.PeriodScheme.id).load(self.id)
        return [PeriodScheme.from_model(r) for r in rows]

    @strawberry.field(description="Which period scheme each grade level (параллель) uses this "
                                  "year, by grade level; levels without one are left out.")
    async def grade_level_schemes(self, info: Info) -> list[GradeLevelScheme]:
        rows = await info.context.loaders.many(
            models.GradeLevelScheme.academic_year_id,
            models.GradeLevelScheme.grade_level).load(self.id)
        return [GradeLevelScheme.from_model(r) for r in rows]

    @strawberry.field(description="Every holiday of the year (каникулы, праздничные дни) by "
                                  "start date: school-wide ones (no scheme) and those of its "
                                  "period schemes.")
    async def holidays(self, info: Info) -> list[Holiday]:
        rows = await info.context.loaders.many(
            models.Holiday.academic_year_id, models.Holiday.starts_on,
            models.Holiday.id).load(self.id)
        return [Holiday.from_model(r) for r in rows]

    @strawberry.field(description="The year's curriculum (учебный план): hours a year per "
                                  "subject, grade level and lesson type, by grade level.")
    async def curriculum(self, info: Info) -> list[CurriculumPlanLine]:
        return await curriculum_of(info, self.id)

    @classmethod
    def from_model(cls, row: models.AcademicYear) -> AcademicYear:
        return cls(id=row.id, name=row.name, starts_on=row.starts_on, ends_on=row.ends_on,
                   status=row.status, school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AcademicYear | None]:
        return await structure_nodes(info, node_ids, models.AcademicYear, cls.from_model)


@strawberry.type(description="How an academic year is cut into reporting periods, with the "
                             "holidays between them; grade levels choose one per year.")
class PeriodScheme(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name of the scheme, e.g. «Четверти».")
    kind: SchemeKindEnum = strawberry.field(description="Quarters, trimesters, half-years or "
                                                        "modules.")
    school_id: strawberry.Private[uuid.UUID]
    academic_year_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The academic year the scheme cuts.")
    async def academic_year(self, info: Info) -> AcademicYear:
        row = await info.context.loaders.by_id(models.AcademicYear).load(self.academic_year_id)
        return AcademicYear.from_model(row)

    @strawberry.field(description="The periods (учебные периоды) in order: ordinal 1, 2, …")
    async def periods(self, info: Info) -> list[Period]:
        rows = await info.context.loaders.many(
            models.Period.scheme_id, models.Period.ordinal).load(self.id)
        return [Period.from_model(r) for r in rows]

    @strawberry.field(description="The holidays of this scheme (каникулы), by start date.")
    async def holidays(self, info: Info) -> list[Holiday]:
        rows = await info.context.loaders.many(
            models.Holiday.scheme_id, models.Holiday.starts_on, models.Holiday.id).load(self.id)
        return [Holiday.from_model(r) for r in rows]

    @strawberry.field(description="The grade levels (1–11) that use this scheme, ascending.")
    async def grade_levels(self, info: Info) -> list[int]:
        rows = await info.context.loaders.many(
            models.GradeLevelScheme.scheme_id, models.GradeLevelScheme.grade_level).load(self.id)
        return [r.grade_level for r in rows]

    @classmethod
    def from_model(cls, row: models.PeriodScheme) -> PeriodScheme:
        return cls(id=row.id, name=row.name, kind=row.kind, school_id=row.school_id,
                   academic_year_id=row.academic_year_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PeriodScheme | None]:
        return await structure_nodes(info, node_ids, models.PeriodScheme, cls.from_model)


@strawberry.type(description="A reporting period (учебный период: четверть, триместр, "
                             "полугодие, модуль) of a period scheme.")
class Period(relay.Node):
    id: relay.NodeID[uuid.UUID]
    ordinal: int = strawberry.field(description="Position in the scheme: 1 for the first.")
    name: str = strawberry.field(description="Name, e.g. «1 четверть».")
    starts_on: date = strawberry.field(description="First day of the period.")
    ends_on: date = strawberry.field(description="Last day of the period.")
    closed_at: datetime | None = strawberry.field(
        description="When the period was closed (its marks and grades locked); null while "
                    "open. A closed period can no longer be changed.")
    school_id: strawberry.Private[uuid.UUID]
    scheme_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The period scheme the period belongs to.")
    async def scheme(self, info: Info) -> PeriodScheme:
        row = await info.context.loaders.by_id(models.PeriodScheme).load(self.scheme_id)
        return PeriodScheme.from_model(row)

    @classmethod
    def from_model(cls, row: models.Period) -> Period:
        return cls(id=row.id, ordinal=row.ordinal, name=row.name, starts_on=row.starts_on,
                   ends_on=row.ends_on, closed_at=row.closed_at, school_id=row.school_id,
                   scheme_id=row.scheme_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Period | None]:
        return await structure_nodes(info, node_ids, models.Period, cls.from_model)


@strawberry.type(description="Days without lessons: holidays of a period scheme (каникулы) "
                             "or of the whole school (e.g. a public holiday).")
class Holiday(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Name, e.g. «Осенние каникулы».")
    starts_on: date = strawberry.field(description="First day off.")
    ends_on: date = strawberry.field(description="Last day off.")
    school_id: strawberry.Private[uuid.UUID]
    academic_year_id: strawberry.Private[uuid.UUID]
    scheme_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The academic year of the holiday.")
    async def academic_year(self, info: Info) -> AcademicYear:
        row = await info.context.loaders.by_id(models.AcademicYear).load(self.academic_year_id)
        return AcademicYear.from_model(row)

    @strawberry.field(description="The period scheme whose holiday this is; null for a "
                                  "school-wide holiday.")
    async def scheme(self, info: Info) -> PeriodScheme | None:
        if self.scheme_id is None:
            return None
        row = await info.context.loaders.by_id(models.PeriodScheme).load(self.scheme_id)
        return PeriodScheme.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.Holiday) -> Holiday:
        return cls(id=row.id, name=row.name, starts_on=row.starts_on, ends_on=row.ends_on,
                   school_id=row.school_id, academic_year_id=row.academic_year_id,
                   scheme_id=row.scheme_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Holiday | None]:
        return await structure_nodes(info, node_ids, models.Holiday, cls.from_model)


@strawberry.type(description="The period scheme one grade level (параллель) uses in a year.")
class GradeLevelScheme:
    grade_level: int = strawberry.field(description="Grade level 1–11.")
    scheme_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The period scheme of the grade level.")
    async def scheme(self, info: Info) -> PeriodScheme:
        row = await info.context.loaders.by_id(models.PeriodScheme).load(self.scheme_id)
        return PeriodScheme.from_model(row)

    @classmethod
    def from_model(cls, row: models.GradeLevelScheme) -> GradeLevelScheme:
        return cls(grade_level=row.grade_level, scheme_id=row.scheme_id)


# Inputs ------------------------------------------------------------------------------------

@strawberry.input(description="A new academic year of a school.")
class CreateAcademicYearInput:
    school_id: strawberry.ID = strawberry.field(
        description="The school (global id); the viewer must be its administrator.")
    name: str = strawberry.field(description="Name, unique in the school, e.g. «2016/2017» "
                                             "(at most 32 characters).")
    starts_on: date = strawberry.field(description="First day of the year.")
    ends_on: date = strawberry.field(description="Last day of the year; after `startsOn`.")


@strawberry.input(description="Changes to an academic year; omitted fields stay as they are.")
class UpdateAcademicYearInput:
    id: strawberry.ID = strawberry.field(description="The academic year (global id).")
    name: str | None = strawberry.field(default=None, description="New name, unique in the "
                                                                  "school.")
    starts_on: date | None = strawberry.field(
        default=None, description="New first day; the year must still contain all its "
                                  "periods and holidays.")
    ends_on: date | None = strawberry.field(
        default=None, description="New last day; the year must still contain all its "
                                  "periods and holidays.")


@strawberry.input(description="One reporting period; its position in the list is its ordinal.")
class PeriodInput:
    name: str = strawberry.field(description="Name, e.g. «1 четверть».")
    starts_on: date = strawberry.field(description="First day; inside the year and after the "
                                                   "previous period's last day.")
    ends_on: date = strawberry.field(description="Last day; not before `startsOn`.")


@strawberry.input(description="One holiday (каникулы): a span of days without lessons.")
class HolidayInput:
    name: str = strawberry.field(description="Name, e.g. «Осенние каникулы».")
    starts_on: date = strawberry.field(description="First day off; inside the year.")
    ends_on: date = strawberry.field(description="Last day off; not before `startsOn`, inside "
                                                 "the year.")


@strawberry.input(description="A new period scheme of an academic year, with its periods and "
                              "holidays.")
class CreatePeriodSchemeInput:
    academic_year_id: strawberry.ID = strawberry.field(description="The academic year (global "
                                                                   "id).")
    name: str = strawberry.field(description="Name, unique in the year, e.g. «Четверти».")
    kind: SchemeKindEnum = strawberry.field(description="Quarters, trimesters, half-years or "
                                                        "modules.")
    periods: list[PeriodInput] = strawberry.field(
        description="The periods in order (at least one); they get ordinals 1..n, must lie "
                    "inside the year and must not overlap.")
    holidays: list[HolidayInput] = strawberry.field(
        default_factory=list, description="The scheme's holidays (they may fall inside a "
                                          "period, e.g. 4 November); inside the year.")


@strawberry.input(description="Changes to a period scheme; a list given replaces the old one, "
                              "an omitted field stays as it is.")
class UpdatePeriodSchemeInput:
    id: strawberry.ID = strawberry.field(description="The period scheme (global id).")
    name: str | None = strawberry.field(default=None, description="New name, unique in the "
                                                                  "year.")
    periods: list[PeriodInput] | None = strawberry.field(
        default=None, description="All the periods, in order. The period at position n "
                                  "keeps the id of the old period n (grades stay attached); a "
                                  "closed period must be given unchanged and cannot be "
                                  "removed.")
    holidays: list[HolidayInput] | None = strawberry.field(
        default=None, description="All the scheme's holidays, replacing the old ones.")


@strawberry.input(description="The period scheme to delete.")
class DeletePeriodSchemeInput:
    id: strawberry.ID = strawberry.field(description="The period scheme (global id); refused "
                                                     "while grade levels use it.")


@strawberry.input(description="Which period scheme one grade level uses.")
class GradeLevelSchemeInput:
    grade_level: int = strawberry.field(description="Grade level 1–11.")
    period_scheme_id: strawberry.ID | None = strawberry.field(
        description="A period scheme of the same year (global id); null removes the grade "
                    "level's assignment.")


@strawberry.input(description="Assign period schemes to grade levels of a year.")
class SetGradeLevelSchemesInput:
    academic_year_id: strawberry.ID = strawberry.field(description="The academic year (global "
                                                                   "id).")
    assignments: list[GradeLevelSchemeInput] = strawberry.field(
        description="One entry per grade level (each at most once); grade levels not listed "
                    "keep their scheme.")


@strawberry.input(description="A new school-wide holiday (праздничный день), in no scheme.")
class CreateHolidayInput:
    academic_year_id: strawberry.ID = strawberry.field(description="The academic year (global "
                                                                   "id).")
    name: str = strawberry.field(description="Name, e.g. «День народного единства».")
    starts_on: date = strawberry.field(description="First day off; inside the year.")
    ends_on: date = strawberry.field(description="Last day off; not before `startsOn`, inside "
                                                 "the year.")


@strawberry.input(description="The school-wide holiday to delete.")
class DeleteHolidayInput:
    id: strawberry.ID = strawberry.field(description="The holiday (global id); holidays of a "
                                                     "scheme change with `updatePeriodScheme`.")


# Payloads ----------------------------------------------------------------------------------

@strawberry.type(description="Result of `createAcademicYear` or `updateAcademicYear`.")
class AcademicYearPayload:
    academic_year: AcademicYear | None = strawberry.field(description="The year; null on "
                                                                      "error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `createPeriodScheme` or `updatePeriodScheme`.")
class PeriodSchemePayload:
    period_scheme: PeriodScheme | None = strawberry.field(description="The scheme; null on "
                                                                      "error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `deletePeriodScheme`.")
class DeletePeriodSchemePayload:
    deleted_period_scheme_id: strawberry.ID | None = strawberry.field(
        description="Global id of the deleted scheme; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="Result of `setGradeLevelSchemes`.")
class SetGradeLevelSchemesPayload:
    academic_year: AcademicYear | None = strawberry.field(
        description="The year, with its `gradeLevelSchemes` as they are now; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `createHoliday`.")
class HolidayPayload:
    holiday: Holiday | None = strawberry.field(description="The holiday; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `deleteHoliday`.")
class DeleteHolidayPayload:
    deleted_holiday_id: strawberry.ID | None = strawberry.field(
        description="Global id of the deleted holiday; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")
