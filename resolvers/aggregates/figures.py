"""A row's figures from its counts, one dataclass per section: the same for a row of
`aggregates` (resolvers/aggregates/queries.py) and a line of the monthly report
(resolvers/reports/sql.py,
whose subtotals add the counts of their schools up first).

A student-based figure computed from fewer students than the row's threshold is suppressed.
What each figure means is said on the GraphQL types of the same fields (schema/aggregates.py).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# A row over several schools is suppressed below this many students, whatever the schools'
# own settings.
MULTI_SCHOOL_THRESHOLD = 5


def row_threshold(schools: int, min_size: int) -> int:
    """The suppression threshold of a row: the school's own setting for a row of one school,
    MULTI_SCHOOL_THRESHOLD for a row over several."""
    return min_size if schools == 1 else MULTI_SCHOOL_THRESHOLD


def _round(x: Decimal | float | None, places: str = "0.01") -> float | None:
    if x is None:
        return None
    return float(Decimal(str(x)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _share(part: int, whole: int) -> float | None:
    return _round(Decimal(part) / Decimal(whole), "0.0001") if whole else None


class AttainmentBasis(enum.Enum):
    """What успеваемость and качество of a row were computed from (docs/figures.md)."""

    PERIOD_GRADES = "period_grades"
    CURRENT_AVERAGES = "current_averages"


@dataclass(frozen=True)
class AttainmentFigures:
    """Успеваемость and качество with their numerators and denominator (docs/figures.md)."""

    basis: AttainmentBasis
    suppressed: bool
    students: int | None  # the denominator of both shares
    passing: int | None
    quality: int | None
    success_rate: float | None
    quality_rate: float | None
    not_yet_attested: int | None


@dataclass(frozen=True)
class MarkBands:
    twos: int
    threes: int
    fours: int
    fives: int


@dataclass(frozen=True)
class MarkFigures:
    suppressed: bool
    students: int | None
    marks: int | None
    graded_marks: int | None
    bands: MarkBands | None
    average_point: float | None
    average_five_point: float | None
    success_rate: float | None
    quality_rate: float | None


@dataclass(frozen=True)
class AttendanceFigures:
    suppressed: bool
    students: int | None
    student_lessons: int | None
    absent_lessons: int | None
    rate: float | None
    absent: int | None
    ill: int | None
    excused: int | None
    late: int | None


@dataclass(frozen=True)
class TimelinessFigures:
    lessons_held: int
    topic_on_time: int
    attendance_on_time: int
    lessons_with_homework: int
    homework_on_time: int
    marks: int
    marks_on_time: int
    topic_share: float | None
    attendance_share: float | None
    homework_share: float | None
    marks_share: float | None
    overall_share: float | None


@dataclass(frozen=True)
class CurriculumFigures:
    lesson_type_code: str | None
    lesson_type_name: str | None
    planned_hours: float
    held: int
    fulfilment: float | None


@dataclass(frozen=True)
class PeriodGradeFigures:
    suppressed: bool
    students: int | None
    expected: int | None
    graded: int | None
    deferred: int | None
    not_attested: int | None
    exempt: int | None
    missing: int | None


@dataclass(frozen=True)
class GroupTimeliness:
    """A group among the least timely: staff data only, never a student."""

    school_name: str
    group_name: str
    subject_name: str
    grade_level: int | None
    teacher_names: list[str]
    timeliness: TimelinessFigures


def attainment_aggregate(r: Mapping[str, Any] | None, threshold: int) -> AttainmentFigures:
    """A row of sql.ATTAINMENT; suppressed when its denominator is below the threshold."""
    basis = AttainmentBasis.PERIOD_GRADES if r is not None and r["by_grades"] \
        else AttainmentBasis.CURRENT_AVERAGES
    if r is None or not r["students"] or r["students"] < threshold:
        suppressed = r is not None and bool(r["students"])
        zero = None if suppressed else 0
        return AttainmentFigures(basis=basis, suppressed=suppressed, students=zero,
                                 passing=zero, quality=zero, success_rate=None,
                                 quality_rate=None,
                                 not_yet_attested=None if suppressed
                                 else (r["pending"] if r is not None else 0))
    return AttainmentFigures(
        basis=basis, suppressed=False, students=r["students"], passing=r["passing"],
        quality=r["quality"], success_rate=_share(r["passing"], r["students"]),
        quality_rate=_share(r["quality"], r["students"]), not_yet_attested=r["pending"])


def mark_aggregate(r: Mapping[str, Any] | None, threshold: int,
                   attainment: AttainmentFigures | None = None) -> MarkFigures:
    """`successRate` and `qualityRate` of the marks are the attainment's (the old marks-based
    figures are gone: docs/figures.md)."""
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return MarkFigures(suppressed=r is not None, students=zero, marks=zero,
                             graded_marks=zero, bands=None, average_point=None,
                             average_five_point=None, success_rate=None, quality_rate=None)
    graded = r["graded"]
    return MarkFigures(
        suppressed=False, students=r["students"], marks=r["marks"], graded_marks=graded,
        bands=MarkBands(twos=r["band2"], threes=r["band3"], fours=r["band4"],
                        fives=r["band5"]),
        average_point=_round(Decimal(r["sum_point"]) / graded) if graded else None,
        average_five_point=_round(Decimal(r["sum_five"]) / graded) if graded else None,
        success_rate=attainment.success_rate if attainment else None,
        quality_rate=attainment.quality_rate if attainment else None)


def attendance_aggregate(r: Mapping[str, Any] | None, threshold: int) -> AttendanceFigures:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return AttendanceFigures(suppressed=r is not None, students=zero, student_lessons=zero,
                                   absent_lessons=zero, rate=None, absent=zero, ill=zero,
                                   excused=zero, late=zero)
    rate = _round(1 - Decimal(r["absent_lessons"]) / Decimal(r["student_lessons"]), "0.0001")
    return AttendanceFigures(suppressed=False, students=r["students"],
                               student_lessons=r["student_lessons"],
                               absent_lessons=r["absent_lessons"], rate=rate,
                               absent=r["absent"], ill=r["ill"], excused=r["excused"],
                               late=r["late"])


def timeliness_aggregate(r: Mapping[str, Any] | None) -> TimelinessFigures:
    if r is None:
        return TimelinessFigures(lessons_held=0, topic_on_time=0, attendance_on_time=0,
                                   lessons_with_homework=0, homework_on_time=0, marks=0,
                                   marks_on_time=0, topic_share=None, attendance_share=None,
                                   homework_share=None, marks_share=None, overall_share=None)
    lessons, topic, attendance = r["lessons"], r["topic_on_time"], r["attendance_on_time"]
    homework, homework_ok = r["with_homework"], r["homework_on_time"]
    marks, marks_ok = r["marks"], r["marks_on_time"]
    return TimelinessFigures(
        lessons_held=lessons, topic_on_time=topic, attendance_on_time=attendance,
        lessons_with_homework=homework, homework_on_time=homework_ok, marks=marks,
        marks_on_time=marks_ok, topic_share=_share(topic, lessons),
        attendance_share=_share(attendance, lessons), homework_share=_share(homework_ok, homework),
        marks_share=_share(marks_ok, marks),
        overall_share=_share(topic + attendance + homework_ok + marks_ok,
                             2 * lessons + homework + marks))


def curriculum_aggregates(rows: Iterable[Mapping[str, Any]]) -> list[CurriculumFigures]:
    """By lesson type code, lessons without a type last."""
    rows = sorted(rows, key=lambda r: (r["code"] is None, r["code"] or ""))
    return [CurriculumFigures(
        lesson_type_code=r["code"], lesson_type_name=r["name"],
        planned_hours=_round(r["planned"], "0.1") or 0.0, held=r["held"],
        fulfilment=_round(Decimal(r["held"]) / Decimal(r["planned"]), "0.0001")
        if r["planned"] else None) for r in rows]


def period_grade_aggregate(r: Mapping[str, Any] | None, threshold: int
                           ) -> PeriodGradeFigures:
    if r is None or r["students"] < threshold:
        zero = None if r else 0
        return PeriodGradeFigures(suppressed=r is not None, students=zero, expected=zero,
                                    graded=zero, deferred=zero, not_attested=zero,
                                    exempt=zero, missing=zero)
    return PeriodGradeFigures(suppressed=False, students=r["students"],
                                expected=r["expected"], graded=r["graded"],
                                deferred=r["deferred"], not_attested=r["not_attested"],
                                exempt=r["exempt"], missing=r["missing"])
