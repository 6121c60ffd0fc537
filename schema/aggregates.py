"""Aggregates for officers and dashboards: figures by school, municipality, grade, subject.

No type here carries a student's name or id. A figure computed from fewer students than the
threshold (the school's `min_group_size`, default 5; 5 for a row over several schools) is
null, and its section says `suppressed: true`.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Annotated, Any, Self

import strawberry
from strawberry.types import Info

from resolvers.aggregates import figures as plain
from resolvers.aggregates import queries as rules
from schema.errors import described_enum
from schema.ids import query_id, to_global_id
from schema.permissions import IsAuthenticated

AggregateDimension = rules.AggregateDimension
described_enum(AggregateDimension, "What the rows of an aggregate report are grouped by.", {
    "SCHOOL": "One row per school (with its municipality).",
    "MUNICIPALITY": "One row per municipality.",
    "GRADE_LEVEL": "One row per grade level (параллель), 1–11.",
    "SUBJECT": "One row per subject name (subjects are matched by name across schools).",
    "PERIOD": "One row per period (четверть, триместр…) of the school's period schemes that "
              "overlaps the range, each over the dates inside the period; only when "
              "`filter.schoolIds` names exactly one school.",
})


AttainmentBasis = plain.AttainmentBasis
described_enum(AttainmentBasis, "What успеваемость and качество were computed from "
                                "(docs/figures.md).", {
    "PERIOD_GRADES": "The period grades of the row's period: the row is one period (grouped by "
                     "PERIOD, or `filter.periodId`) and it is closed or over.",
    "CURRENT_AVERAGES": "Each student's current weighted average per subject over the row's "
                        "dates, rounded to the suggested grade by the school's rule (any other "
                        "range, or a period still open).",
})


def _values(figures: Any) -> dict[str, Any]:
    """A plain dataclass's fields, for the GraphQL type of the same fields."""
    return {f.name: getattr(figures, f.name) for f in dataclasses.fields(figures)}


@strawberry.input(description="Which schools, grades, subjects and dates an aggregate report "
                              "covers. Schools outside the viewer's reach are left out as if "
                              "they did not exist.")
class AggregateFilter:
    school_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these schools (global ids of `School`).")
    municipality_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the schools of this municipality (global id).")
    grade_levels: list[int] | None = strawberry.field(
        default=None, description="Only groups of these grade levels (1–11).")
    subject_name: str | None = strawberry.field(
        default=None, description="Only groups of the subject with exactly this name.")
    from_: date = strawberry.field(name="from", description="First day of the range "
                                                            "(inclusive).")
    to: date = strawberry.field(description="Last day of the range (inclusive); at most 400 "
                                            "days after `from`.")
    period_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this period of the school (global id of `Period`; "
                                  "only when exactly one school is asked): the range becomes "
                                  "the part of the period inside `from`–`to`, only the groups "
                                  "of grade levels on the period's scheme count for "
                                  "`attainment`, and once the period is closed or over "
                                  "`attainment` is computed from its period grades.")


@strawberry.type(description="How many marks fall in each five-point band of the 0–100 axis "
                             "(the `five_point` template: «2» below 50, «3» 50–70, «4» 70–85, "
                             "«5» from 85).")
class MarkBands:
    twos: int = strawberry.field(description="Marks with a point below 50 («2»).")
    threes: int = strawberry.field(description="Marks with a point from 50 to below 70 («3»).")
    fours: int = strawberry.field(description="Marks with a point from 70 to below 85 («4»).")
    fives: int = strawberry.field(description="Marks with a point from 85 («5»).")

    @classmethod
    def from_figures(cls, figures: plain.MarkBands) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="Marks over the range. Counted: marks whose work date lies in the "
                             "range, except those excluded from the average; the bands and "
                             "averages use marks of graded scales (not зачёт/незачёт). "
                             "Успеваемость and качество are `AggregateRow.attainment`.")
class MarkAggregate:
    suppressed: bool = strawberry.field(description="Fewer students than the threshold: the "
                                                    "figures are null.")
    students: int | None = strawberry.field(description="Students with at least one counted "
                                                        "mark.")
    marks: int | None = strawberry.field(description="Counted marks (every scale).")
    graded_marks: int | None = strawberry.field(description="Counted marks of graded scales.")
    bands: MarkBands | None = strawberry.field(description="Graded marks by five-point band.")
    average_point: float | None = strawberry.field(
        description="Mean point of the graded marks on the 0–100 axis, two decimals.")
    average_five_point: float | None = strawberry.field(
        description="Mean of the graded marks told on the five-point scale (each mark's point "
                    "interpolated between the template's points: a «4» of a five-point scale "
                    "is exactly 4), two decimals: the средний балл.")
    success_rate: float | None = strawberry.field(
        description="Успеваемость, the same as `attainment.successRate` (docs/figures.md).",
        deprecation_reason="Use `AggregateRow.attainment`, which gives the basis, numerator "
                           "and denominator.")
    quality_rate: float | None = strawberry.field(
        description="Качество, the same as `attainment.qualityRate` (docs/figures.md).",
        deprecation_reason="Use `AggregateRow.attainment`, which gives the basis, numerator "
                           "and denominator.")

    @classmethod
    def from_figures(cls, figures: plain.MarkFigures) -> Self:
        bands = figures.bands and MarkBands.from_figures(figures.bands)
        return cls(**{**_values(figures), "bands": bands})


