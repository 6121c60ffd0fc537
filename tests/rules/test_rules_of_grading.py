"""The rules of averages and conversion, in process: the cases the mutation run
(docs/mutation-testing.md) found untested in tests/rules/test_averages.py and
tests/rules/test_conversion.py.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from db import models
from db.models import GradeState
from resolvers.grading.averages import (
    Rounding,
    cents,
    number_in,
    round_to_grade,
    shown,
    weighted_average,
    year_grade,
)
from resolvers.grading.conversion import Scale, ScaleValue, Table, convert, holding
from tests.rules.test_averages import Q1, mark
from tests.rules.test_averages import period as quarter
from tests.rules.test_conversion import FIVE, PASS_FAIL, TEN, value

HALF = Decimal("0.5")


def scale(*rows: tuple[str, int, int, int, int | None], name: str = "custom") -> Scale:
    """A system from (label, low, high, point, number) rows, ordinals in the given order."""
    system_id = uuid.uuid4()
    return Scale(id=system_id, name=name, values=tuple(
        ScaleValue(id=uuid.uuid4(), system_id=system_id, label=label, ordinal=n,
                   low=Decimal(low), high=Decimal(high), point=Decimal(point),
                   numeric=None if number is None else Decimal(number))
        for n, (label, low, high, point, number) in enumerate(rows, start=1)))


# Rounding and how numbers are shown.


def test_cents_rounds_half_up_not_to_even() -> None:
    assert cents(Decimal("0.125")) == Decimal("0.13")
    assert cents(Decimal("4.665")) == Decimal("4.67")


def test_shown_keeps_two_decimals_and_every_further_digit() -> None:
    assert shown(Decimal("262.5000")) == "262.50"
    assert shown(Decimal("5")) == "5.00"
    assert shown(Decimal("17.935")) == "17.935"
    assert shown(Decimal("4.33")) == "4.33"


# The explanation a parent reads, word for word.


def test_summary_of_an_average_rounded_up() -> None:
    average = weighted_average([mark(FIVE, "4", 1), mark(FIVE, "5", 2)], FIVE, period=Q1)
    assert average.summary() == (
        "axis: Σ(weight × point) / Σ weight = 262.50 / 3 = 87.50; "
        "in «Пятибалльная»: Σ(weight × number) / Σ weight = 14.00 / 3 = 4.67; "
        "4.67 lies 0.67 of the way from 4 to 5; threshold 0.5 → rounded up to 5")


def test_summary_of_an_average_rounded_down() -> None:
    average = weighted_average([mark(FIVE, "4"), mark(FIVE, "4"), mark(FIVE, "5")], FIVE)
    assert average.summary().endswith(
        "4.33 lies 0.33 of the way from 4 to 5; threshold 0.5 → rounded down to 4")


def test_summary_at_the_end_of_the_scale() -> None:
    average = weighted_average([mark(FIVE, "5"), mark(FIVE, "5")], FIVE)
    assert average.summary() == (
        "axis: Σ(weight × point) / Σ weight = 185.00 / 2 = 92.50; "
        "in «Пятибалльная»: Σ(weight × number) / Σ weight = 10.00 / 2 = 5.00; "
        "5.00 is at the end of the scale → 5")


def test_summary_in_a_system_without_numbers() -> None:
    average = weighted_average([mark(FIVE, "3"), mark(FIVE, "2")], PASS_FAIL)
    assert average.summary() == (
        "axis: Σ(weight × point) / Σ weight = 85.00 / 2 = 42.50; "
        "the axis average 42.50 falls in «незачёт»")
    assert average.weighted_native is None


# weighted_average and number_in.


def test_weighted_average_on_the_axis_only() -> None:
    average = weighted_average([mark(FIVE, "4"), mark(FIVE, "5")], None)
    assert average.system is None
    assert average.axis_average == Decimal("85.00")
    assert (average.converted, average.native_average, average.suggested) == (None, None, None)
    assert [m.native for m in average.marks] == [None, None]
    assert number_in(None, value(FIVE, "4")) is None


def test_weighted_average_reports_the_system_it_was_told_in() -> None:
    assert weighted_average([mark(FIVE, "4")], FIVE).system is FIVE


def test_weighted_average_counts_the_first_and_last_day_of_the_period() -> None:
    first, last = Q1
    marks = [mark(FIVE, "5", day=first), mark(FIVE, "3", day=last),
             mark(FIVE, "2", day=first - timedelta(days=1)),
             mark(FIVE, "2", day=last + timedelta(days=1))]
    average = weighted_average(marks, FIVE, period=Q1)
    assert [m.counted for m in average.marks] == [False, True, True, False]
    assert average.native_average == Decimal("4.00")


def test_weighted_average_lists_marks_of_one_day_by_id() -> None:
    day = date(2015, 9, 10)
    marks = [mark(FIVE, label, day=day) for label in ("2", "3", "4", "5")]
    listed = weighted_average(list(reversed(marks)), FIVE).marks
    assert [m.entry.id for m in listed] == sorted((m.id for m in marks), key=str)


def test_weighted_average_without_counted_marks_keeps_the_marks_and_zero_totals() -> None:
    excluded = mark(FIVE, "5", excluded=True)
    average = weighted_average([excluded], FIVE)
    assert [m.entry for m in average.marks] == [excluded]
    assert average.system is FIVE
    assert (average.total_weight, average.weighted_points) == (0, 0)


# round_to_grade.


def test_round_to_grade_records_the_ends_of_the_scale() -> None:
    assert round_to_grade(FIVE, Decimal(2), HALF) == Rounding(
        HALF, value(FIVE, "2"), None, None, value(FIVE, "2"))
    assert round_to_grade(FIVE, Decimal(5), HALF) == Rounding(
        HALF, value(FIVE, "5"), None, None, value(FIVE, "5"))


def test_round_to_grade_an_average_on_a_number_starts_from_that_number() -> None:
    assert round_to_grade(FIVE, Decimal(4), HALF) == Rounding(
        HALF, value(FIVE, "4"), value(FIVE, "5"), Decimal(0), value(FIVE, "4"))


def test_round_to_grade_fraction_is_relative_to_the_gap_between_numbers() -> None:
    # numbers two apart: 3 lies half way from 2 to 4
    even = scale(("2", 0, 50, 25, 2), ("4", 50, 80, 65, 4), ("6", 80, 100, 90, 6))
    rounding = round_to_grade(even, Decimal(3), Decimal("0.6"))
    assert rounding.fraction == HALF
    assert rounding.result.label == "2"


# year_grade.


def test_year_grade_gaps_name_every_period() -> None:
    q1, q2 = quarter(None), quarter(None)
    gap = year_grade([q1, q2], FIVE, HALF).gap
    assert gap == "no grade for «четверть», «четверть»"
    deferred = quarter(None, GradeState.DEFERRED)
    assert year_grade([deferred, deferred], FIVE, HALF).gap \
        == "deferred in «четверть», «четверть»"


def test_year_grade_graded_in_a_numeric_system() -> None:
    outcome = year_grade([quarter("4"), quarter("5")], FIVE, HALF)
    assert (outcome.state, outcome.value, outcome.average) \
        == (GradeState.GRADED, value(FIVE, "5"), Decimal("4.50"))


def test_year_grade_in_pass_fail_is_graded_with_the_mean_point() -> None:
    quarters = [quarter("зачёт", scale=PASS_FAIL), quarter("незачёт", scale=PASS_FAIL)]
    outcome = year_grade(quarters, PASS_FAIL, HALF)
    # (75 + 25) / 2 = 50.00, where зачёт begins
    assert (outcome.state, outcome.value, outcome.average) \
        == (GradeState.GRADED, value(PASS_FAIL, "зачёт"), Decimal("50.00"))


def test_year_grade_ignores_the_value_of_an_exempt_period() -> None:
    exempt = models.GradeState.EXEMPT
    outcome = year_grade([quarter("5"), quarter("2", exempt)], FIVE, HALF)
    assert outcome.value == value(FIVE, "5")


# conversion.


def test_scale_value_from_a_row() -> None:
    row = models.MarkValue(id=uuid.uuid4(), school_id=uuid.uuid4(), system_id=uuid.uuid4(),
                           label="4", ordinal=3, range_low=Decimal("70.00"),
                           range_high=Decimal("85.00"), point=Decimal("77.50"),
                           counts_as_pass=True, numeric_value=Decimal("4.00"))
    assert ScaleValue.from_model(row) == ScaleValue(
        id=row.id, system_id=row.system_id, label="4", ordinal=3, low=Decimal(70),
        high=Decimal(85), point=Decimal("77.5"), counts_as_pass=True, numeric=Decimal(4))
    row.numeric_value = None
    assert ScaleValue.from_model(row).numeric is None


def test_scale_sorts_its_values_by_ordinal() -> None:
    shuffled = Scale(id=FIVE.id, values=tuple(reversed(FIVE.values)))
    assert [v.label for v in shuffled.values] == ["2", "3", "4", "5"]


def test_scale_by_label_of_a_missing_label_is_none() -> None:
    assert FIVE.by_label("6") is None


def test_table_applies_on_its_first_and_last_day_only() -> None:
    table = Table(TEN.id, FIVE.id, valid_from=date(2016, 1, 1), valid_to=date(2016, 5, 31))
    assert table.applies(date(2016, 1, 1)) and table.applies(date(2016, 5, 31))
    assert not table.applies(date(2015, 12, 31)) and not table.applies(date(2016, 6, 1))


def test_holding_without_values_refuses() -> None:
    with pytest.raises(ValueError, match=r"^a grading system without values converts nothing$"):
        holding((), Decimal(50))


def test_holding_in_a_system_with_gaps_falls_to_the_value_below() -> None:
    # not writable (the write refuses gaps), but conversion stays total: module rule
    gappy = scale(("a", 10, 20, 15, None), ("b", 30, 40, 35, None), ("c", 60, 100, 80, None))
    assert gappy.holding(Decimal(5)).label == "a"
    assert gappy.holding(Decimal(25)).label == "a"
    assert gappy.holding(Decimal(45)).label == "b"
    assert gappy.holding(Decimal(35)).label == "b"


def test_convert_into_its_own_system_returns_the_value_even_if_not_listed() -> None:
    own = value(FIVE, "4")
    assert convert(own, Scale(id=FIVE.id, values=())) is own


def test_convert_with_a_table_row_naming_no_value_of_the_target_uses_the_axis() -> None:
    seven = value(TEN, "7")
    stale = Table(TEN.id, FIVE.id, valid_from=date(2016, 1, 1), valid_to=None,
                  rows={seven.id: uuid.uuid4()})
    assert convert(seven, FIVE, tables=[stale], on=date(2016, 2, 1)) == value(FIVE, "3")
