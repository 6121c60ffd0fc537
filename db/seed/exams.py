"""The exam kinds every demo school holds (промежуточная и государственная итоговая
аттестация), so that `make demo` shows them; no results: the demo year is in progress.

- ОГЭ (grade 9, state, five-point grades, counts in the final grade, no test score kept);
- ЕГЭ (grade 11, state, a test score out of 100, does not count in the final grade: its
  score does not change the attestat's grade), where the school teaches grade 11;
- переводной экзамен (grades 5–8 and 10, intermediate, five-point, counts).

A kind is seeded only when the school teaches one of its grade levels. The ids come from a
stream of their own, so adding them shifts no other row's id.
"""

from __future__ import annotations

import random

from db.seed.copy import Rows
from db.seed.ids import new_id
from db.seed.state import SchoolState

# name, short name, level, maximum test score, grade levels, counts in the final grade
EXAM_KINDS: tuple[tuple[str, str, str, int | None, tuple[int, ...], bool], ...] = (
    ("Основной государственный экзамен", "ОГЭ", "state", None, (9,), True),
    ("Единый государственный экзамен", "ЕГЭ", "state", 100, (11,), False),
    ("Переводной экзамен", "Перев.", "intermediate", None, (5, 6, 7, 8, 10), True),
)


def add_exam_kinds(st: SchoolState, rows: Rows, ids: random.Random) -> None:
    """The school's exam kinds, in its five-point system, for the grade levels it teaches."""
    five = st.systems["five_point"].id
    for name, short, level, max_score, levels, counts in EXAM_KINDS:
        held = [g for g in levels if g in st.spec.grades]
        if held:
            rows.add("exam_kinds", st.id, new_id(ids), name, short, level, five, max_score,
                     held, counts)
