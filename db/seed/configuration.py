"""A school's configuration rows: its year, period schemes, scales, subjects, types and bells."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from db.seed.calendar import SCHEME_NAMES, public_holidays, scheme_plan
from db.seed.copy import Rows
from db.seed.grading import CONVERSION_PROVENANCE, TEN_TO_FIVE, Scale
from db.seed.state import SchemeRec, SchoolState, SystemRec
from db.seed.subjects import BELLS, LESSON_TYPES, SUBJECTS, WORK_TYPES

# The pilot schools keep Yakutsk time (UTC+9 since 2014); a fixed offset keeps seeding
# independent of the tz database installed on the machine.
LOCAL = timezone(timedelta(hours=9), "Asia/Yakutsk")


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LOCAL)


def add_configuration(st: SchoolState, rows: Rows, until: date, scales: dict[str, Scale]) -> None:
    school, year = st.id, st.year
    rows.add("academic_years", school, st.year_id, year.name, year.starts_on, year.ends_on,
             "open")
    _add_calendar(st, rows, until)
    for name, short in SUBJECTS.items():
        st.subject_ids[name] = st.new_id()
        rows.add("subjects", school, st.subject_ids[name], name, short)
    if 1 in st.spec.grades:  # безотметочное обучение in the first grade
        st.unmarked.add((1, None))
        rows.add("teaching_without_marks", school, st.new_id(), 1, None)
    if st.spec.rounding_threshold is not None:
        st.rounding_threshold = st.spec.rounding_threshold
        rows.add("school_settings", school, st.new_id(), st.rounding_threshold)
    for name, weight in WORK_TYPES:
        st.work_type_ids[name] = st.new_id()
        rows.add("work_types", school, st.work_type_ids[name], name, Decimal(weight))
    for code, name in LESSON_TYPES:
        st.lesson_type_ids[code] = st.new_id()
        rows.add("lesson_types", school, st.lesson_type_ids[code], code, name)
    for number, starts, ends in BELLS:
        rows.add("bells", school, st.new_id(), number, starts, ends)
    _add_grading(st, rows, scales)


def _add_calendar(st: SchoolState, rows: Rows, until: date) -> None:
    school, year_no = st.id, st.year.starts_on.year
    for kind, grades in st.spec.schemes.items():
        plan = scheme_plan(kind, year_no)
        rec = SchemeRec(st.new_id(), plan, [])
        st.schemes[kind] = rec
        rows.add("period_schemes", school, rec.id, st.year_id, SCHEME_NAMES[kind], kind)
        for ordinal, period in enumerate(plan.periods, start=1):
            pid = st.new_id()
            rec.period_ids.append(pid)
            closed = (local(period.ends_on + timedelta(days=7), time(18, 0))
                      if period.ends_on + timedelta(days=7) < until else None)
            rows.add("periods", school, pid, rec.id, ordinal, period.name, period.starts_on,
                     period.ends_on, closed)
        for holiday in plan.holidays:
            rows.add("holidays", school, st.new_id(), st.year_id, rec.id, holiday.name,
                     holiday.starts_on, holiday.ends_on)
        for grade in grades:
            if grade in st.spec.grades:
                st.grade_scheme[grade] = kind
                rows.add("grade_level_schemes", school, st.new_id(), st.year_id, grade, rec.id)
    for holiday in public_holidays(year_no):
        rows.add("holidays", school, st.new_id(), st.year_id, None, holiday.name,
                 holiday.starts_on, holiday.ends_on)


def _add_grading(st: SchoolState, rows: Rows, scales: dict[str, Scale]) -> None:
    school = st.id
    codes = ["five_point"]
    if st.spec.ten_point:
        codes.append("ten_point")
    if st.spec.pass_fail:
        codes.append("pass_fail")
    for code in codes:
        scale = scales[code]
        rec = SystemRec(st.new_id(), scale, {})
        st.systems[code] = rec
        rows.add("grading_systems", school, rec.id, scale.name, scale.kind, code)
        for v in scale.values:
            rec.value_ids[v.label] = st.new_id()
            rows.add("mark_values", school, rec.value_ids[v.label], rec.id, v.label, v.ordinal,
                     v.range_low, v.range_high, v.point, v.counts_as_pass, v.numeric_value)
    year = st.year_id
    rows.add("grading_system_uses", school, st.new_id(), year, None, None,
             st.systems["five_point"].id)
    for grade in st.spec.ten_point:
        rows.add("grading_system_uses", school, st.new_id(), year, None, grade,
                 st.systems["ten_point"].id)
    for subject in st.spec.pass_fail:
        rows.add("grading_system_uses", school, st.new_id(), year, st.subject_ids[subject],
                 None, st.systems["pass_fail"].id)
    if st.spec.ten_point:
        ten, five = st.systems["ten_point"], st.systems["five_point"]
        table = st.new_id()
        rows.add("conversion_tables", school, table, ten.id, five.id,
                 CONVERSION_PROVENANCE.format(year=st.year.starts_on.year),
                 st.year.starts_on, None)
        for src, dst in TEN_TO_FIVE.items():
            rows.add("conversion_rows", school, st.new_id(), table, ten.value_ids[src],
                     five.value_ids[dst])
