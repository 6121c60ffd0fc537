"""File exports over HTTP: the printed journal (PDF, XLSX) and the monthly report (XLSX, PDF).

The same bearer authentication as /graphql (server/graphql.py `viewer_resolver`), one
transaction per request scoped to the viewer's schools, the same permission as the journal
page (tenants.rules.may_read_journal) or the officers' aggregates reach. A group, class or
municipality that does not exist and one the viewer may not read get the same 404 body;
no token (or an invalid one) is 401.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from psycopg.errors import InsufficientPrivilege
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry import relay

from db.engine import transaction
from db.tenancy import set_officer_role_async
from resolvers.journal.printing import (
    MayRead,
    class_cover,
    printed_class_journal,
    printed_journal,
)
from resolvers.reports.monthly import reach_report
from resolvers.reports.pdf import class_journal_pdf, journal_pdf, monthly_pdf
from resolvers.reports.spreadsheets import journal_workbook, monthly_workbook
from resolvers.reports.sql import MonthlyReport, month_span
from resolvers.reports.year_end import (
    ClassSummary,
    MayPrint,
    YearPage,
    class_summary,
    year_page,
)
from resolvers.reports.year_end_pdf import summary_pdf, year_page_pdf
from resolvers.reports.year_end_xlsx import summary_workbook, year_page_workbook
from server.graphql import viewer_resolver
from server.settings import ServerSettings
from tenants.access import AccessContext
from tenants.rules import (
    aggregate_school_ids,
    may_print_year_documents,
    may_read_journal,
    reads_only_aggregates,
)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": self.code, "message": self.message},
                            status_code=self.status, headers=headers)


UNAUTHENTICATED = ExportError(401, "UNAUTHENTICATED",
                              "send Authorization: Bearer <token> (a valid, unexpired token)")
# One body for "does not exist" and "not yours": the answer must not tell them apart.
NOT_FOUND = ExportError(404, "NOT_FOUND", "no such journal, or it is not readable by you")
NO_REPORT = ExportError(404, "NOT_FOUND", "no schools of your reach match this report")
NO_DOCUMENT = ExportError(404, "NOT_FOUND",
                          "no such class or group, or its year-end documents are not yours to "
                          "print (the class teacher and the administrator print them)")


def global_id(request: Request, parameter: str, type_name: str) -> uuid.UUID:
    value = request.query_params.get(parameter)
    if not value:
        raise ExportError(400, "BAD_REQUEST", f"{parameter}: required (a {type_name} id)")
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return uuid.UUID(gid.node_id)
    except (ValueError, TypeError):
        raise ExportError(400, "BAD_REQUEST",
                          f"{parameter}: is not the id of a {type_name}") from None


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A download with a Cyrillic file name (RFC 6266: an ASCII fallback and filename*)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "export"
    extension = filename.rsplit(".", 1)[-1]
    if not ascii_name.endswith("." + extension):
        ascii_name = f"export.{extension}"
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        # personal data: no shared cache keeps a copy
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


def journal_reader(access: AccessContext) -> MayRead:
    return lambda school_id, group_id, class_id: may_read_journal(access, school_id, group_id,
                                                                  class_id)


def year_printer(access: AccessContext) -> MayPrint:
    return lambda school_id, class_id: may_print_year_documents(access, school_id, class_id)


Handler = Callable[[Request, AsyncSession, AccessContext], Awaitable[Response]]


class Exports:
    """The export endpoints, bound to the app's sessions and settings."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 settings: ServerSettings) -> None:
        self.sessions = sessions
        self.settings = settings

    def routes(self) -> list[Route]:
        return [
            Route("/exports/journal.pdf", self._endpoint(self.journal_pdf), methods=["GET"]),
            Route("/exports/journal.xlsx", self._endpoint(self.journal_xlsx), methods=["GET"]),
            Route("/exports/class-journal.pdf", self._endpoint(self.class_journal_pdf),
                  methods=["GET"]),
            *(Route(path, self._endpoint(handler, NO_DOCUMENT), methods=["GET"])
              for path, handler in (
                  ("/exports/year-page.pdf", self.year_page_pdf),
                  ("/exports/year-page.xlsx", self.year_page_xlsx),
                  ("/exports/class-summary.pdf", self.class_summary_pdf),
                  ("/exports/class-summary.xlsx", self.class_summary_xlsx))),
            Route("/exports/monthly-report.xlsx", self._endpoint(self.monthly_xlsx),
                  methods=["GET"]),
            Route("/exports/monthly-report.pdf", self._endpoint(self.monthly_pdf),
                  methods=["GET"]),
        ]

    def _endpoint(self, handler: Handler, not_found: ExportError = NOT_FOUND
                  ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                resolve = viewer_resolver(self.settings,
                                          request.headers.get("authorization", ""))
                if resolve is None:
                    raise UNAUTHENTICATED
                async with transaction(self.sessions) as session:
                    access = await resolve(session)
                    if not access.is_authenticated:
                        raise UNAUTHENTICATED
                    if not reads_only_aggregates(access):
                        return await handler(request, session, access)
                    # As on /graphql: an officer reads as the role without privilege on
                    # personal data, on every route. What would need it (a journal) fails
                    # closed in PostgreSQL, and is answered as anything else not theirs.
                    await set_officer_role_async(session)
                    try:
                        return await handler(request, session, access)
                    except DBAPIError as err:
                        if isinstance(err.orig, InsufficientPrivilege):
                            raise not_found from None
                        raise
            except ExportError as e:
                return e.response()
        return endpoint

    async def _journal(self, request: Request, session: AsyncSession,
                       access: AccessContext) -> Any:
        group_id = global_id(request, "group", "StudyGroup")
        period_id = global_id(request, "period", "Period")
        journal = await printed_journal(session, group_id=group_id, period_id=period_id,
                                        may_read=journal_reader(access))
        if journal is None:
            raise NOT_FOUND
        return journal

    async def journal_pdf(self, request: Request, session: AsyncSession,
                          access: AccessContext) -> Response:
        journal = await self._journal(request, session, access)
        # Rendering is CPU work of a second or so: off the event loop.
        body = await run_in_threadpool(journal_pdf, [journal])
        return attachment(body, PDF, f"Журнал {journal.group} {journal.period}.pdf")

    async def journal_xlsx(self, request: Request, session: AsyncSession,
                           access: AccessContext) -> Response:
        journal = await self._journal(request, session, access)
        body = await run_in_threadpool(journal_workbook, journal)
        return attachment(body, XLSX, f"Журнал {journal.group} {journal.period}.xlsx")

    async def class_journal_pdf(self, request: Request, session: AsyncSession,
                                access: AccessContext) -> Response:
        class_id = global_id(request, "class", "SchoolClass")
        period_id = global_id(request, "period", "Period")
        journals = await printed_class_journal(session, class_id=class_id, period_id=period_id,
                                               may_read=journal_reader(access))
        cover = await class_cover(session, class_id) if journals else None
        if journals is None or cover is None:
            raise NOT_FOUND
        body = await run_in_threadpool(class_journal_pdf, cover, journals)
        return attachment(body, PDF, f"Журнал {cover.class_name} {journals[0].period}.pdf")

    # --- year-end documents (issue 15): the class teacher and the administrator ------------

    async def _year_page(self, request: Request, session: AsyncSession,
                         access: AccessContext) -> YearPage:
        group_id = global_id(request, "group", "StudyGroup")
        page = await year_page(session, group_id=group_id, may_print=year_printer(access))
        if page is None:
            raise NO_DOCUMENT
        return page

    async def year_page_pdf(self, request: Request, session: AsyncSession,
                            access: AccessContext) -> Response:
        page = await self._year_page(request, session, access)
        body = await run_in_threadpool(year_page_pdf, page)
        return attachment(body, PDF, f"Итоговые {page.group} {page.heading.academic_year}.pdf")

    async def year_page_xlsx(self, request: Request, session: AsyncSession,
                             access: AccessContext) -> Response:
        page = await self._year_page(request, session, access)
        body = await run_in_threadpool(year_page_workbook, page)
        return attachment(body, XLSX,
                          f"Итоговые {page.group} {page.heading.academic_year}.xlsx")

    async def _summary(self, request: Request, session: AsyncSession,
                       access: AccessContext) -> ClassSummary:
        class_id = global_id(request, "class", "SchoolClass")
        summary = await class_summary(session, class_id=class_id,
                                      may_print=year_printer(access))
        if summary is None:
            raise NO_DOCUMENT
        return summary

    async def class_summary_pdf(self, request: Request, session: AsyncSession,
                                access: AccessContext) -> Response:
        summary = await self._summary(request, session, access)
        body = await run_in_threadpool(summary_pdf, summary)
        return attachment(body, PDF, f"Сводная ведомость {summary.title}.pdf")

    async def class_summary_xlsx(self, request: Request, session: AsyncSession,
                                 access: AccessContext) -> Response:
        summary = await self._summary(request, session, access)
        body = await run_in_threadpool(summary_workbook, summary)
        return attachment(body, XLSX, f"Сводная ведомость {summary.title}.xlsx")

    async def _report(self, request: Request, session: AsyncSession,
                      access: AccessContext) -> MonthlyReport:
        month = request.query_params.get("month", "")
        try:
            month_span(month)
        except ValueError:
            raise ExportError(400, "BAD_REQUEST", "month: required, as YYYY-MM") from None
        municipality = request.query_params.get("municipality") or None
        report = await reach_report(session, aggregate_school_ids(access), month=month,
                                    municipality=municipality)
        if report is None:
            raise NO_REPORT
        return report

    async def monthly_xlsx(self, request: Request, session: AsyncSession,
                           access: AccessContext) -> Response:
        report = await self._report(request, session, access)
        body = await run_in_threadpool(monthly_workbook, report)
        return attachment(body, XLSX, f"Мониторинг {report.month:%Y-%m}.xlsx")

    async def monthly_pdf(self, request: Request, session: AsyncSession,
                          access: AccessContext) -> Response:
        report = await self._report(request, session, access)
        body = await run_in_threadpool(monthly_pdf, report)
        return attachment(body, PDF, f"Мониторинг {report.month:%Y-%m}.pdf")


# --- the same files from the command line (`zhurnal print`, `zhurnal report`) ----------------
# An operator runs these with the database's credentials: every school is in reach, as for
# `zhurnal backup`. They connect as the application role (RLS on, scoped to every school),
# so the monthly report can still drop to the officer role.


def any_id(value: str, type_name: str) -> uuid.UUID:
    """A global id of `type_name` or a bare UUID; ValueError otherwise."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:
        raise ValueError(f"'{value}' is neither a {type_name} id nor a UUID") from None
    if gid.type_name != type_name:
        raise ValueError(f"'{value}' is the id of a {gid.type_name}, not of a {type_name}")
    return uuid.UUID(gid.node_id)


async def _operator_run(app_url: Any, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    from sqlalchemy import select

    from db.engine import app_engine, app_sessions
    from db.models import School
    from db.tenancy import set_tenant_async

    engine = app_engine(app_url, pool_size=1)
    try:
        async with transaction(app_sessions(engine)) as session:
            school_ids = (await session.scalars(select(School.id))).all()
            await set_tenant_async(session, school_ids)
            return await work(session)
    finally:
        await engine.dispose()


def operator_journal_pdf(app_url: Any, *, group: str | None, class_: str | None,
                         period: str) -> bytes | None:
    """The PDF of a group's (or a whole class's) journal; None when there is no such group,
    class or period (or the period is not of the group's year)."""
    import asyncio

    period_id = any_id(period, "Period")
    group_id = any_id(group, "StudyGroup") if group else None
    class_id = any_id(class_, "SchoolClass") if class_ else None

    async def work(session: AsyncSession) -> list[Any] | None:
        def everyone(school_id: uuid.UUID, group_id: uuid.UUID, class_id: Any) -> bool:
            return True
        if group_id is not None:
            page = await printed_journal(session, group_id=group_id, period_id=period_id,
                                         may_read=everyone)
            return [page] if page else None
        assert class_id is not None
        journals = await printed_class_journal(session, class_id=class_id,
                                               period_id=period_id, may_read=everyone)
        cover = await class_cover(session, class_id) if journals else None
        return [cover, journals] if cover and journals else None

    found = asyncio.run(_operator_run(app_url, work))
    if not found:
        return None
    if group_id is not None:
        return journal_pdf(found)
    cover, journals = found
    return class_journal_pdf(cover, journals)


def operator_monthly_report(app_url: Any, *, month: str, municipality: str | None
                            ) -> MonthlyReport | None:
    """The monthly report over every school (or one municipality's, by name); None when no
    school matches."""
    import asyncio

    month_span(month)  # ValueError before connecting

    async def work(session: AsyncSession) -> MonthlyReport | None:
        from sqlalchemy import select

        from db.models import School

        reach = frozenset((await session.scalars(select(School.id))).all())
        return await reach_report(session, reach, month=month, municipality=municipality)

    return asyncio.run(_operator_run(app_url, work))


def operator_year_document(app_url: Any, *, group: str | None, class_: str | None,
                           out_format: str) -> bytes | None:
    """A group's year page (`group`) or a class's summary sheet (`class_`) as "pdf" or
    "xlsx"; None when there is no such group or class."""
    import asyncio

    group_id = any_id(group, "StudyGroup") if group else None
    class_id = any_id(class_, "SchoolClass") if class_ else None

    def everyone(school_id: uuid.UUID, class_id: uuid.UUID | None) -> bool:
        return True

    async def work(session: AsyncSession) -> YearPage | ClassSummary | None:
        if group_id is not None:
            return await year_page(session, group_id=group_id, may_print=everyone)
        assert class_id is not None
        return await class_summary(session, class_id=class_id, may_print=everyone)

    document = asyncio.run(_operator_run(app_url, work))
    if isinstance(document, YearPage):
        return year_page_pdf(document) if out_format == "pdf" else year_page_workbook(document)
    if isinstance(document, ClassSummary):
        return summary_pdf(document) if out_format == "pdf" else summary_workbook(document)
    return None
