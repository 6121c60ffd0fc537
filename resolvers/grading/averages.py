"""Weighted averages of marks on the 0–100 axis, the rounding to a suggested grade, and the
explanation a parent can check by hand.

The rule, the same everywhere (journal, averageExplanation, the suggestion beside a grade):

1. The marks of a student in a group whose work date lies in the period count, except those
   excluded from the average (`excluded_from_average`). Each has the weight of its work type.
2. Axis average: Σ(weight × point) / Σ weight, where the point is the mark value's
   representative point on 0–100 (marks of different systems combine here). Shown to two
   decimals, rounded half up.
3. The average told in a system S ("native" average, numeric systems only): each mark gets its
   number in S — a mark of S itself exactly its own number (5 → 5), a mark of another system
   the number of its point interpolated linearly between the points of S's values
   (`conversion.numeric_equivalent`) — shown to two decimals; the average is Σ(weight ×
   number) / Σ weight, two decimals, half up. When every mark is in S this is the usual
   средний балл: 4, 4, 5 → 4.33.
   Marks without a number of their own (зачёт, a letter, a value of a system without
   numbers) are not left out: their point gives them a number in S like any mark of another
   system, so Σ weight is the same in the axis and the native average. A system S without
   numbers has no native average at all (rule 4 then goes through the axis).
4. Suggested grade in a numeric system: the native average a lies between two consecutive
   numbers of S, n ≤ a < n'; the fraction (a − n) / (n' − n) rounds up to n' when it reaches
   the school's `rounding_threshold` (default 0.5), else down to n. With 0.5, 4.5 → 5; with
   0.6, 4.5 → 4 and 4.6 → 5. The threshold applies to the two-decimal average that is shown,
   so what a parent sees is what was rounded.
   In a system without numbers (зачёт/незачёт, letters): the value whose range holds the axis
   average (conversion rule, through the axis).
5. The axis average converted into S through the axis is reported too; for a numeric system it
   may differ from the suggestion (4 and 5 → axis 85.00, which «5» holds, but native 4.50).
   Conversion tables map values, not averages, so they play no part here.

Rules 2–5 are `reckon`, over the counted marks as (weight, point, number in S): the
explanation (`weighted_average`, which also chooses and lists the marks) and the journal grid
(whose SQL chose them) both call it, so the grid's average and suggested grade cannot drift
from `averageExplanation`'s.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.grading.conversion import Scale, ScaleValue, load_scales, numeric_equivalent
from resolvers.row_loaders import RowLoaders

CENT = Decimal("0.01")
DEFAULT_THRESHOLD = Decimal("0.5")


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def shown(x: Decimal) -> str:
    """An exact number as a person writes it: at least two decimals, and no trailing zeros
    beyond them (262.5000 → 262.50, 17.935 → 17.935)."""
    n = x.normalize()
    exponent = n.as_tuple().exponent
    assert isinstance(exponent, int)
    return f"{cents(x):f}" if -exponent < 2 else f"{n:f}"


class Exclusion(enum.StrEnum):
    """Why a mark does not count."""

    EXCLUDED = "excluded"  # the teacher excluded it from the average
    OTHER_PERIOD = "other_period"  # its work date lies outside the period


@dataclass(frozen=True)
class MarkEntry:
    """A mark as the average sees it."""

    id: uuid.UUID
    work_date: date
    value: ScaleValue
    work_type: str
    weight: Decimal
    excluded: bool = False
    system_name: str = ""


@dataclass(frozen=True)
class CountedMark:
    entry: MarkEntry
    counted: bool
    reason: Exclusion | None
    native: Decimal | None  # the mark's number in the report system, two decimals


@dataclass(frozen=True)
class Rounding:
    """How the native average became the suggested grade."""

    threshold: Decimal
    lower: ScaleValue
    upper: ScaleValue | None  # None when the average is at or beyond the ends of the scale
    fraction: Decimal | None  # (a − lower) / (upper − lower)
    result: ScaleValue


@dataclass(frozen=True)
class Reckoning:
    """Rules 2–5 over the counted marks: the sums, the averages and the suggested grade."""

    total_weight: Decimal
    weighted_points: Decimal
    axis_average: Decimal | None
    weighted_native: Decimal | None
    native_average: Decimal | None
    converted: ScaleValue | None  # the axis average through the axis
    rounding: Rounding | None
    suggested: ScaleValue | None


@dataclass(frozen=True)
class Average(Reckoning):
    marks: list[CountedMark]
    system: Scale | None

    @property
    def counted(self) -> list[CountedMark]:
        return [m for m in self.marks if m.counted]

    def summary(self) -> str:
        """The computation in one line, numbers as shown."""
        if self.axis_average is None:
            return "no marks count: no average"
        weights = f"{self.total_weight.normalize():f}"
        parts = [f"axis: Σ(weight × point) / Σ weight = {shown(self.weighted_points)} / "
                 f"{weights} = {self.axis_average}"]
        if self.system is not None and self.native_average is not None \
                and self.weighted_native is not None:
            parts.append(f"in «{self.system.name}»: Σ(weight × number) / Σ weight = "
                         f"{shown(self.weighted_native)} / {weights} = {self.native_average}")
        r = self.rounding
        if r is not None and r.upper is not None and r.fraction is not None:
            way = "up" if r.result == r.upper else "down"
            parts.append(f"{self.native_average} lies {r.fraction.normalize():f} of the way "
                         f"from {r.lower.label} to {r.upper.label}; threshold "
                         f"{r.threshold.normalize():f} → rounded {way} to {r.result.label}")
        elif r is not None:
            parts.append(f"{self.native_average} is at the end of the scale → {r.result.label}")
        elif self.suggested is not None:
            parts.append(f"the axis average {self.axis_average} falls in «{self.suggested.label}»")
        return "; ".join(parts)


def native_number(system: Scale, system_id: object, numeric: object, point: object
                  ) -> Decimal | None:
    """Rule 3: a mark's number in a numeric `system`: its own number when the mark is of that
    system, else its axis point read on the system's scale; two decimals. The journal's raw
    rows and `number_in` both come here."""
    if str(system_id) == str(system.id) and numeric is not None:
        return cents(Decimal(str(numeric)))
    equivalent = numeric_equivalent(system, Decimal(str(point)))
    return None if equivalent is None else cents(equivalent)


def number_in(system: Scale | None, value: ScaleValue) -> Decimal | None:
    """A mark's number in the report system (rule 3), two decimals; None without numbers."""
    if system is None or not system.is_numeric:
        return None
    return native_number(system, value.system_id, value.numeric, value.point)