@strawberry.type(description="Успеваемость and качество by the definitions of docs/figures.md: "
                             "per student, one result per subject taught with marks (a period "
                             "grade, or the suggested grade of the current weighted average; "
                             "see `basis`); exempt results and subjects or grade levels taught "
                             "without marks do not count.")
class AttainmentAggregate:
    basis: AttainmentBasis = strawberry.field(description="What the shares were computed "
                                                          "from.")
    suppressed: bool = strawberry.field(description="`students` is below the threshold: the "
                                                    "figures are null.")
    students: int | None = strawberry.field(
        description="The denominator of both shares: students with at least one result and "
                    "none pending (a deferred or missing period grade).")
    passing: int | None = strawberry.field(
        description="The numerator of successRate: of `students`, those without a failing "
                    "result (a value that does not count as a pass, or н/а).")
    quality: int | None = strawberry.field(
        description="The numerator of qualityRate: of `passing`, those with at least one "
                    "result on a graded scale, all of them «4» or «5» on the five-point axis "
                    "(pass/fail results count for успеваемость only).")
    success_rate: float | None = strawberry.field(description="Успеваемость: passing / "
                                                              "students (0–1).")
    quality_rate: float | None = strawberry.field(description="Качество: quality / students "
                                                              "(0–1).")
    not_yet_attested: int | None = strawberry.field(
        description="Students left out of `students` because a period grade is deferred or "
                    "missing (always 0 on CURRENT_AVERAGES).")

    @classmethod
    def from_figures(cls, figures: plain.AttainmentFigures) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="Attendance over the held lessons of the range.")
class AttendanceAggregate:
    suppressed: bool = strawberry.field(description="Fewer students than the threshold: the "
                                                    "figures are null.")
    students: int | None = strawberry.field(description="Students in the groups on the days of "
                                                        "the lessons.")
    student_lessons: int | None = strawberry.field(
        description="Student-lessons: each member of a group at each held lesson of it.")
    absent_lessons: int | None = strawberry.field(
        description="Student-lessons missed (absent, ill or excused; late is present).")
    rate: float | None = strawberry.field(
        description="Attendance rate: 1 − absentLessons / studentLessons.")
    absent: int | None = strawberry.field(description="Absences without a reason (н).")
    ill: int | None = strawberry.field(description="Absences for illness (б).")
    excused: int | None = strawberry.field(description="Absences for a valid reason (у).")
    late: int | None = strawberry.field(description="Latenesses (оп).")

    @classmethod
    def from_figures(cls, figures: plain.AttendanceFigures) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="Journal timeliness (regulation 5.4–5.6): entries made on time, "
                             "judged by the day in the school's time zone. These figures "
                             "describe the staff's work and are never suppressed.")
class TimelinessAggregate:
    lessons_held: int = strawberry.field(description="Held lessons in the range.")
    topic_on_time: int = strawberry.field(description="Held lessons whose topic was entered "
                                                      "no later than the lesson day.")
    attendance_on_time: int = strawberry.field(
        description="Held lessons whose attendance was entered no later than the lesson day.")
    lessons_with_homework: int = strawberry.field(description="Held lessons with homework.")
    homework_on_time: int = strawberry.field(
        description="Of those, the lessons whose homework was entered no later than the "
                    "lesson day.")
    marks: int = strawberry.field(description="Marks whose work date lies in the range.")
    marks_on_time: int = strawberry.field(
        description="Of those, the marks entered within the school's mark deadline (default 7 "
                    "days) of the work date.")
    topic_share: float | None = strawberry.field(description="topicOnTime / lessonsHeld.")
    attendance_share: float | None = strawberry.field(
        description="attendanceOnTime / lessonsHeld.")
    homework_share: float | None = strawberry.field(
        description="homeworkOnTime / lessonsWithHomework.")
    marks_share: float | None = strawberry.field(description="marksOnTime / marks.")
    overall_share: float | None = strawberry.field(
        description="All on-time entries over all expected ones (topic and attendance of each "
                    "held lesson, homework where given, each mark).")

    @classmethod
    def from_figures(cls, figures: plain.TimelinessFigures) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="Curriculum fulfilment (regulation 5.7) for one lesson type: "
                             "lessons held against planned hours.")
