"""The monthly monitoring report (regulation 6.2) as GraphQL types: one row per school, a
subtotal per municipality and a total, no personal data. Its sections are the types of
`aggregates` (schema/aggregates.py), computed by the same statements and rules."""

from __future__ import annotations

from typing import Annotated, Self

import strawberry
from strawberry.types import Info

from resolvers.reports import monthly as reports
from resolvers.reports import sql as report_sql
from schema.aggregates import (
    AttainmentAggregate,
    AttendanceAggregate,
    CurriculumAggregate,
    MarkAggregate,
    PeriodGradeAggregate,
    TimelinessAggregate,
)
from schema.permissions import IsAuthenticated


@strawberry.type(description="One line of the monthly report: a school, or a subtotal (school "
                             "null) of a municipality, or the total (both as the scope). Each "
                             "section equals `aggregates` grouped by school (or over the "
                             "line's schools) for the month; subtotals add up the schools' "
                             "counts, and figures from fewer students than `threshold` are "
                             "null.")
class MonthlyReportRow:
    municipality: str = strawberry.field(description="Municipality (or the report's scope for "
                                                     "the total).")
    school: str | None = strawberry.field(description="School; null on subtotal lines.")
    threshold: int = strawberry.field(description="The fewest students a figure of this line "
                                                  "may be computed from: the school's own "
                                                  "setting, or 5 over several schools.")
    attainment: AttainmentAggregate = strawberry.field(
        description="Успеваемость and качество of the month (basis CURRENT_AVERAGES), with "
                    "numerators and denominator (docs/figures.md).")
    marks: MarkAggregate = strawberry.field(description="Marks: bands and averages.")
    attendance: AttendanceAggregate = strawberry.field(description="Attendance and absences by "
                                                                   "reason.")
    timeliness: TimelinessAggregate = strawberry.field(
        description="Journal timeliness: topics, attendance and homework on the lesson day, "
                    "marks within the deadline.")
    curriculum: list[CurriculumAggregate] = strawberry.field(
        description="Curriculum fulfilment by lesson type: lessons held against the month's "
                    "planned hours.")
    period_grades: PeriodGradeAggregate = strawberry.field(
        description="Deferred and missing period grades of the periods overlapping the month.")

    @classmethod
    def from_line(cls, line: report_sql.MonthlyRow) -> Self:
        return cls(municipality=line.municipality, school=line.school, threshold=line.threshold,
                   attainment=AttainmentAggregate.from_figures(line.attainment),
                   marks=MarkAggregate.from_figures(line.marks),
                   attendance=AttendanceAggregate.from_figures(line.attendance),
                   timeliness=TimelinessAggregate.from_figures(line.timeliness),
                   curriculum=[CurriculumAggregate.from_figures(c) for c in line.curriculum],
                   period_grades=PeriodGradeAggregate.from_figures(line.period_grades))


@strawberry.type(description="The region's month (ежемесячный мониторинг): the indicators by "
                             "municipality and school. The same report as XLSX and PDF is at "
                             "`/exports/monthly-report.xlsx|pdf?month=`.")
class MonthlyReport:
    title: str = strawberry.field(description="Title as printed.")
    note: str = strawberry.field(description="How the figures are computed and suppressed.")
    min_students: int = strawberry.field(description="Suppression threshold of the lines over "
                                                     "several schools (a school's line uses "
                                                     "the school's own, see `threshold`).")
    rows: list[MonthlyReportRow] = strawberry.field(
        description="Schools, each municipality's subtotal after its schools, then the total.")

    @classmethod
    def from_report(cls, report: report_sql.MonthlyReport) -> Self:
        return cls(title=report.title, note=report.note, min_students=report.min_students,
                   rows=[MonthlyReportRow.from_line(line) for line in report.lines()])


async def monthly(
    info: Info,
    *,
    month: Annotated[str, strawberry.argument(description="The month as YYYY-MM.")],
    municipality: Annotated[str | None, strawberry.argument(
        description="Only this municipality's schools (by name).")] = None,
) -> MonthlyReport | None:
    report = await reports.monthly(info.context.session, info.context.access, month=month,
                                   municipality=municipality)
    return None if report is None else MonthlyReport.from_report(report)


@strawberry.type
class ReportsQuery:
    monthly_report: MonthlyReport | None = strawberry.field(
        resolver=monthly, permission_classes=[IsAuthenticated],
        description="The monthly monitoring report over the schools the viewer may see figures "
                    "of (officers, read_aggregates tokens, a school's administrators); null for "
                    "anyone else or when no school is in reach.")
