"""How the demo's students are marked, and how a period grade follows from their marks.

The model (docs/demo-data.md): every student has a stable ability on the five-point scale;
every (student, subject) a small effect of its own; a mark is the student's level in the
subject (ability + effect) plus noise, rounded onto the scale. The period grade is the
school's rule of resolvers/grading/averages.py applied to those marks (storage may not import
the resolvers, so the few lines of it the seed needs are here; tests/db/test_seed_demo.py checks
every seeded period grade against the rule computed in SQL from the seeded marks).
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from db.seed.grading import Scale

# A student's ability: normal, clipped to the range a school actually sees.
ABILITY_MEAN, ABILITY_SD, ABILITY_LOW, ABILITY_HIGH = 4.15, 0.55, 2.6, 5.2
# Stronger in some subjects, weaker in others.
EFFECT_SD = 0.2
# One mark around the level: a good day, a bad day.
NOISE_SD = 0.45
# A test (контрольная работа, диктант) comes out a little lower than everyday work.
TEST_SHIFT = -0.15
# Marks a teacher makes sure a student has before a period ends (накопляемость), and over how
# many of the period's last lessons of the group the missing ones are given.
MIN_MARKS = 3
CLOSING_LESSONS = 4
# 10-point marks (Лицей № 8): a five-point level read on the 0–100 axis and back, roughly
# 3 → 6.5, 4 → 8.2, 5 → 9.8.
TEN_SLOPE, TEN_SHIFT = 1.6, 1.75

CENT = Decimal("0.01")
DEFAULT_THRESHOLD = Decimal("0.5")


def draw_ability(rng: random.Random) -> float:
    return min(ABILITY_HIGH, max(ABILITY_LOW, rng.gauss(ABILITY_MEAN, ABILITY_SD)))


def draw_effect(rng: random.Random) -> float:
    return rng.gauss(0.0, EFFECT_SD)


def mark_label(rng: random.Random, code: str, level: float) -> str:
    """One mark of a student whose level in the subject is `level` (five-point)."""
    x = level + rng.gauss(0.0, NOISE_SD)
    if code == "pass_fail":
        return "зачёт" if x >= 2.5 else "незачёт"
    if code == "ten_point":
        return str(min(10, max(2, round(TEN_SLOPE * x + TEN_SHIFT))))
    return str(min(5, max(2, round(x))))


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def period_grade(scale: Scale, total: list[float], threshold: Decimal
                 ) -> tuple[str, Decimal]:
    """The suggested grade and the average it comes from (averages.py, rules 2–4).

    `total` is [Σ weight·number, Σ weight, Σ weight·point, marks] of the counted marks, all in
    `scale` (every mark of a demo group is in the group's system). A numeric scale: the native
    average to two decimals half up, rounded up when its fraction reaches `threshold`. Without
    numbers: the value whose range holds the axis average.
    """
    weights = Decimal(repr(total[1]))
    numeric = sorted((v for v in scale.values if v.numeric_value is not None),
                     key=lambda v: v.numeric_value or 0)
    if not numeric:
        axis = cents(Decimal(repr(total[2])) / weights)
        top = scale.values[-1]
        held = next((v for v in scale.values if v.range_low <= axis < v.range_high), top)
        return (top if axis >= top.range_low else held).label, axis
    average = cents(Decimal(repr(total[0])) / weights)
    chosen = numeric[0] if average <= (numeric[0].numeric_value or 0) else numeric[-1]
    for lower, upper in pairwise(numeric):
        low, high = lower.numeric_value or Decimal(0), upper.numeric_value or Decimal(0)
        if low <= average < high:
            chosen = upper if (average - low) / (high - low) >= threshold else lower
            break
    return chosen.label, average
