"""`monthlyReport`: the monthly monitoring report for officers, tokens and administrators."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db.tenancy import set_tenant_async
from resolvers.report_sql import month_span, monthly_report, report_schools
from schema.permissions import IsAuthenticated
from schema.reports import MonthlyReport, MonthlyReportRow
from tenants.errors import bad_argument
from tenants.rules import aggregate_school_ids


async def monthly(
    info: Info,
    *,
    month: Annotated[str, strawberry.argument(description="The month as YYYY-MM.")],
    municipality: Annotated[str | None, strawberry.argument(
        description="Only this municipality's schools (by name).")] = None,
) -> MonthlyReport | None:
    try:
        month_span(month)
    except ValueError:
        raise bad_argument("month", "must be a month as YYYY-MM") from None
    session = info.context.session
    reach = aggregate_school_ids(info.context.access)
    school_ids = await report_schools(session, reach, municipality) if reach else []
    if not school_ids:
        return None
    # The report drops to the officer role for the rest of its transaction, and the request's
    # other fields run concurrently on the request's session: so it gets a transaction of its
    # own, scoped to the same schools.
    async with AsyncSession(session.bind) as own, own.begin():
        await set_tenant_async(own, school_ids, info.context.access.account_id)
        report = await monthly_report(own, school_ids=school_ids, month=month,
                                      scope=municipality or "все школы")
    return MonthlyReport(title=report.title, note=report.note,
                         min_students=report.min_students, rows=[MonthlyReportRow(
                             municipality=line.municipality, school=line.school,
                             threshold=line.threshold, marks=line.marks,
                             attendance=line.attendance, timeliness=line.timeliness,
                             curriculum=line.curriculum, period_grades=line.period_grades)
                             for line in report.lines()])


@strawberry.type
class ReportsQuery:
    monthly_report: MonthlyReport | None = strawberry.field(
        resolver=monthly, permission_classes=[IsAuthenticated],
        description="The monthly monitoring report over the schools the viewer may see figures "
                    "of (officers, read_aggregates tokens, a school's administrators); null for "
                    "anyone else or when no school is in reach.")