class CurriculumAggregate:
    lesson_type_code: str | None = strawberry.field(
        description="Code of the lesson type (shared across schools); null for lessons "
                    "without a type.")
    lesson_type_name: str | None = strawberry.field(description="Name of the lesson type.")
    planned_hours: float = strawberry.field(
        description="Planned hours of the periods overlapping the range, pro-rated by the "
                    "calendar days of each period inside the range, one decimal.")
    held: int = strawberry.field(description="Held lessons of this type in the range.")
    fulfilment: float | None = strawberry.field(description="held / plannedHours; null "
                                                            "without a plan.")

    @classmethod
    def from_figures(cls, figures: plain.CurriculumFigures) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="Period grades of the periods overlapping the range that are "
                             "closed or over: expected for each member of a group at the "
                             "period's end.")
class PeriodGradeAggregate:
    suppressed: bool = strawberry.field(description="Fewer students than the threshold: the "
                                                    "figures are null.")
    students: int | None = strawberry.field(description="Students expected to have a grade.")
    expected: int | None = strawberry.field(description="Expected grades (student × period).")
    graded: int | None = strawberry.field(description="Grades given.")
    deferred: int | None = strawberry.field(description="Deferred grades (отсрочка).")
    not_attested: int | None = strawberry.field(description="Grades «не аттестован».")
    exempt: int | None = strawberry.field(description="Exemptions (освобождён).")
    missing: int | None = strawberry.field(description="Expected grades not entered at all.")

    @classmethod
    def from_figures(cls, figures: plain.PeriodGradeFigures) -> Self:
        return cls(**_values(figures))


@strawberry.type(description="One row of an aggregate report: its key (the dimensions grouped "
                             "by; the others are null) and its figures.")
class AggregateRow:
    school_id: strawberry.ID | None = strawberry.field(description="The school (global id), "
                                                                   "when grouped by school.")
    school_name: str | None = strawberry.field(description="The school's name.")
    municipality_id: strawberry.ID | None = strawberry.field(
        description="The municipality (global id), when grouped by school or municipality.")
    municipality_name: str | None = strawberry.field(description="The municipality's name.")
    grade_level: int | None = strawberry.field(description="The grade level, when grouped by "
                                                           "it.")
    subject_name: str | None = strawberry.field(description="The subject name, when grouped by "
                                                            "it.")
    period_id: strawberry.ID | None = strawberry.field(
        description="The period (global id of `Period`), when grouped by period.")
    period_name: str | None = strawberry.field(description="The period's name, e.g. «1 "
                                                           "четверть».")
    period_starts_on: date | None = strawberry.field(description="The period's first day.")
    period_ends_on: date | None = strawberry.field(description="The period's last day (the "
                                                               "row's figures cover only the "
                                                               "part inside the range).")
    threshold: int = strawberry.field(description="The fewest students a figure of this row "
                                                  "may be computed from.")
    key: strawberry.Private[rules.Key]
    figures: strawberry.Private[rules.Figures]

    @strawberry.field(description="Успеваемость and качество with their basis, numerators and "
                                  "denominator (docs/figures.md).")
    async def attainment(self) -> AttainmentAggregate:
        return AttainmentAggregate.from_figures(
            await self.figures.attainment(self.key, self.threshold))

    @strawberry.field(description="Marks: bands and averages.")
    async def marks(self) -> MarkAggregate:
        return MarkAggregate.from_figures(await self.figures.marks(self.key, self.threshold))

    @strawberry.field(description="Attendance.")
    async def attendance(self) -> AttendanceAggregate:
        return AttendanceAggregate.from_figures(
            await self.figures.attendance(self.key, self.threshold))

    @strawberry.field(description="Journal timeliness.")
    async def timeliness(self) -> TimelinessAggregate:
        return TimelinessAggregate.from_figures(await self.figures.timeliness(self.key))

    @strawberry.field(description="Curriculum fulfilment by lesson type.")
    async def curriculum(self) -> list[CurriculumAggregate]:
        return [CurriculumAggregate.from_figures(c)
                for c in await self.figures.curriculum(self.key)]

    @strawberry.field(description="Deferred and missing period grades.")
    async def period_grades(self) -> PeriodGradeAggregate:
        return PeriodGradeAggregate.from_figures(
            await self.figures.period_grades(self.key, self.threshold))


@strawberry.type(description="A group whose journal is among the least timely (staff data: "
                             "the group and its teachers, never a student).")
