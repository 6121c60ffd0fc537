"""The common Russian grading scales, each value placed on the 0–100 axis."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ScaleValue:
    label: str
    ordinal: int
    range_low: Decimal
    range_high: Decimal
    point: Decimal
    counts_as_pass: bool
    numeric_value: Decimal | None


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    kind: str
    values: tuple[ScaleValue, ...]

    def by_label(self) -> dict[str, ScaleValue]:
        return {v.label: v for v in self.values}


def _d(x: float | int) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


def _five_point() -> Scale:
    bands = [("1", 0, 20), ("2", 20, 50), ("3", 50, 70), ("4", 70, 85), ("5", 85, 100)]
    values = tuple(
        ScaleValue(label, n, _d(lo), _d(hi), _d((lo + hi) / 2), n >= 3, _d(int(label)))
        for n, (label, lo, hi) in enumerate(bands, start=1)
    )
    return Scale("five_point", "Пятибалльная", "numeric", values)


def _ten_point() -> Scale:
    values = tuple(
        ScaleValue(str(v), v, _d(10 * (v - 1)), _d(10 * v), _d(10 * v - 5), v >= 4, _d(v))
        for v in range(1, 11)
    )
    return Scale("ten_point", "Десятибалльная", "numeric", values)


def _hundred_point() -> Scale:
    values = tuple(
        ScaleValue(str(v), v + 1, _d(max(v - 0.5, 0)), _d(min(v + 0.5, 100)), _d(v), v >= 50,
                   _d(v))
        for v in range(0, 101)
    )
    return Scale("hundred_point", "Стобалльная", "numeric", values)


def _pass_fail() -> Scale:
    values = (
        ScaleValue("незачёт", 1, _d(0), _d(50), _d(25), False, None),
        ScaleValue("зачёт", 2, _d(50), _d(100), _d(75), True, None),
    )
    return Scale("pass_fail", "Зачёт/незачёт", "pass_fail", values)


SCALES: dict[str, Scale] = {
    s.code: s for s in (_five_point(), _ten_point(), _hundred_point(), _pass_fail())
}

# Лицей № 8: how its 10-point marks become 5-point ones (its local act pins this table).
TEN_TO_FIVE = {
    "1": "2", "2": "2", "3": "2", "4": "3", "5": "3", "6": "4", "7": "4", "8": "5", "9": "5",
    "10": "5",
}
CONVERSION_PROVENANCE = (
    "Положение о системе оценок, формах, порядке и периодичности промежуточной аттестации "
    "обучающихся, локальный акт ОО (приказ директора № 112-од от 28.08.{year}), раздел 3: "
    "перевод отметок десятибалльной шкалы в пятибалльную"
)
