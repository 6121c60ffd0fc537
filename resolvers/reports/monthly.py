"""`monthlyReport`: the monthly monitoring report over a viewer's reach, the same for GraphQL,
the exports (server/exports.py) and the command line."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from db.tenancy import set_tenant_async
from resolvers.reports.sql import MonthlyReport, month_span, monthly_report, report_schools
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import aggregate_school_ids


def _scope(municipality: str | None) -> str:
    """The report's scope, as its title and total line name it."""
    return municipality or "все школы"


async def reach_report(session: AsyncSession, reach: frozenset[uuid.UUID], *, month: str,
                       municipality: str | None) -> MonthlyReport | None:
    """The report over the schools of the reach (one municipality's, by name, when asked);
    None when no school matches. The month must be valid (`month_span`). The rest of the
    session's transaction runs as the officer role: end it after this call."""
    school_ids = await report_schools(session, reach, municipality)
    if not school_ids:
        return None
    return await monthly_report(session, school_ids=school_ids, month=month,
                                scope=_scope(municipality))


async def monthly(session: AsyncSession, access: AccessContext, *, month: str,
                  municipality: str | None = None) -> MonthlyReport | None:
    """The report over the schools the viewer may see figures of; None when there are none."""
    try:
        month_span(month)
    except ValueError:
        raise bad_argument("month", "must be a month as YYYY-MM") from None
    reach = aggregate_school_ids(access)
    school_ids = await report_schools(session, reach, municipality)
    if not school_ids:
        return None
    # The report drops to the officer role for the rest of its transaction, and the request's
    # other fields run concurrently on the request's session: so it gets a transaction of its
    # own, scoped to the same schools.
    async with AsyncSession(session.bind) as own, own.begin():
        await set_tenant_async(own, school_ids, access.account_id)
        return await monthly_report(own, school_ids=school_ids, month=month,
                                    scope=_scope(municipality))