class GroupTimeliness:
    school_name: str = strawberry.field(description="The school.")
    group_name: str = strawberry.field(description="The group, e.g. «6А Русский язык».")
    subject_name: str = strawberry.field(description="Its subject.")
    grade_level: int | None = strawberry.field(description="Its grade level.")
    teacher_names: list[str] = strawberry.field(description="Its teachers in the range.")
    timeliness: TimelinessAggregate = strawberry.field(description="Its timeliness figures.")

    @classmethod
    def from_figures(cls, group: plain.GroupTimeliness) -> Self:
        timeliness = TimelinessAggregate.from_figures(group.timeliness)
        return cls(**{**_values(group), "timeliness": timeliness})


@strawberry.type(description="Aggregate figures over a date range, in rows by the dimensions "
                             "asked. Each section (marks, attendance, …) is computed for every "
                             "row at once, only when asked for.")
class AggregateReport:
    date_from: date = strawberry.field(name="from", description="First day of the range used.")
    to: date = strawberry.field(description="Last day of the range used.")
    group_by: list[AggregateDimension] = strawberry.field(description="The dimensions of the "
                                                                      "rows.")
    rows: list[AggregateRow] = strawberry.field(description="The rows: every key with a group "
                                                            "that had students in the range.")
    figures: strawberry.Private[rules.Figures]

    @strawberry.field(description="The groups with the lowest overall timeliness (overallShare), "
                                  "least timely first.")
    async def worst_groups(
        self,
        limit: Annotated[int, strawberry.argument(description="How many groups (1–100).")] = 10,
    ) -> list[GroupTimeliness]:
        return [GroupTimeliness.from_figures(g) for g in await self.figures.worst_groups(limit)]

    @classmethod
    def from_report(cls, report: rules.AggregateReport) -> Self:
        return cls(date_from=report.start, to=report.end, group_by=report.group_by,
                   figures=report.figures, rows=[_row(r, report.figures) for r in report.rows])


def _global_id(type_name: str, value: Any) -> strawberry.ID | None:
    return strawberry.ID(to_global_id(type_name, value)) if value else None


def _row(row: rules.AggregateRow, figures: rules.Figures) -> AggregateRow:
    school, municipality, level, subject, period = row.key
    return AggregateRow(
        school_id=_global_id("School", school), school_name=row.school_name,
        municipality_id=_global_id("Municipality", municipality),
        municipality_name=row.municipality_name, grade_level=level, subject_name=subject,
        period_id=_global_id("Period", period), period_name=row.period_name,
        period_starts_on=row.period_starts_on, period_ends_on=row.period_ends_on,
        threshold=row.threshold, key=row.key, figures=figures)


def _ids(values: list[strawberry.ID] | None, type_name: str, argument: str
         ) -> tuple[uuid.UUID, ...] | None:
    if values is None:
        return None
    ids = [query_id(v, type_name, f"{argument}.{i}") for i, v in enumerate(values)]
    return tuple(i for i in ids if i is not None)


def _request(data: AggregateFilter, group_by: list[AggregateDimension] | None
             ) -> rules.AggregateRequest:
    """The arguments with their global ids decoded; a malformed id is a bad argument (a
    single id is named as the first of a list: `filter.periodId.0`)."""
    return rules.AggregateRequest(
        start=data.from_, end=data.to, group_by=None if group_by is None else tuple(group_by),
        school_ids=_ids(data.school_ids, "School", "filter.schoolIds"),
        municipality_id=query_id(data.municipality_id, "Municipality",
                                 "filter.municipalityId.0"),
        grade_levels=None if data.grade_levels is None else tuple(data.grade_levels),
        subject_name=data.subject_name,
        period_id=query_id(data.period_id, "Period", "filter.periodId.0"))


async def aggregates(
    info: Info,
    filter: Annotated[AggregateFilter, strawberry.argument(
        description="Which schools, grades, subjects and dates.")],
    group_by: Annotated[list[AggregateDimension] | None, strawberry.argument(
        description="The dimensions of the rows (default: SCHOOL); empty: one row for "
                    "everything asked; PERIOD only with exactly one school.")] = None,
) -> AggregateReport:
    report = await rules.aggregates(info.context.session, info.context.access,
                                    _request(filter, group_by))
    return AggregateReport.from_report(report)


@strawberry.type
class AggregatesQuery:
    aggregates: AggregateReport = strawberry.field(
        resolver=aggregates, permission_classes=[IsAuthenticated],
        description="District and region figures (marks, attendance, journal timeliness, "
                    "curriculum, period grades) by school, municipality, grade level, "
                    "subject or (one school's) period, without any personal data: "
                    "municipal and regional officers, read_aggregates tokens, and school "
                    "administrators for their school.")