def round_to_grade(system: Scale, average: Decimal, threshold: Decimal) -> Rounding:
    """Rule 4: the value of a numeric system the native average rounds to."""
    ladder = sorted(system.values, key=lambda v: (v.numeric, v.ordinal))
    low, high = ladder[0], ladder[-1]
    assert low.numeric is not None and high.numeric is not None
    if average <= low.numeric:
        return Rounding(threshold, low, None, None, low)
    if average >= high.numeric:
        return Rounding(threshold, high, None, None, high)
    for lower, upper in pairwise(ladder):
        assert lower.numeric is not None and upper.numeric is not None
        if lower.numeric <= average < upper.numeric:
            fraction = (average - lower.numeric) / (upper.numeric - lower.numeric)
            result = upper if fraction >= threshold else lower
            return Rounding(threshold, lower, upper, fraction, result)
    raise AssertionError("an average inside the scale lies between two of its numbers")


Counted = tuple[Decimal, Decimal, Decimal | None]  # weight, axis point, number in S


def reckon(counted: Iterable[Counted], system: Scale | None,
           threshold: Decimal = DEFAULT_THRESHOLD) -> Reckoning:
    """Rules 2–5 over the marks that count, each as (weight, point, its number in `system` by
    rule 3 — None only when `system` has no numbers); `system` None: the axis only."""
    numeric = system is not None and system.is_numeric
    total_weight = weighted_points = weighted_native = Decimal(0)
    for weight, point, number in counted:
        total_weight += weight
        weighted_points += weight * point
        if numeric:
            # rule 3 gives every mark a number in a numeric system; a missing one would
            # shrink the average silently, so it is a bug of the caller
            assert number is not None, "a counted mark without its number in a numeric system"
            weighted_native += weight * number
    if not total_weight:
        return Reckoning(total_weight, weighted_points, None, None, None, None, None, None)
    axis = cents(weighted_points / total_weight)
    converted = system.holding(axis) if system is not None and system.values else None
    if system is None or not numeric:
        return Reckoning(total_weight, weighted_points, axis, None, None, converted, None,
                         converted)
    native_average = cents(weighted_native / total_weight)
    rounding = round_to_grade(system, native_average, threshold)
    # The sums stay exact (weights and numbers have two decimals), so they add up by hand.
    return Reckoning(total_weight, weighted_points, axis, weighted_native, native_average,
                     converted, rounding, rounding.result)


def weighted_average(entries: Iterable[MarkEntry], system: Scale | None, *,
                     period: tuple[date, date] | None = None,
                     threshold: Decimal = DEFAULT_THRESHOLD) -> Average:
    """The average of the marks (rules 1–5), told in `system` (None: on the axis only);
    `period` (first and last day) leaves out marks of other days."""
    marks: list[CountedMark] = []
    for e in sorted(entries, key=lambda e: (e.work_date, str(e.id))):
        reason = None
        if period is not None and not period[0] <= e.work_date <= period[1]:
            reason = Exclusion.OTHER_PERIOD
        elif e.excluded:
            reason = Exclusion.EXCLUDED
        marks.append(CountedMark(e, reason is None, reason, number_in(system, e.value)))
    r = reckon(((m.entry.weight, m.entry.value.point, m.native) for m in marks if m.counted),
               system, threshold)
    return Average(r.total_weight, r.weighted_points, r.axis_average, r.weighted_native,
                   r.native_average, r.converted, r.rounding, r.suggested, marks, system)


