"""A school's journal from 1 September to `until`: lessons, marks, attendance, period grades."""

from __future__ import annotations

import bisect
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from db.seed.calendar import Span, public_holidays, school_days
from db.seed.configuration import LOCAL, local
from db.seed.copy import Rows
from db.seed.marking import (
    CLOSING_LESSONS,
    MIN_MARKS,
    TEST_SHIFT,
    draw_effect,
    mark_label,
    period_grade,
)
from db.seed.state import Group, SchoolState, Slot, SystemRec
from db.seed.subjects import BELLS, WORK_TYPES, homework, lesson_type_of, topic

SUBSTITUTION_REASON = "болезнь учителя"
_ENDS = {n: end for n, _, end in BELLS}
_STARTS = {n: start for n, start, _ in BELLS}
_USUAL_WORK = (("Работа на уроке", 0.6), ("Домашняя работа", 0.25),
               ("Самостоятельная работа", 0.1), ("Проверочная работа", 0.05))
# Dense marking (the region-year): an oral round or a checked homework marks several students,
# a short written work marks the whole group.
_ORAL_WORK = (("Работа на уроке", 0.7), ("Домашняя работа", 0.3))
_WRITTEN_WORK = (("Самостоятельная работа", 0.65), ("Проверочная работа", 0.35))


@dataclass
class Journal:
    """What the journal stage produced, beyond the rows: for the summary and the grades."""

    lessons: int = 0
    marks: int = 0
    substitute: tuple[uuid.UUID, uuid.UUID, date] | None = None
    # (student index, group index, period index) → [Σ weight·number, Σ weight,
    # Σ weight·point, marks]: what the period grade is computed from (marking.period_grade)
    totals: dict[tuple[int, int, int], list[float]] = field(default_factory=dict)


class _Clock:
    """When something was entered: mostly on time, sometimes late, never after `until`."""

    def __init__(self, rng: random.Random, until: date) -> None:
        self.random, self.until = rng.random, until
        self._ends: dict[tuple[date, int], datetime] = {}

    def end_of(self, day: date, number: int) -> datetime:
        key = (day, number)
        if key not in self._ends:
            self._ends[key] = datetime.combine(day, _ENDS[number], LOCAL)
        return self._ends[key]

    def at(self, day: date, number: int, on_time: float, late: tuple[int, int],
           very_late: float = 0.0, very_late_days: tuple[int, int] = (7, 12),
           same_day_minutes: int = 240) -> datetime | None:
        rnd = self.random
        r = rnd()
        if r < on_time:
            return self.end_of(day, number) + timedelta(minutes=int(rnd() * same_day_minutes))
        lo, hi = very_late_days if r > 1 - very_late else late
        later = day + timedelta(days=lo + int(rnd() * (hi - lo + 1)))
        if later > self.until:
            return None
        return local(later, time(15 + int(rnd() * 7), int(rnd() * 60)))


@dataclass
class _Context:
    """Per-school lookups for the hot loop; students are small ints there, not UUIDs."""

    st: SchoolState
    rows: Rows
    journal: Journal
    clock: _Clock
    students: list[uuid.UUID]
    ability: list[float]
    dense: bool
    # (student index, subject) → the student's effect in the subject, drawn on first use
    effects: dict[tuple[int, str], float] = field(default_factory=dict)

    def level(self, i: int, subject: str) -> float:
        effect = self.effects.get((i, subject))
        if effect is None:
            effect = self.effects[(i, subject)] = draw_effect(self.st.rng)
        return self.ability[i] + effect


