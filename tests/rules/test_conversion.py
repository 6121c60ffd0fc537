"""Conversion between grading systems: properties over random systems, and worked examples
from the real Russian scales of migration 0002."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.grading.conversion import Scale, ScaleValue, Table, convert, numeric_equivalent

# No example database on disk: the tests must not leave a .hypothesis folder behind.
PROPERTY = settings(database=None, deadline=None, max_examples=150)

CENT = Decimal("0.01")
DAY = date(2016, 1, 15)


def _templates() -> Any:
    path = Path(__file__).parents[2] / "db/migrations/versions/0002_grading_templates.py"
    spec = importlib.util.spec_from_file_location("templates_0002", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEMPLATES = _templates()


def template_scale(rows: list[tuple[Any, ...]], name: str) -> Scale:
    system_id = uuid.uuid4()
    return Scale(id=system_id, name=name, values=tuple(
        ScaleValue(id=uuid.uuid4(), system_id=system_id, label=label, ordinal=n, low=low,
                   high=high, point=point, counts_as_pass=ok, numeric=numeric)
        for n, (label, low, high, point, ok, numeric) in enumerate(rows, start=1)))


FIVE = template_scale(TEMPLATES.FIVE_POINT, "Пятибалльная")
TEN = template_scale(TEMPLATES.TEN_POINT, "Десятибалльная")
HUNDRED = template_scale(TEMPLATES.HUNDRED_POINT, "Стобалльная")
PASS_FAIL = template_scale(TEMPLATES.PASS_FAIL, "Зачёт/незачёт")


def value(scale: Scale, label: str) -> ScaleValue:
    found = scale.by_label(label)
    assert found is not None, label
    return found


def scale_from_bounds(bounds: list[Decimal], fractions: list[float], pass_from: int) -> Scale:
    """A well-formed system: values [b_i, b_i+1) covering 0–100 (the last holds 100), each
    point inside its own range, pass flags monotonic, numbers 1..n."""
    edges = [Decimal(0), *bounds, Decimal(100)]
    system_id = uuid.uuid4()
    values = []
    for n, (low, high) in enumerate(pairwise(edges), start=1):
        last = n == len(edges) - 1
        span = high - low
        point = (low + span * Decimal(str(fractions[n - 1]))).quantize(CENT, rounding="ROUND_DOWN")
        if not last and point >= high:
            point = low
        values.append(ScaleValue(id=uuid.uuid4(), system_id=system_id, label=str(n), ordinal=n,
                                 low=low, high=high, point=max(point, low),
                                 counts_as_pass=n >= pass_from, numeric=Decimal(n)))
    return Scale(id=system_id, values=tuple(values), name=f"random {len(values)}")


@st.composite
def bounds(draw: st.DrawFn, size: tuple[int, int] = (2, 12)) -> list[Decimal]:
    n = draw(st.integers(*size))
    cuts = draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True))
    return [Decimal(c) * CENT for c in sorted(cuts)]


@st.composite
def systems(draw: st.DrawFn, cuts: list[Decimal] | None = None) -> Scale:
    cuts = draw(bounds()) if cuts is None else cuts
    n = len(cuts) + 1
    fractions = draw(st.lists(st.floats(0, 0.999), min_size=n, max_size=n))
    return scale_from_bounds(cuts, fractions, draw(st.integers(1, n)))


# Properties.


@PROPERTY
@given(systems(), systems())
def test_convert_every_value_converts_to_a_value_of_the_target(x: Scale, y: Scale) -> None:
    for v in x.values:
        assert convert(v, y) in y.values


@PROPERTY
@given(systems(), systems())
def test_convert_is_monotonic(x: Scale, y: Scale) -> None:
    converted = [convert(v, y).ordinal for v in x.values]
    assert converted == sorted(converted)


@PROPERTY
@given(systems())
def test_convert_to_the_same_system_is_identity(x: Scale) -> None:
    assert [convert(v, x) for v in x.values] == list(x.values)


@PROPERTY
@given(systems())
def test_convert_each_point_lies_in_its_own_value(x: Scale) -> None:
    assert [x.holding(v.point) for v in x.values] == list(x.values)


@PROPERTY
@given(systems(), systems(), st.data())
def test_convert_pinned_table_wins_over_the_axis_on_its_days_only(
    x: Scale, y: Scale, data: st.DataObject
) -> None:
    # given: a table that maps every X value to some Y value, valid for one month
    rows = {v.id: data.draw(st.sampled_from(y.values)).id for v in x.values}
    table = Table(x.id, y.id, DAY, DAY + timedelta(days=30), rows)
    for v in x.values:
        # when / then
        assert convert(v, y, tables=[table], on=DAY).id == rows[v.id]
        assert convert(v, y, tables=[table], on=DAY + timedelta(days=31)) == y.holding(v.point)
        assert convert(v, y, tables=[table]) == y.holding(v.point)


@PROPERTY
@given(systems(), systems())
def test_convert_table_of_the_other_direction_is_not_used(x: Scale, y: Scale) -> None:
    backwards = Table(y.id, x.id, DAY, None, {v.id: x.values[0].id for v in y.values})
    for v in x.values:
        assert convert(v, y, tables=[backwards], on=DAY) == y.holding(v.point)


@PROPERTY
@given(bounds(), st.data())
def test_convert_round_trip_between_systems_with_the_same_boundaries_is_stable(
    cuts: list[Decimal], data: st.DataObject
) -> None:
    x = data.draw(systems(cuts))
    y = data.draw(systems(cuts))
    for v in x.values:
        assert convert(convert(v, y), x) == v


@PROPERTY
@given(bounds(size=(2, 6)), st.data())
def test_convert_round_trip_through_a_refinement_is_stable(
    cuts: list[Decimal], data: st.DataObject
) -> None:
    # given: Y cuts every range of X further (its boundaries include all of X's)
    extra = data.draw(st.lists(st.integers(1, 9999), max_size=6, unique=True))
    finer = sorted({*cuts, *(Decimal(c) * CENT for c in extra)})
    x = data.draw(systems(cuts))
    y = data.draw(systems(finer))
    for v in x.values:
        # when / then
        assert convert(convert(v, y), x) == v


@PROPERTY
@given(systems(), st.integers(0, 10000))
def test_numeric_equivalent_stays_within_the_numbers_and_grows_with_the_point(
    x: Scale, hundredths: int
) -> None:
    point = Decimal(hundredths) * CENT
    number = numeric_equivalent(x, point)
    assert number is not None
    assert Decimal(1) <= number <= Decimal(len(x.values))
    higher = numeric_equivalent(x, min(point + 1, Decimal(100)))
    assert higher is not None and higher >= number


# Worked examples from the templates of migration 0002.


def test_convert_ten_point_to_five_point_follows_the_template_ranges() -> None:
    # 10-point v sits at 10v − 5; five-point: 2 [0, 50), 3 [50, 70), 4 [70, 85), 5 [85, 100]
    assert convert(value(TEN, "7"), FIVE).label == "3"  # point 65: «3», not the customary 4
    assert convert(value(TEN, "8"), FIVE).label == "4"  # point 75
    assert convert(value(TEN, "9"), FIVE).label == "5"  # point 85
    assert convert(value(TEN, "5"), FIVE).label == "2"  # point 45
    assert convert(value(TEN, "6"), FIVE).label == "3"  # point 55


def test_convert_hundred_point_to_five_point_at_the_boundary_of_five() -> None:
    assert convert(value(HUNDRED, "84"), FIVE).label == "4"
    assert convert(value(HUNDRED, "85"), FIVE).label == "5"
    assert convert(value(HUNDRED, "49"), FIVE).label == "2"
    assert convert(value(HUNDRED, "50"), FIVE).label == "3"
    assert convert(value(HUNDRED, "100"), FIVE).label == "5"


def test_convert_hundred_point_to_pass_fail_passes_from_fifty_on_the_axis() -> None:
    # the 100-point template counts 30 as a pass, but зачёт covers [50, 100] on the axis: a
    # school that wants 30 → зачёт pins a table
    assert convert(value(HUNDRED, "29"), PASS_FAIL).label == "незачёт"
    assert convert(value(HUNDRED, "30"), PASS_FAIL).label == "незачёт"
    assert value(HUNDRED, "30").counts_as_pass
    assert convert(value(HUNDRED, "50"), PASS_FAIL).label == "зачёт"


def test_convert_five_point_to_pass_fail() -> None:
    assert convert(value(FIVE, "3"), PASS_FAIL).label == "зачёт"
    assert convert(value(FIVE, "2"), PASS_FAIL).label == "незачёт"


def test_convert_five_point_to_ten_and_hundred_point() -> None:
    assert convert(value(FIVE, "4"), TEN).label == "8"  # point 77.5
    assert convert(value(FIVE, "4"), HUNDRED).label == "78"  # 77.5 lies in [77.5, 78.5)
    assert convert(value(FIVE, "5"), HUNDRED).label == "93"  # 92.5 lies in [92.5, 93.5)


def test_convert_pinned_table_gives_the_customary_ten_to_five_conversion() -> None:
    # given: the school's local act: 1–2 → 2, 3–5 → 3, 6–7 → 4, 8–10 → 5 (от 2015/2016)
    customary = {"1": "2", "2": "2", "3": "3", "4": "3", "5": "3", "6": "4", "7": "4",
                 "8": "5", "9": "5", "10": "5"}
    table = Table(TEN.id, FIVE.id, date(2015, 9, 1), date(2016, 5, 31),
                  {value(TEN, t).id: value(FIVE, f).id for t, f in customary.items()})
    # when
    during = convert(value(TEN, "7"), FIVE, tables=[table], on=date(2015, 12, 1))
    after = convert(value(TEN, "7"), FIVE, tables=[table], on=date(2016, 9, 1))
    # then
    assert during.label == "4"
    assert after.label == "3"


def test_convert_pinned_table_applies_on_its_first_and_last_day_and_not_beyond() -> None:
    """Guards against an off-by-one that drops a pinned table on its last valid day."""
    # given the customary 7 → 4 pinned for the school year 2015/2016 (the axis says 7 → 3)
    first, last = date(2015, 9, 1), date(2016, 5, 31)
    table = Table(TEN.id, FIVE.id, first, last, {value(TEN, "7").id: value(FIVE, "4").id})

    def on(day: date) -> str:
        return convert(value(TEN, "7"), FIVE, tables=[table], on=day).label

    # when / then the table holds on both ends of its dates, and the axis on the days outside
    assert (on(first), on(last)) == ("4", "4")
    assert (on(first - timedelta(days=1)), on(last + timedelta(days=1))) == ("3", "3")
    assert table.applies(last) and not table.applies(last + timedelta(days=1))


def test_numeric_equivalent_gives_a_value_its_own_number_and_interpolates_between() -> None:
    assert numeric_equivalent(FIVE, Decimal("77.5")) == Decimal(4)
    assert numeric_equivalent(FIVE, Decimal("85")) == Decimal(4) + Decimal("7.5") / 15
    assert numeric_equivalent(FIVE, Decimal("10")) == Decimal(2)
    assert numeric_equivalent(FIVE, Decimal("100")) == Decimal(5)
    assert numeric_equivalent(PASS_FAIL, Decimal("60")) is None