# Reading a student's marks and the school's rule from the database.


@dataclass(frozen=True)
class SchoolRules:
    rounding_threshold: Decimal = DEFAULT_THRESHOLD
    year_grade_rule: str = "rounded_mean"


async def school_rules(session: AsyncSession, school_id: uuid.UUID) -> SchoolRules:
    """The school's settings (its row may be absent: the defaults apply)."""
    row = (await session.execute(
        select(models.SchoolSettings.rounding_threshold, models.SchoolSettings.year_grade_rule)
        .where(models.SchoolSettings.school_id == school_id))).one_or_none()
    if row is None:
        return SchoolRules()
    return SchoolRules(Decimal(row.rounding_threshold), row.year_grade_rule or "rounded_mean")


async def student_average(session: AsyncSession, loaders: RowLoaders, *,
                          group: models.StudyGroup, student_id: uuid.UUID,
                          period: models.Period | None, system_id: uuid.UUID | None,
                          threshold: Decimal) -> Average:
    """The student's average in the group (every mark of theirs in its journal; those outside
    `period` listed as not counted), told in system `system_id`."""
    mark, work = models.Mark, models.WorkType
    rows = (await session.execute(
        select(mark.id, mark.work_date, mark.value_id, mark.excluded_from_average,
               work.name, work.weight)
        .join(work, (work.school_id == mark.school_id) & (work.id == mark.work_type_id))
        .where(mark.school_id == group.school_id, mark.group_id == group.id,
               mark.student_id == student_id))).all()
    values = await loaders.by_id(models.MarkValue).load_many([r.value_id for r in rows])
    wanted = {v.system_id for v in values if v is not None}
    scales = await load_scales(loaders, wanted | ({system_id} if system_id else set()))
    entries = [
        MarkEntry(id=r.id, work_date=r.work_date, value=ScaleValue.from_model(v),
                  work_type=r.name, weight=Decimal(r.weight), excluded=r.excluded_from_average,
                  system_name=scales[v.system_id].name if v.system_id in scales else "")
        for r, v in zip(rows, values, strict=True) if v is not None]
    span = (period.starts_on, period.ends_on) if period is not None else None
    return weighted_average(entries, scales.get(system_id) if system_id else None,
                            period=span, threshold=threshold)


# Year grades from period grades: the school's `year_grade_rule`; 'rounded_mean' is the only
# rule so far (and the default):
# - a period without a grade, or with a deferred one: no year grade yet (a gap to report);
# - any period not attested (н/а): the year is not attested;
# - exempt periods do not count; every period exempt: the year is exempt;
# - otherwise the mean of the graded periods' numbers in the year's system (as rule 3: the
#   grade's own number, or its point interpolated), two decimals half up, rounded to a grade
#   with the school's threshold (rule 4); in a system without numbers, the value whose range
#   holds the mean of their points.
# The teacher may override a single year grade (setYearGrade); the computed one stays beside it
# as the suggestion.

YEAR_RULES = frozenset({"rounded_mean"})


@dataclass(frozen=True)
class PeriodResult:
    period_name: str
    state: models.GradeState | None  # None: no grade for the period
    value: ScaleValue | None


@dataclass(frozen=True)
class YearOutcome:
    state: models.GradeState | None  # None: not computable yet, see `gap`
    value: ScaleValue | None = None
    average: Decimal | None = None
    gap: str | None = None


def year_grade(periods: list[PeriodResult], system: Scale, threshold: Decimal) -> YearOutcome:
    missing = [p.period_name for p in periods if p.state is None]
    if missing:
        return YearOutcome(None, gap="no grade for " + ", ".join(f"«{n}»" for n in missing))
    deferred = [p.period_name for p in periods if p.state == models.GradeState.DEFERRED]
    if deferred:
        return YearOutcome(None, gap="deferred in " + ", ".join(f"«{n}»" for n in deferred))
    if any(p.state == models.GradeState.NOT_ATTESTED for p in periods):
        return YearOutcome(models.GradeState.NOT_ATTESTED)
    graded = [p.value for p in periods
              if p.state == models.GradeState.GRADED and p.value is not None]
    if not graded:
        return YearOutcome(models.GradeState.EXEMPT)
    if system.is_numeric:
        numbers = [number_in(system, v) for v in graded]
        mean = cents(sum((n for n in numbers if n is not None), Decimal(0)) / len(graded))
        return YearOutcome(models.GradeState.GRADED,
                           round_to_grade(system, mean, threshold).result, mean)
    mean = cents(sum((v.point for v in graded), Decimal(0)) / len(graded))
    return YearOutcome(models.GradeState.GRADED, system.holding(mean), mean)
