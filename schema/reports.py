"""The monthly monitoring report (regulation 6.2) as GraphQL types: one row per school, a
subtotal per municipality and a total, no personal data."""

from __future__ import annotations

import strawberry


@strawberry.type(description="One line of the monthly report: a school, or a subtotal (school "
                             "null) of a municipality, or the total (both as the scope). "
                             "Figures from fewer students than the threshold are null.")
class MonthlyReportRow:
    municipality: str = strawberry.field(description="Municipality (or the report's scope for "
                                                     "the total).")
    school: str | None = strawberry.field(description="School; null on subtotal lines.")
    students: int | None = strawberry.field(description="Students in the school's groups.")
    lessons_held: int = strawberry.field(description="Lessons held in the month.")
    topics_on_time_percent: float | None = strawberry.field(
        description="Share of held lessons whose topic was entered on the lesson day, %.")
    marks: int | None = strawberry.field(description="Marks given in the month.")
    average_point: float | None = strawberry.field(
        description="Average mark on the common 0–100 axis (schools with other scales compare).")
    pass_percent: float | None = strawberry.field(
        description="Успеваемость: share of marks that count as a pass, %.")
    quality_percent: float | None = strawberry.field(
        description="Качество: share of marks in the «4» and «5» bands of the axis, %.")
    attendance_percent: float | None = strawberry.field(
        description="Attendance: student-lessons attended, %.")
    absences: list[int | None] = strawberry.field(
        description="Absences by reason: absent (н), ill (б), excused (у), late (оп).")


@strawberry.type(description="The region's month (ежемесячный мониторинг): the indicators by "
                             "municipality and school. The same report as XLSX and PDF is at "
                             "`/exports/monthly-report.xlsx|pdf?month=`.")
class MonthlyReport:
    title: str = strawberry.field(description="Title as printed.")
    note: str = strawberry.field(description="How the figures are computed and suppressed.")
    min_students: int = strawberry.field(description="Suppression threshold (students).")
    rows: list[MonthlyReportRow] = strawberry.field(
        description="Schools, each municipality's subtotal after its schools, then the total.")
