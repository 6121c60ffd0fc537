"""The rules of a grading system's values (resolvers/grading/values.py), in process: every
rule, its field path, code and message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from resolvers.grading.values import ValueSpec, check_values
from tenants.errors import ErrorCode

INVALID, OVERLAP = ErrorCode.INVALID, ErrorCode.OVERLAP
OUT, DUPLICATE, REQUIRED = ErrorCode.OUT_OF_RANGE, ErrorCode.DUPLICATE, ErrorCode.REQUIRED


@dataclass(frozen=True)
class V:
    label: str
    range_low: float
    range_high: float
    point: float
    counts_as_pass: bool = True
    numeric_value: float | None = None


FIVE = [V("2", 0, 50, 25, False, 2), V("3", 50, 70, 60, True, 3),
        V("4", 70, 85, 77.5, True, 4), V("5", 85, 100, 92.5, True, 5)]


def problems(values: list[V]) -> list[tuple[str | None, ErrorCode]]:
    return [(p.field, p.code) for p in check_values(values, "in")[1]]


def messages(values: list[V]) -> list[str]:
    return [p.message for p in check_values(values, "in")[1]]


def test_a_well_formed_system_becomes_specs() -> None:
    specs, errors = check_values(FIVE, "in")
    assert errors == []
    assert specs[0] == ValueSpec("2", Decimal(0), Decimal(50), Decimal(25), False, Decimal(2))
    assert specs[2] == ValueSpec("4", Decimal(70), Decimal(85), Decimal("77.50"), True,
                                 Decimal(4))
    assert len(specs) == 4


def test_points_may_sit_on_the_ends_of_the_axis() -> None:
    values = [V("a", 0, 50, 0, False), V("b", 50, 100, 100)]
    assert check_values(values, "in") == (
        [ValueSpec("a", Decimal(0), Decimal(50), Decimal(0), False, None),
         ValueSpec("b", Decimal(50), Decimal(100), Decimal(100), True, None)], [])


def test_at_least_two_values() -> None:
    assert problems([V("a", 0, 100, 50)]) == [("in", INVALID)]
    assert messages([V("a", 0, 100, 50)]) == ["a grading system needs at least 2 values"]
    assert problems([]) == [("in", INVALID)]


def test_labels_required_short_and_unique_ignoring_case() -> None:
    assert problems([V(" ", 0, 50, 25), V("b", 50, 100, 75)]) == [("in.0.label", REQUIRED)]
    assert problems([V("x" * 33, 0, 50, 25), V("b", 50, 100, 75)]) == [("in.0.label", INVALID)]
    assert problems([V("x" * 32, 0, 50, 25), V("b", 50, 100, 75)]) == []
    same = [V("Зачёт", 0, 50, 25), V("зачёт", 50, 100, 75)]
    assert problems(same) == [("in.1.label", DUPLICATE)]
    assert messages(same) == ["the label «зачёт» is already used by a lower value"]
    specs, _ = check_values([V(" a ", 0, 50, 25), V("b", 50, 100, 75)], "in")
    assert specs[0].label == "a"


def test_ranges_lie_on_the_axis() -> None:
    assert problems([V("a", -1, 50, 25), V("b", 50, 100, 75)]) \
        == [("in.0.rangeLow", OUT)]
    assert problems([V("a", 0, 50, 25), V("b", 50, 101, 75)]) \
        == [("in.1.rangeHigh", OUT)]
    assert messages([V("a", 0, 50, 25), V("b", 50, 101, 75)]) == ["must lie on the 0–100 axis"]
    assert problems([V("a", 0, 50, 25), V("b", 101, 100, 75)]) \
        == [("in.1.rangeLow", OUT)]
    assert problems([V("a", 0, -1, 25), V("b", 50, 100, 75)]) \
        == [("in.0.rangeHigh", OUT)]


def test_a_range_is_not_empty() -> None:
    values = [V("a", 0, 50, 25), V("b", 50, 50, 50), V("c", 50, 100, 75)]
    assert problems(values) == [("in.1.rangeHigh", INVALID)]
    assert messages(values) == ["must be greater than rangeLow (50.00)"]


def test_the_point_lies_in_its_range() -> None:
    values = [V("a", 0, 50, 60), V("b", 50, 100, 49.99)]
    assert problems(values) == [("in.0.point", OUT), ("in.1.point", OUT)]
    assert messages(values)[0] == "must lie inside the value's range 0.00–50.00"
    specs, _ = check_values(values, "in")
    assert [s.label for s in specs] == ["a", "b"]  # the rest of the rules still hold


def test_the_values_cover_the_axis_from_0_to_100() -> None:
    assert problems([V("a", 1, 50, 25), V("b", 50, 100, 75)]) == [("in.0.rangeLow", INVALID)]
    assert messages([V("a", 1, 50, 25), V("b", 50, 100, 75)]) \
        == ["the lowest value must start at 0"]
    assert problems([V("a", 0, 50, 25), V("b", 50, 99, 75)]) == [("in.1.rangeHigh", INVALID)]
    assert messages([V("a", 0, 50, 25), V("b", 50, 99, 75)]) \
        == ["the highest value must end at 100"]


def test_gaps_and_overlaps_between_neighbours() -> None:
    gap = [V("a", 0, 50, 25), V("b", 50.01, 100, 75)]
    assert problems(gap) == [("in.1.rangeLow", INVALID)]
    assert messages(gap) == ["leaves a gap: starts at 50.01 but the previous value ends at 50.00"]
    overlap = [V("a", 0, 50, 25), V("b", 49.99, 100, 75)]
    assert problems(overlap) == [("in.1.rangeLow", OVERLAP)]
    assert messages(overlap) == ["overlaps the previous value, which ends at 50.00"]
    # a neighbour whose end was refused is not compared
    assert problems([V("a", 0, 150, 25), V("b", 30, 100, 75)]) == [("in.0.rangeHigh", OUT)]


def test_passing_is_monotonic() -> None:
    values = [V("a", 0, 30, 15, False), V("b", 30, 60, 45, True), V("c", 60, 100, 80, False)]
    assert problems(values) == [("in.2.countsAsPass", INVALID)]
    assert messages(values) == ["a value above a passing value must pass too"]
    # a failing value below a failing value is fine, and the first may pass
    assert problems([V("a", 0, 50, 25, False), V("b", 50, 100, 75, False)]) == []
    assert problems([V("a", 0, 50, 25, True), V("b", 50, 100, 75, True)]) == []
    # the rule looks past the previous value to any lower passing one
    skip = [V("a", 0, 30, 15, True), V("b", 30, 60, 45, False), V("c", 60, 100, 80, False)]
    assert problems(skip) == [("in.1.countsAsPass", INVALID), ("in.2.countsAsPass", INVALID)]


def test_numbers_increase() -> None:
    same = [V("a", 0, 50, 25, numeric_value=3), V("b", 50, 100, 75, numeric_value=3)]
    assert problems(same) == [("in.1.numericValue", INVALID)]
    assert messages(same) == ["must be greater than the lower value's 3.00"]
    # a value without a number is skipped: the next is compared with the last number
    gap = [V("a", 0, 30, 15, numeric_value=5), V("b", 30, 60, 45),
           V("c", 60, 100, 80, numeric_value=4)]
    assert problems(gap) == [("in.2.numericValue", INVALID)]
    assert problems([V("a", 0, 50, 25, numeric_value=9999),
                     V("b", 50, 100, 75, numeric_value=10000)]) == [("in.1.numericValue", OUT)]


def test_values_with_bad_numbers_give_no_spec() -> None:
    values = [V("a", 0, 50, 25.001), V("b", 50, 100, 75)]
    specs, errors = check_values(values, "in")
    assert [(p.field, p.code) for p in errors] == [("in.0.point", INVALID)]
    assert [s.label for s in specs] == ["b"]
    assert [s.label for s in check_values([replace(values[0], range_low=0.001), values[1]],
                                          "in")[0]] == ["b"]
    assert [s.label for s in check_values([replace(values[0], range_high=50.001,
                                                   point=25), values[1]], "in")[0]] == ["b"]


def test_numbers_beyond_the_input_limits_and_off_the_axis_have_their_own_messages() -> None:
    # up to 1000 a number is read and then checked against the axis; beyond, it is refused
    assert messages([V("a", 150, 50, 25), V("b", 50, 100, 75)])[0] \
        == "must lie on the 0–100 axis"
    assert messages([V("a", 1001, 50, 25), V("b", 50, 100, 75)])[0] \
        == "must be between -1000 and 1000"
    assert messages([V("a", 0, 150, 25), V("b", 50, 100, 75)])[0] \
        == "must lie on the 0–100 axis"
    assert messages([V("a", 0, 1001, 25), V("b", 50, 100, 75)])[0] \
        == "must be between -1000 and 1000"
    assert messages([V("a", 0, 50, 150), V("b", 50, 100, 75)]) \
        == ["must lie inside the value's range 0.00–50.00"]
    assert messages([V("a", 0, 50, 1001), V("b", 50, 100, 75)]) \
        == ["must be between -1000 and 1000"]
    bad = [V("a", 0.001, 50.001, 25), V("b", 50, 100, 75)]
    assert problems(bad)[:2] == [("in.0.rangeLow", INVALID), ("in.0.rangeHigh", INVALID)]


def test_the_ends_of_the_axis_are_on_it() -> None:
    # a range may start at 100 or end at 0 (on the axis), it is then empty
    assert problems([V("a", 0, 100, 50), V("b", 100, 100, 100)]) \
        == [("in.1.rangeHigh", INVALID)]
    assert problems([V("a", 0, 0, 0), V("b", 0, 100, 50)]) == [("in.0.rangeHigh", INVALID)]
