"""A weekly timetable per school: a greedy fill that keeps classes and teachers from clashing."""

from __future__ import annotations

import uuid
from decimal import Decimal

from db.seed.calendar import public_holidays, school_days
from db.seed.copy import Rows
from db.seed.state import Group, Klass, SchoolState, Slot
from db.seed.subjects import MAX_PER_DAY, type_shares

ELECTIVE_SLOT = (4, 7)  # Thursday, 7th lesson: after every senior class's regular lessons


class _Grid:
    def __init__(self) -> None:
        self.klass: dict[uuid.UUID, set[tuple[int, int]]] = {}
        self.teacher: dict[uuid.UUID, set[tuple[int, int]]] = {}

    def free(self, classes: list[Klass], teachers: list[uuid.UUID], at: tuple[int, int],
             *, strict: bool) -> bool:
        if any(at in self.klass.setdefault(k.id, set()) for k in classes):
            return False
        return not strict or not any(at in self.teacher.setdefault(t, set()) for t in teachers)

    def take(self, classes: list[Klass], teachers: list[uuid.UUID], at: tuple[int, int]) -> None:
        for k in classes:
            self.klass.setdefault(k.id, set()).add(at)
        for t in teachers:
            self.teacher.setdefault(t, set()).add(at)


def build_timetable(st: SchoolState) -> None:
    grid = _Grid()
    rooms = {t.id: t.room for t in st.teachers}

    def place(groups: list[Group], at: tuple[int, int]) -> None:
        teachers = [g.teacher_id for g in groups if g.teacher_id]
        grid.take(groups[0].classes, teachers, at)
        for g in groups:
            assert g.teacher_id is not None
            g.slots.append(Slot(st.new_id(), at[0], at[1], g.teacher_id, rooms[g.teacher_id]))

    for g in st.groups:
        if g.kind == "cross_class":
            place([g], ELECTIVE_SLOT)
    for klass in st.classes:
        six = st.spec.six_day_from is not None and klass.grade >= st.spec.six_day_from
        days = list(range(1, 7 if six else 6))
        top = MAX_PER_DAY.get(klass.grade, 7)
        units: dict[uuid.UUID | str, list[Group]] = {}
        for g in st.groups:
            if g.classes[0] is klass and g.kind != "cross_class":
                units.setdefault(g.split_id or g.subject, []).append(g)
        per_day: dict[tuple[str, int], int] = {}
        for groups in sorted(units.values(), key=lambda gs: -gs[0].hours):
            subject = groups[0].subject
            teachers = [g.teacher_id for g in groups if g.teacher_id]
            for _ in range(groups[0].hours):
                order = sorted(days, key=lambda d: (
                    per_day.get((subject, d), 0),
                    len([a for a in grid.klass.get(klass.id, ()) if a[0] == d]),
                    st.rng.random(),
                ))
                at = _first_free(grid, klass, teachers, order, top)
                if at is None:
                    continue  # a full week: the class simply has one lesson fewer
                place(groups, at)
                per_day[(subject, at[0])] = per_day.get((subject, at[0]), 0) + 1


def _first_free(grid: _Grid, klass: Klass, teachers: list[uuid.UUID], days: list[int],
                top: int) -> tuple[int, int] | None:
    for strict, limit in ((True, top), (True, 7), (False, 7)):
        for day in days:
            for number in range(1, limit + 1):
                if grid.free([klass], teachers, (day, number), strict=strict):
                    return (day, number)
    return None


def add_timetable_rows(st: SchoolState, rows: Rows) -> None:
    for g in st.groups:
        for s in g.slots:
            rows.add("timetable_slots", st.id, s.id, g.id, s.teacher_id, s.weekday, s.number,
                     s.room, st.year.starts_on, None)


def add_curriculum_rows(st: SchoolState, rows: Rows) -> None:
    """Planned hours per group, period and lesson type: weekly hours × the period's weeks."""
    public = public_holidays(st.year.starts_on.year)
    weeks: dict[str, list[float]] = {}
    for kind, scheme in st.schemes.items():
        days = school_days(st.year, st.year.ends_on, public + scheme.plan.holidays,
                           six_day=False)
        weeks[kind] = [sum(1 for d in days if d in p) / 5 for p in scheme.plan.periods]
    for g in st.groups:
        kind = st.grade_scheme[g.grade]
        for period_id, n in zip(st.schemes[kind].period_ids, weeks[kind], strict=True):
            for code, share in type_shares(g.subject).items():
                hours = Decimal(round(g.hours * n * share, 1)).quantize(Decimal("0.1"))
                rows.add("curriculum_lines", st.id, st.new_id(), g.id, period_id,
                         st.lesson_type_ids[code], hours)