def build_journal(st: SchoolState, rows: Rows, *, until: date, last: date,
                  dense: bool = False) -> Journal:
    """`dense` marks as Russian teachers do at the year's scale: marks in most lessons, several
    students each, and a written work for the whole group about one lesson in five (7–8 marks
    a held lesson of grades 2–11 instead of the demo's 3)."""
    rng, school = st.rng, st.id
    rnd = rng.random
    journal = Journal()
    clock = _Clock(rng, until)
    students = list(st.ability)
    index = {s: i for i, s in enumerate(students)}
    ctx = _Context(st, rows, journal, clock, students, [st.ability[s] for s in students],
                   dense)
    public = public_holidays(st.year.starts_on.year)
    days_cache: dict[tuple[str, bool], list[date]] = {}

    def days_for(g: Group) -> list[date]:
        kind = st.grade_scheme[g.grade]
        six = st.spec.six_day_from is not None and g.grade >= st.spec.six_day_from
        if (kind, six) not in days_cache:
            off = public + st.schemes[kind].plan.holidays
            days_cache[(kind, six)] = school_days(st.year, last, off, six_day=six)
        return days_cache[(kind, six)]

    absent = _absences(st, last, index)
    substitutes = _substitutions(st, until, last, journal)
    type_ids = st.lesson_type_ids
    add_lesson = rows.tables["lessons"].append
    add_attendance = rows.tables["attendance"].append
    for gi, g in enumerate(st.groups):
        days = days_for(g)
        by_day: dict[int, list[Slot]] = {}
        for slot in sorted(g.slots, key=lambda s: s.number):
            by_day.setdefault(slot.weekday, []).append(slot)
        occurrences = [(d, s) for d in days for s in by_day.get(d.isoweekday(), ())]
        system = st.system_for(g.subject, g.grade)
        starts = [p.starts_on for p in st.schemes[st.grade_scheme[g.grade]].plan.periods]
        dated = [(index[s], a, b) for s, a, b in g.members]
        static = all(b is None and a == st.year.starts_on for _, a, b in dated)
        everyone = [i for i, _, _ in dated]
        dates = [d for d, _ in occurrences]
        marked = not st.without_marks(g.grade, g.subject)
        plan = st.schemes[st.grade_scheme[g.grade]].plan.periods
        closing = _closing(dates, starts, [p.ends_on <= last for p in plan]) if marked else []
        for n, (day, slot) in enumerate(occurrences, start=1):
            lid = st.new_id()
            held = day < until or (day == until and slot.number <= 3)
            ltype = lesson_type_of(g.subject, n)
            actual = substitutes.get((slot.teacher_id, day), slot.teacher_id)
            reason = SUBSTITUTION_REASON if actual != slot.teacher_id else None
            text = hw = due = topic_at = hw_at = att_at = None
            if held:
                topic_at = clock.at(day, slot.number, 0.86, (1, 3), very_late=0.04)
                text = topic(g.subject, n, ltype) if topic_at else None
                hw = homework(rng, g.subject) if ltype != "test" else None
                if hw:
                    hw_at = clock.at(day, slot.number, 0.93, (1, 2), same_day_minutes=60)
                    hw = hw if hw_at else None
                    k = bisect.bisect_right(dates, day)
                    due = dates[k] if k < len(dates) else None
                att_at = clock.at(day, slot.number, 0.92, (1, 3), same_day_minutes=5)
            add_lesson((school, lid, g.id, slot.id, day, slot.number,
                        "held" if held else "scheduled", type_ids[ltype], text, hw, due,
                        slot.teacher_id, actual, reason, topic_at, hw_at, att_at))
            journal.lessons += 1
            if not held:
                continue
            members = everyone if static else [
                i for i, a, b in dated if a <= day and (b is None or day <= b)]
            away = absent.get(day)
            present = members
            entered = att_at or local(day, _STARTS[slot.number])
            if away:
                gone = [i for i in members if i in away]
                if gone:
                    present = [i for i in members if i not in away]
                    for i in gone:
                        add_attendance((school, st.new_id(), lid, students[i], away[i], None,
                                        actual, entered))
            if present and rnd() < 0.12:
                i = present[int(rnd() * len(present))]
                present = [j for j in present if j != i]
                add_attendance((school, st.new_id(), lid, students[i], "absent", None, actual,
                                entered))
            if present and rnd() < 0.05:
                i = present[int(rnd() * len(present))]
                add_attendance((school, st.new_id(), lid, students[i], "late",
                                3 + int(rnd() * 18), actual, entered))
            if not marked:
                continue  # taught without marks (безотметочное обучение): grade 1
            period = bisect.bisect_right(starts, day) - 1
            done = _marks(ctx, g, gi, system, lid, day, slot.number, ltype, present, actual,
                          period)
            if closing[n - 1]:
                _top_up(ctx, g, gi, system, lid, day, slot.number, present, actual, period,
                        done)
    return journal


