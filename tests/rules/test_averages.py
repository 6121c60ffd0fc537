"""Weighted averages on the 0–100 axis, the rounding rule, the explanation and year grades."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal

from db.models import GradeState
from resolvers.grading.averages import (
    Exclusion,
    MarkEntry,
    PeriodResult,
    reckon,
    round_to_grade,
    weighted_average,
    year_grade,
)
from resolvers.grading.conversion import Scale, ScaleValue
from tests.rules.test_conversion import FIVE, PASS_FAIL, TEN, value

Q1 = (date(2015, 9, 1), date(2015, 10, 31))
_days = itertools.count(1)


def mark(scale: Scale, label: str, weight: int | str = 1, *, excluded: bool = False,
         day: date | None = None, work_type: str = "работа на уроке") -> MarkEntry:
    return MarkEntry(id=uuid.uuid4(), work_date=day or date(2015, 9, next(_days) % 28 + 1),
                     value=value(scale, label), work_type=work_type, weight=Decimal(weight),
                     excluded=excluded, system_name=scale.name)


def test_weighted_average_weighs_each_mark_by_its_work_type() -> None:
    # given: 4 in class (weight 1), 5 in a test (weight 2)
    marks = [mark(FIVE, "4", 1), mark(FIVE, "5", 2, work_type="контрольная")]
    # when
    average = weighted_average(marks, FIVE, period=Q1)
    # then: (4 + 2·5) / 3 and (77.5 + 2·92.5) / 3
    assert average.native_average == Decimal("4.67")
    assert average.axis_average == Decimal("87.50")
    assert average.suggested == value(FIVE, "5")


def test_weighted_average_of_one_system_is_the_usual_average_of_its_numbers() -> None:
    average = weighted_average([mark(FIVE, "4"), mark(FIVE, "4"), mark(FIVE, "5")], FIVE)
    assert average.native_average == Decimal("4.33")
    assert average.suggested == value(FIVE, "4")
    # the axis average, told through the axis: (77.5 + 77.5 + 92.5) / 3 = 82.50 → «4»
    assert average.axis_average == Decimal("82.50")
    assert average.converted == value(FIVE, "4")


def test_weighted_average_leaves_out_excluded_marks_and_other_periods() -> None:
    # given
    excluded = mark(FIVE, "2", excluded=True)
    later = mark(FIVE, "2", day=date(2015, 11, 20))
    marks = [mark(FIVE, "5"), excluded, later]
    # when
    average = weighted_average(marks, FIVE, period=Q1)
    # then
    reasons = {m.entry.id: (m.counted, m.reason) for m in average.marks}
    assert reasons[excluded.id] == (False, Exclusion.EXCLUDED)
    assert reasons[later.id] == (False, Exclusion.OTHER_PERIOD)
    assert len(average.counted) == 1
    assert average.native_average == Decimal(5)


def test_weighted_average_combines_systems_on_the_axis() -> None:
    # given: a five-point 5 (point 92.5) and a ten-point 6 (point 55), equal weights
    marks = [mark(FIVE, "5"), mark(TEN, "6")]
    # when
    average = weighted_average(marks, FIVE)
    # then: axis (92.5 + 55) / 2; the ten-point 6 counts as 2 + (55 − 25) / 35 = 2.86
    assert average.axis_average == Decimal("73.75")
    assert average.converted == value(FIVE, "4")
    numbers = [m.native for m in average.marks]
    assert sorted(numbers) == [Decimal("2.86"), Decimal(5)]
    assert average.native_average == Decimal("3.93")
    assert average.suggested == value(FIVE, "4")


def test_weighted_average_told_in_ten_points_interpolates_the_five_point_marks() -> None:
    # a five-point 4 sits at 77.5, between the ten-point 8 (75) and 9 (85)
    average = weighted_average([mark(FIVE, "4")], TEN)
    assert average.native_average == Decimal("8.25")
    assert average.suggested == value(TEN, "8")


def test_weighted_average_rounding_threshold_half_vs_six_tenths() -> None:
    # given: 4 and 5 → 4.50; 4, 5, 5, 4, 5 → 4.60
    half = [mark(FIVE, "4"), mark(FIVE, "5")]
    six = [mark(FIVE, label) for label in ("4", "5", "5", "4", "5")]
    # when / then
    assert weighted_average(half, FIVE).suggested == value(FIVE, "5")
    assert weighted_average(half, FIVE, threshold=Decimal("0.6")).suggested == value(FIVE, "4")
    assert weighted_average(six, FIVE, threshold=Decimal("0.6")).suggested == value(FIVE, "5")
    rounding = weighted_average(half, FIVE, threshold=Decimal("0.6")).rounding
    assert rounding is not None
    assert (rounding.lower.label, rounding.upper and rounding.upper.label, rounding.fraction) \
        == ("4", "5", Decimal("0.5"))


def test_round_to_grade_at_the_ends_of_the_scale() -> None:
    assert round_to_grade(FIVE, Decimal(5), Decimal("0.5")).result == value(FIVE, "5")
    low = round_to_grade(FIVE, Decimal(2), Decimal("0.5"))
    assert (low.result, low.upper) == (value(FIVE, "2"), None)
    assert round_to_grade(FIVE, Decimal("2.49"), Decimal("0.5")).result == value(FIVE, "2")


def test_weighted_average_in_pass_fail_uses_the_axis() -> None:
    # given: 3 (60) and 2 (25): axis 42.50, below зачёт's 50
    average = weighted_average([mark(FIVE, "3"), mark(FIVE, "2")], PASS_FAIL)
    assert average.native_average is None and average.rounding is None
    assert average.suggested == value(PASS_FAIL, "незачёт")
    assert "falls in «незачёт»" in average.summary()


def test_weighted_average_explain_totals_add_up() -> None:
    # given
    marks = [mark(FIVE, "3", 1), mark(FIVE, "5", 2), mark(TEN, "7", "1.5"),
             mark(FIVE, "2", 1, excluded=True)]
    # when
    average = weighted_average(marks, FIVE)
    # then: every total is the sum of the numbers shown per mark
    counted = average.counted
    assert average.total_weight == sum(m.entry.weight for m in counted)
    assert average.weighted_points == sum(m.entry.weight * m.entry.value.point for m in counted)
    assert average.weighted_native == sum(m.entry.weight * (m.native or 0) for m in counted)
    assert average.axis_average == (average.weighted_points / average.total_weight
                                    ).quantize(Decimal("0.01"))
    assert average.native_average == (average.weighted_native / average.total_weight
                                      ).quantize(Decimal("0.01"))
    assert str(average.native_average) in average.summary()


def test_weighted_average_without_counted_marks_has_no_suggestion() -> None:
    average = weighted_average([mark(FIVE, "5", excluded=True)], FIVE)
    assert (average.axis_average, average.suggested) == (None, None)
    assert average.summary() == "no marks count: no average"


def test_reckon_rounds_half_up_on_the_axis_and_in_numbers() -> None:
    # (weight, point, number): 77.5 and 2 × 92.5 → 87.50; a single 4.005 → 4.01
    axis = reckon([(Decimal(1), Decimal("77.5"), None), (Decimal(2), Decimal("92.5"), None)],
                  None)
    assert (axis.axis_average, axis.native_average, axis.suggested) == (Decimal("87.50"), None,
                                                                        None)
    assert reckon([(Decimal(1), Decimal(77), Decimal("4.005"))], FIVE).native_average == \
        Decimal("4.01")
    assert reckon([], FIVE).axis_average is None


def test_reckon_is_what_weighted_average_reports_for_the_counted_marks() -> None:
    # given: marks of three systems, one excluded
    marks = [mark(FIVE, "4", 1), mark(TEN, "9", 2), mark(PASS_FAIL, "зачёт", 1),
             mark(FIVE, "2", 1, excluded=True)]
    # when
    average = weighted_average(marks, FIVE)
    # then: the same sums and suggestion from (weight, point, number) of the counted marks
    counted = [(m.entry.weight, m.entry.value.point, m.native) for m in average.counted]
    assert reckon(counted, FIVE) == reckon(counted, FIVE, Decimal("0.5"))
    r = reckon(counted, FIVE)
    assert (r.total_weight, r.native_average, r.suggested) == (
        average.total_weight, average.native_average, average.suggested)
    # the mark without a number of its own counts by its point (75 → 3.86), weight and all:
    # (4 + 2·4.50 + 3.86) / 4 = 4.215 → 4.22
    assert average.total_weight == Decimal(4)
    assert average.native_average == Decimal("4.22")


def test_reckon_refuses_a_counted_mark_without_its_number_in_a_numeric_system() -> None:
    try:
        reckon([(Decimal(1), Decimal(75), None)], FIVE)
    except AssertionError:
        return
    raise AssertionError("a mark without a number was left out silently")


def period(label: str | None, state: GradeState = GradeState.GRADED, scale: Scale = FIVE
           ) -> PeriodResult:
    v: ScaleValue | None = value(scale, label) if label else None
    return PeriodResult("четверть", state if label or state != GradeState.GRADED else None, v)


def test_year_grade_is_the_rounded_mean_of_the_period_grades() -> None:
    quarters = [period("4"), period("5"), period("5"), period("4")]
    assert year_grade(quarters, FIVE, Decimal("0.5")).value == value(FIVE, "5")
    assert year_grade(quarters, FIVE, Decimal("0.6")).value == value(FIVE, "4")
    assert year_grade(quarters, FIVE, Decimal("0.5")).average == Decimal("4.50")


def test_year_grade_states_not_attested_exempt_and_gaps() -> None:
    assert year_grade([period("5"), period(None, GradeState.NOT_ATTESTED)], FIVE,
                      Decimal("0.5")).state == GradeState.NOT_ATTESTED
    assert year_grade([period(None, GradeState.EXEMPT)] * 2, FIVE,
                      Decimal("0.5")).state == GradeState.EXEMPT
    exempt_once = year_grade([period(None, GradeState.EXEMPT), period("3")], FIVE,
                             Decimal("0.5"))
    assert exempt_once.value == value(FIVE, "3")
    missing = year_grade([period("5"), period(None)], FIVE, Decimal("0.5"))
    assert missing.state is None and missing.gap and "no grade" in missing.gap
    deferred = year_grade([period("5"), period(None, GradeState.DEFERRED)], FIVE,
                          Decimal("0.5"))
    assert deferred.state is None and deferred.gap and "deferred" in deferred.gap


def test_year_grade_in_pass_fail_uses_the_axis() -> None:
    quarters = [period("зачёт", scale=PASS_FAIL), period("незачёт", scale=PASS_FAIL),
                period("зачёт", scale=PASS_FAIL)]
    # (75 + 25 + 75) / 3 = 58.33 → зачёт
    assert year_grade(quarters, PASS_FAIL, Decimal("0.5")).value == value(PASS_FAIL, "зачёт")
