"""Grading scales as the seeder reads them (templates come from migration 0002), and the
10-point → 5-point conversion one school pins."""

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