def _closing(dates: list[date], starts: list[date], complete: list[bool]) -> list[bool]:
    """For each lesson: is it one of the last CLOSING_LESSONS of its period in the group?
    Only in periods whose every lesson is generated (`complete`): the journal stops at `last`,
    and the last lessons generated of a period still under way are not its closing ones."""
    periods = [bisect.bisect_right(starts, d) - 1 for d in dates]
    flags, left, current = [False] * len(dates), 0, None
    for k in range(len(dates) - 1, -1, -1):
        if periods[k] != current:
            current, left = periods[k], 0
        flags[k] = complete[periods[k]] and left < CLOSING_LESSONS
        left += 1
    return flags


_TEST_WORK = {"Русский язык": "Диктант", "Литература": "Сочинение"}
WEIGHTS = {name: float(weight) for name, weight in WORK_TYPES}  # as the school's work types


def _marks(ctx: _Context, g: Group, gi: int, system: SystemRec, lid: uuid.UUID, day: date,
           number: int, ltype: str, present: list[int], teacher: uuid.UUID,
           period: int) -> list[int]:
    """Marks of one held lesson; returns the students marked."""
    st = ctx.st
    rng = st.rng
    rnd = rng.random
    if ltype == "test":
        work = _TEST_WORK.get(g.subject, "Контрольная работа")
        chosen = [i for i in present if rnd() < 0.95]
    elif ltype in ("lab", "practical"):
        work = "Лабораторная работа" if ltype == "lab" else "Практическая работа"
        share = 0.75 if ctx.dense else 0.4
        chosen = [i for i in present if rnd() < share]
    elif ctx.dense:
        r = rnd()
        if not present or r >= 0.9:
            return []
        if r < 0.2:
            work = _pick(rng, _WRITTEN_WORK)
            chosen = [i for i in present if rnd() < 0.9]
        else:
            work = _pick(rng, _ORAL_WORK)
            chosen = rng.sample(present, min(len(present), 2 + int(rnd() * 6)))
    elif present and rnd() < 0.6:
        work = _pick(rng, _USUAL_WORK)
        chosen = rng.sample(present, min(len(present), 1 + int(rnd() * 4)))
    else:
        return []
    shift = TEST_SHIFT if ltype == "test" else 0.0
    _write_marks(ctx, g, gi, system, lid, day, number, work, chosen, teacher, period, shift)
    return chosen


def _top_up(ctx: _Context, g: Group, gi: int, system: SystemRec, lid: uuid.UUID, day: date,
            number: int, present: list[int], teacher: uuid.UUID, period: int,
            done: list[int]) -> None:
    """Near a period's end the teacher marks the present students who have fewer than
    MIN_MARKS marks of the period, so that each can be graded (накопляемость)."""
    totals = ctx.journal.totals
    marked = set(done)
    short = [i for i in present if i not in marked
             and (totals.get((i, gi, period)) or (0, 0, 0, 0))[3] < MIN_MARKS]
    if short:
        _write_marks(ctx, g, gi, system, lid, day, number, "Работа на уроке", short, teacher,
                     period, 0.0)


def _write_marks(ctx: _Context, g: Group, gi: int, system: SystemRec, lid: uuid.UUID,
                 day: date, number: int, work: str, chosen: list[int], teacher: uuid.UUID,
                 period: int, shift: float) -> None:
    st = ctx.st
    rng = st.rng
    weight = WEIGHTS[work]
    work_id = st.work_type_ids[work]
    code = system.scale.code
    values, value_ids = system.labels, system.value_ids
    add_mark = ctx.rows.tables["marks"].append
    totals, clock, school, group = ctx.journal.totals, ctx.clock, st.id, g.id
    late_fallback = None
    subject = g.subject
    for i in chosen:
        label = mark_label(rng, code, ctx.level(i, subject) + shift)
        entered = clock.at(day, number, 0.75, (1, 6), very_late=0.06, very_late_days=(8, 14),
                           same_day_minutes=420)
        if entered is None:
            late_fallback = late_fallback or local(clock.until, time(20, 0))
            entered = late_fallback
        add_mark((school, st.new_id(), group, lid, ctx.students[i], day, work_id,
                  value_ids[label], teacher, entered))
        total = totals.get((i, gi, period))
        if total is None:
            total = totals[(i, gi, period)] = [0.0, 0.0, 0.0, 0]
        value = values[label]
        if value.numeric_value is not None:
            total[0] += weight * float(value.numeric_value)
        total[1] += weight
        total[2] += weight * float(value.point)
        total[3] += 1
    ctx.journal.marks += len(chosen)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    for name, share in weighted:
        r -= share
        if r < 0:
            return name
    return weighted[-1][0]


