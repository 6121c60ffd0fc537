"""The rules of a grading system's values, checked before anything is written.

Values come lowest first and must cover the 0–100 axis exactly: ranges are half-open
[low, high) except the top one, the first starts at 0, each starts where the previous ended,
the last ends at 100. Passing is monotonic and numeric values increase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from resolvers.school_config import clean_text, to_decimal
from tenants.errors import ErrorCode, Problem

AXIS_MIN = Decimal(0)
AXIS_MAX = Decimal(100)
NUMERIC_LIMIT = 9999


@dataclass(frozen=True)
class ValueInput:
    """A value as the client gave it, unchecked (axis and numbers are client Floats)."""

    label: str
    range_low: float
    range_high: float
    point: float
    counts_as_pass: bool
    numeric_value: float | None = None


@dataclass(frozen=True)
class ValueSpec:
    """A checked value, in the database's types."""

    label: str
    range_low: Decimal
    range_high: Decimal
    point: Decimal
    counts_as_pass: bool
    numeric_value: Decimal | None


def check_values(values: Sequence[ValueInput], path: str
                 ) -> tuple[list[ValueSpec], list[Problem]]:
    """The values as specs, or every rule they break (each on its own field path)."""
    errors: list[Problem] = []
    if len(values) < 2:
        errors.append(Problem(field=path, code=ErrorCode.INVALID,
                                message="a grading system needs at least 2 values"))
    specs: list[ValueSpec] = []
    labels: set[str] = set()
    prev_high: Decimal | None = None
    prev_pass = False
    prev_numeric: Decimal | None = None
    last = len(values) - 1
    for i, v in enumerate(values):
        p = f"{path}.{i}"
        label = clean_text(v.label, f"{p}.label", errors, max_length=32)
        if label and label.casefold() in labels:
            errors.append(Problem(field=f"{p}.label", code=ErrorCode.DUPLICATE,
                                    message=f"the label «{label}» is already used by a lower "
                                            "value"))
        labels.add(label.casefold())
        low = to_decimal(v.range_low, f"{p}.rangeLow", errors, limit=1000)
        high = to_decimal(v.range_high, f"{p}.rangeHigh", errors, limit=1000)
        point = to_decimal(v.point, f"{p}.point", errors, limit=1000)
        numeric = (None if v.numeric_value is None else
                   to_decimal(v.numeric_value, f"{p}.numericValue", errors,
                              limit=NUMERIC_LIMIT))
        if low is not None and not AXIS_MIN <= low <= AXIS_MAX:
            errors.append(_out(f"{p}.rangeLow", "must lie on the 0–100 axis"))
            low = None
        if high is not None and not AXIS_MIN <= high <= AXIS_MAX:
            errors.append(_out(f"{p}.rangeHigh", "must lie on the 0–100 axis"))
            high = None
        if low is not None and high is not None and low >= high:
            errors.append(Problem(field=f"{p}.rangeHigh", code=ErrorCode.INVALID,
                                    message=f"must be greater than rangeLow ({low})"))
        elif low is not None and high is not None and point is not None \
                and not low <= point <= high:
            errors.append(_out(f"{p}.point", f"must lie inside the value's range "
                                             f"{low}–{high}"))
        if i == 0 and low is not None and low != AXIS_MIN:
            errors.append(Problem(field=f"{p}.rangeLow", code=ErrorCode.INVALID,
                                    message="the lowest value must start at 0"))
        if i > 0 and low is not None and prev_high is not None:
            if low > prev_high:
                errors.append(Problem(
                    field=f"{p}.rangeLow", code=ErrorCode.INVALID,
                    message=f"leaves a gap: starts at {low} but the previous value ends at "
                            f"{prev_high}"))
            elif low < prev_high:
                errors.append(Problem(
                    field=f"{p}.rangeLow", code=ErrorCode.OVERLAP,
                    message=f"overlaps the previous value, which ends at {prev_high}"))
        if i == last and high is not None and high != AXIS_MAX:
            errors.append(Problem(field=f"{p}.rangeHigh", code=ErrorCode.INVALID,
                                    message="the highest value must end at 100"))
        if prev_pass and not v.counts_as_pass:
            errors.append(Problem(field=f"{p}.countsAsPass", code=ErrorCode.INVALID,
                                    message="a value above a passing value must pass too"))
        if numeric is not None and prev_numeric is not None and numeric <= prev_numeric:
            errors.append(Problem(field=f"{p}.numericValue", code=ErrorCode.INVALID,
                                    message=f"must be greater than the lower value's "
                                            f"{prev_numeric}"))
        prev_high = high
        prev_pass = prev_pass or v.counts_as_pass
        prev_numeric = numeric if numeric is not None else prev_numeric
        if low is not None and high is not None and point is not None:
            specs.append(ValueSpec(label, low, high, point, v.counts_as_pass, numeric))
    return specs, errors


def _out(field: str, message: str) -> Problem:
    return Problem(field=field, code=ErrorCode.OUT_OF_RANGE, message=message)
