"""Aggregates for officers and dashboards: figures by school, municipality, grade, subject.

No type here carries a student's name or id. A figure computed from fewer students than the
threshold (the school's `min_group_size`, default 5; 5 for a row over several schools) is
null, and its section says `suppressed: true`.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date
from typing import Annotated, Protocol

import strawberry


@strawberry.enum(description="What the rows of an aggregate report are grouped by.")
class AggregateDimension(enum.Enum):
    SCHOOL = strawberry.enum_value("school", description="One row per school (with its "
                                                         "municipality).")
    MUNICIPALITY = strawberry.enum_value("municipality", description="One row per "
                                                                     "municipality.")
    GRADE_LEVEL = strawberry.enum_value("grade_level", description="One row per grade level "
                                                                   "(параллель), 1–11.")
    SUBJECT = strawberry.enum_value("subject", description="One row per subject name (subjects "
                                                           "are matched by name across "
                                                           "schools).")
    PERIOD = strawberry.enum_value("period", description="One row per period (четверть, "
                                                         "триместр…) of the school's period "
                                                         "schemes that overlaps the range, "
                                                         "each over the dates inside the "
                                                         "period; only when `filter.schoolIds` "
                                                         "names exactly one school.")


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
                                  "the part of the period inside `from`–`to`.")


@strawberry.type(description="How many marks fall in each five-point band of the 0–100 axis "
                             "(the `five_point` template: «2» below 50, «3» 50–70, «4» 70–85, "
                             "«5» from 85).")
class MarkBands:
    twos: int = strawberry.field(description="Marks with a point below 50 («2»).")
    threes: int = strawberry.field(description="Marks with a point from 50 to below 70 («3»).")
    fours: int = strawberry.field(description="Marks with a point from 70 to below 85 («4»).")
    fives: int = strawberry.field(description="Marks with a point from 85 («5»).")


@strawberry.type(description="Marks over the range. Counted: marks whose work date lies in the "
                             "range, except those excluded from the average; the bands, "
                             "averages and качество use marks of graded scales (not "
                             "зачёт/незачёт).")
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
        description="Успеваемость: the share (0–1) of the students none of whose marks fails "
                    "(every value counts as a pass).")
    quality_rate: float | None = strawberry.field(
        description="Качество: the share (0–1) of the students with no failing mark, at "
                    "least one graded mark, and every graded mark in the «4» or «5» band.")


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


class Figures(Protocol):
    """Where a row's sections come from: each section is one statement for every row of the
    report, run once, when a row first asks for it (resolvers/aggregates.py)."""

    async def marks(self, key: Key, threshold: int) -> MarkAggregate: ...
    async def attendance(self, key: Key, threshold: int) -> AttendanceAggregate: ...
    async def timeliness(self, key: Key) -> TimelinessAggregate: ...
    async def curriculum(self, key: Key) -> list[CurriculumAggregate]: ...
    async def period_grades(self, key: Key, threshold: int) -> PeriodGradeAggregate: ...
    async def worst_groups(self, limit: int) -> list[GroupTimeliness]: ...


# (school id, municipality id, grade level, subject name, period id), None where not grouped
# by it.
Key = tuple[uuid.UUID | None, uuid.UUID | None, int | None, str | None, uuid.UUID | None]


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
    key: strawberry.Private[Key]
    figures: strawberry.Private[Figures]

    @strawberry.field(description="Marks: bands, averages, успеваемость and качество.")
    async def marks(self) -> MarkAggregate:
        return await self.figures.marks(self.key, self.threshold)

    @strawberry.field(description="Attendance.")
    async def attendance(self) -> AttendanceAggregate:
        return await self.figures.attendance(self.key, self.threshold)

    @strawberry.field(description="Journal timeliness.")
    async def timeliness(self) -> TimelinessAggregate:
        return await self.figures.timeliness(self.key)

    @strawberry.field(description="Curriculum fulfilment by lesson type.")
    async def curriculum(self) -> list[CurriculumAggregate]:
        return await self.figures.curriculum(self.key)

    @strawberry.field(description="Deferred and missing period grades.")
    async def period_grades(self) -> PeriodGradeAggregate:
        return await self.figures.period_grades(self.key, self.threshold)


@strawberry.type(description="A group whose journal is among the least timely (staff data: "
                             "the group and its teachers, never a student).")
class GroupTimeliness:
    school_name: str = strawberry.field(description="The school.")
    group_name: str = strawberry.field(description="The group, e.g. «6А Русский язык».")
    subject_name: str = strawberry.field(description="Its subject.")
    grade_level: int | None = strawberry.field(description="Its grade level.")
    teacher_names: list[str] = strawberry.field(description="Its teachers in the range.")
    timeliness: TimelinessAggregate = strawberry.field(description="Its timeliness figures.")


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
    figures: strawberry.Private[Figures]

    @strawberry.field(description="The groups with the lowest overall timeliness (overallShare), "
                                  "least timely first.")
    async def worst_groups(
        self,
        limit: Annotated[int, strawberry.argument(description="How many groups (1–100).")] = 10,
    ) -> list[GroupTimeliness]:
        return await self.figures.worst_groups(limit)