def _absences(st: SchoolState, last: date, index: dict[uuid.UUID, int]
               ) -> dict[date, dict[int, str]]:
    """Illness and family reasons: runs of whole days away, about 3% of school days."""
    days = school_days(st.year, last, (), six_day=True)
    rnd = st.rng.random
    away: dict[date, dict[int, str]] = {}
    for sid in st.ability:
        student, i = index[sid], 0
        while i < len(days):
            if rnd() < 0.007:
                kind = "ill" if rnd() < 0.75 else "excused"
                length = 2 + int(rnd() * 5)
                for d in days[i:i + length]:
                    away.setdefault(d, {})[student] = kind
                i += length
            i += 1
    return away


def _substitutions(st: SchoolState, until: date, last: date,
                   journal: Journal) -> dict[tuple[uuid.UUID, date], uuid.UUID]:
    """One specialist falls ill for three school days shortly before `until`; a colleague covers."""
    days = [d for d in school_days(st.year, last, (), six_day=False) if d < until]
    specialists = [t for t in st.teachers if t.family not in ("primary",)]
    if not days or len(specialists) < 2:
        return {}
    ill = max(specialists, key=lambda t: (t.load, t.id))
    others = [t for t in specialists if t.id != ill.id]
    same = [t for t in others if t.family == ill.family]
    cover = min(same or others, key=lambda t: (t.load, t.id))
    start = max(0, len(days) - st.rng.randint(5, 15))
    sick = days[start:start + 3]
    journal.substitute = (ill.id, cover.id, sick[0])
    return {(ill.id, d): cover.id for d in sick}


def add_grades(st: SchoolState, rows: Rows, journal: Journal, until: date) -> int:
    """Period grades for every period that ended before `until`, with the special states.

    A graded period grade is the school's rule applied to the student's marks of the period
    in the group (marking.period_grade); a student without a mark of the period is not
    attested (н/а). Cross-class groups (electives) and subjects taught without marks get no
    period grades.
    """
    count = 0
    specials = ["exempt", "deferred", "not_attested"] if st.spec.prefix else []
    index = {s: i for i, s in enumerate(st.ability)}
    for gi, g in enumerate(st.groups):
        if g.kind == "cross_class" or st.without_marks(g.grade, g.subject):
            continue
        scheme = st.schemes[st.grade_scheme[g.grade]]
        system = st.system_for(g.subject, g.grade)
        for number, (period, pid) in enumerate(zip(scheme.plan.periods, scheme.period_ids,
                                                  strict=True)):
            if period.ends_on >= until:
                continue
            set_at = local(period.ends_on, time(16, 0))
            for s in g.members_on(period.ends_on):
                state, comment, reason, deferred = "graded", None, None, None
                if specials and _special_fits(specials[0], g):
                    state = specials.pop(0)
                    comment, reason, deferred = _special(state, period)
                total = journal.totals.get((index[s], gi, number))
                suggested = average = None
                if total:
                    suggested, average = period_grade(system.scale, total,
                                                      st.rounding_threshold)
                elif state == "graded":
                    state, comment = "not_attested", _NO_MARKS
                value = suggested if state == "graded" else None
                rows.add("grades", st.id, st.new_id(), st.year_id, s,
                         st.subject_ids[g.subject], "period", pid, g.id, state,
                         system.value_ids[value] if value else None,
                         system.value_ids[suggested] if suggested else None, average, reason,
                         deferred, comment, g.teacher_id, set_at)
                count += 1
    return count


_NO_MARKS = "нет отметок за период"


def _special_fits(state: str, g: Group) -> bool:
    if state == "exempt":
        return g.subject == "Физическая культура" and g.grade >= 5
    return g.grade >= 5 and g.subject in ("Алгебра", "Математика", "История")


def _special(state: str, period: Span) -> tuple[str | None, str | None, date | None]:
    if state == "exempt":
        return "освобождён от занятий физической культурой по медицинским показаниям", None, None
    if state == "deferred":
        return None, "болезнь (медицинская справка)", period.ends_on + timedelta(days=14)
    return "пропущено более половины учебного времени без уважительной причины", None, None
