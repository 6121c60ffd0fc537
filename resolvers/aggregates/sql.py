"""The SQL of the aggregates: one statement per section, grouped in PostgreSQL.

Every statement starts from the same scope: the study groups of the asked schools (subject
name and grade level filtered), each with its row key. The key columns are NULL for the
dimensions not grouped by (parameters `by_*`), so one fixed text serves every grouping and no
input is ever spliced into SQL. Figures are counts and sums, so rows can be added up;
Python applies the suppression rule.

Grouped by period (one school only), a group's row splits into one per period of its scheme
(by the group's grade level) that overlaps the range, each covering the dates of the range
inside that period (`d_from`, `d_to`): a school with quarters in some grades and trimesters in
others gets rows for both schemes' periods.

A group's grade level is its class's, or for a cross-class group the youngest class of its
members (as the journal's grading rule). Dates are the school's: entry times are compared with
the lesson or work day in the school's time zone.

The five-point bands and numbers come from the `five_point` grading template (migration
0002): «2» [0, 50), «3» [50, 70), «4» [70, 85), «5» [85, 100] on the 0–100 axis, points 25,
60, 77.5 and 92.5. A mark of any scale is placed by its value's point.
"""

from __future__ import annotations

from sqlalchemy import text

from resolvers.grading.uses import group_grade_level, system_in_force
from resolvers.grading.without_marks import without_marks_sql

# A school without settings suppresses figures of fewer students than this.
DEFAULT_MIN_SIZE = 5

SCOPE = f"""
WITH sc AS MATERIALIZED (
  SELECT g.school_id, g.id AS group_id, g.name AS group_name, g.subject_id,
         g.academic_year_id, s.municipality_id, s.timezone, sub.name AS subject_name,
         {group_grade_level("g")} AS grade_level,
         coalesce(st.min_group_size, {DEFAULT_MIN_SIZE}) AS min_size,
         coalesce(st.mark_deadline_days, 7) AS deadline_days
  FROM study_groups g
  JOIN schools s ON s.id = g.school_id
  JOIN academic_years y ON y.school_id = g.school_id AND y.id = g.academic_year_id
   AND y.starts_on <= :date_to AND y.ends_on >= :date_from
  JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
  LEFT JOIN school_settings st ON st.school_id = g.school_id
  WHERE g.school_id = ANY (CAST(:school_ids AS uuid[]))
    AND (CAST(:subject_name AS text) IS NULL OR sub.name = CAST(:subject_name AS text))
),
-- a row per group, or per group and period of its scheme when grouped by period; d_from and
-- d_to are the dates the row's figures cover (the range, or its part inside the period). The
-- facts are filtered by the range as well, so the planner can still narrow them by it.
scope AS MATERIALIZED (
  SELECT sc.*,
         CASE WHEN :by_school THEN sc.school_id END AS k_school,
         CASE WHEN :by_school OR :by_municipality THEN sc.municipality_id END AS k_muni,
         CASE WHEN :by_grade_level THEN sc.grade_level END AS k_level,
         CASE WHEN :by_subject THEN sc.subject_name END AS k_subject,
         pp.id AS k_period,
         coalesce(pp.d_from, CAST(:date_from AS date)) AS d_from,
         coalesce(pp.d_to, CAST(:date_to AS date)) AS d_to
  FROM sc
  LEFT JOIN LATERAL (
    SELECT p.id, greatest(p.starts_on, CAST(:date_from AS date)) AS d_from,
           least(p.ends_on, CAST(:date_to AS date)) AS d_to
    FROM grade_level_schemes gls
    JOIN periods p ON p.school_id = gls.school_id AND p.scheme_id = gls.scheme_id
     AND p.starts_on <= :date_to AND p.ends_on >= :date_from
    WHERE :by_period AND gls.school_id = sc.school_id
      AND gls.academic_year_id = sc.academic_year_id AND gls.grade_level = sc.grade_level
  ) pp ON true
  WHERE (CAST(:grade_levels AS int[]) IS NULL
         OR sc.grade_level = ANY (CAST(:grade_levels AS int[])))
    AND (NOT :by_period OR pp.id IS NOT NULL)
),
held AS MATERIALIZED (
  SELECT sc.k_school, sc.k_muni, sc.k_level, sc.k_subject, sc.k_period, sc.school_id,
         sc.group_id, l.id AS lesson_id, l.date, l.lesson_type_id,
         (l.topic_entered_at IS NOT NULL
          AND (l.topic_entered_at AT TIME ZONE sc.timezone)::date <= l.date) AS topic_on_time,
         (l.attendance_entered_at IS NOT NULL
          AND (l.attendance_entered_at AT TIME ZONE sc.timezone)::date <= l.date)
           AS attendance_on_time,
         (nullif(btrim(l.homework), '') IS NOT NULL
          OR jsonb_array_length(l.homework_links) > 0) AS has_homework,
         (l.homework_entered_at IS NOT NULL
          AND (l.homework_entered_at AT TIME ZONE sc.timezone)::date <= l.date)
           AS homework_on_time
  FROM scope sc
  JOIN lessons l ON l.school_id = sc.school_id AND l.group_id = sc.group_id
   AND l.date BETWEEN :date_from AND :date_to AND l.status = 'held'
   AND l.date BETWEEN sc.d_from AND sc.d_to
)
"""

KEY = "k_school, k_muni, k_level, k_subject, k_period"

# The asked schools with their municipality and threshold, whether they have rows or not (the
# monthly report lists every school of its reach, even in a month without lessons).
SCHOOLS = text(f"""
SELECT s.id AS school_id, s.name AS school_name, s.municipality_id,
       m.name AS municipality_name, coalesce(st.min_group_size, {DEFAULT_MIN_SIZE}) AS min_size
FROM schools s
JOIN municipalities m ON m.id = s.municipality_id
LEFT JOIN school_settings st ON st.school_id = s.id
WHERE s.id = ANY (CAST(:school_ids AS uuid[]))
ORDER BY m.name, s.name, s.id
""")


def _key(alias: str) -> str:
    return ", ".join(f"{alias}.{k}" for k in KEY.split(", "))


def _same_key(a: str, b: str) -> str:
    """Two rows of the same key (NULL in a dimension not grouped by equals NULL)."""
    return " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in KEY.split(", "))


# The rows: every key with a group that had members in the range, with the figures the
# suppression rule needs (how many schools, the school's own threshold), and the period's
# name and dates when grouped by period.
ROWS = text(SCOPE + f"""
, k AS (
  SELECT {KEY}, count(DISTINCT sc.school_id) AS schools, min(sc.min_size) AS min_size
  FROM scope sc
  WHERE EXISTS (SELECT 1 FROM group_memberships gm
                 WHERE gm.school_id = sc.school_id AND gm.group_id = sc.group_id
                   AND gm.starts_on <= sc.d_to
                   AND (gm.ends_on IS NULL OR gm.ends_on >= sc.d_from))
  GROUP BY {KEY}
)
SELECT k.*, s.name AS school_name, m.name AS municipality_name, p.name AS period_name,
       p.starts_on AS period_starts_on, p.ends_on AS period_ends_on
FROM k
LEFT JOIN schools s ON s.id = k.k_school
LEFT JOIN municipalities m ON m.id = k.k_muni
LEFT JOIN periods p ON p.school_id = ANY (CAST(:school_ids AS uuid[])) AND p.id = k.k_period
ORDER BY m.name NULLS FIRST, s.name NULLS FIRST, p.starts_on NULLS FIRST, p.ends_on,
         p.name, k.k_level NULLS FIRST, k.k_subject NULLS FIRST
""")

# Sums, not averages, so rows can be added up (the monthly report's subtotals).
MARKS = text(SCOPE + f"""
, five AS (
  SELECT tv.label, tv.ordinal, tv.point, tv.numeric_value AS n, tv.range_low, tv.range_high,
         lead(tv.point) OVER (ORDER BY tv.ordinal) AS next_point,
         lead(tv.numeric_value) OVER (ORDER BY tv.ordinal) AS next_n
  FROM grading_template_values tv
  JOIN grading_templates t ON t.id = tv.template_id AND t.code = 'five_point'
),
vals AS MATERIALIZED (
  -- each value of the schools' scales once: its band and its number on the five-point scale
  SELECT v.school_id, v.id, v.point, v.counts_as_pass, gs.kind <> 'pass_fail' AS graded,
         (SELECT f.n FROM five f
           WHERE v.point >= f.range_low AND (v.point < f.range_high OR f.range_high = 100)
           ORDER BY f.ordinal DESC LIMIT 1) AS band,
         (SELECT CASE WHEN f.next_point IS NULL OR v.point <= f.point THEN f.n
                      ELSE f.n + (f.next_n - f.n) * (v.point - f.point)
                                 / (f.next_point - f.point) END
            FROM five f WHERE f.point <= v.point OR f.ordinal = 1
           ORDER BY f.point DESC LIMIT 1) AS five_n
  FROM mark_values v
  JOIN grading_systems gs ON gs.school_id = v.school_id AND gs.id = v.system_id
  WHERE v.school_id = ANY (CAST(:school_ids AS uuid[]))
),
m AS (
  SELECT {_key("sc")}, mk.student_id, vals.*
  FROM scope sc
  JOIN marks mk ON mk.school_id = sc.school_id AND mk.group_id = sc.group_id
   AND mk.work_date BETWEEN :date_from AND :date_to
   AND mk.work_date BETWEEN sc.d_from AND sc.d_to AND NOT mk.excluded_from_average
  JOIN vals ON vals.school_id = mk.school_id AND vals.id = mk.value_id
),
figures AS (
  SELECT {KEY}, count(DISTINCT student_id) AS students, count(*) AS marks,
         count(*) FILTER (WHERE graded) AS graded,
         count(*) FILTER (WHERE graded AND band = 2) AS band2,
         count(*) FILTER (WHERE graded AND band = 3) AS band3,
         count(*) FILTER (WHERE graded AND band = 4) AS band4,
         count(*) FILTER (WHERE graded AND band = 5) AS band5,
         coalesce(sum(point) FILTER (WHERE graded), 0) AS sum_point,
         coalesce(sum(five_n) FILTER (WHERE graded), 0) AS sum_five
  FROM m GROUP BY {KEY}
)
SELECT * FROM figures
""")

# Student-lessons: each member of a group on the day of each held lesson; an absence is an
# attendance row of kind absent, ill or excused (late is present).
# A student's memberships of one group never overlap (roster_enrollment refuses it), so each
# (held lesson, member) pair appears once without a DISTINCT over every student-lesson; the
# few attendance rows (absences and lateness only) are counted apart and joined by key.
# Officers have no privilege on attendance.kind: zhurnal_attendance_counts (migration 0011)
# counts the kinds of each lesson's members and returns counts only.
ATTENDANCE = text(SCOPE + f"""
, hw AS MATERIALIZED (
  SELECT h.*, row_number() OVER w AS nth, count(*) OVER w AS lessons,
         min(h.date) OVER w AS first_date, max(h.date) OVER w AS last_date
  FROM held h
  WINDOW w AS (PARTITION BY {_key("h")}, h.school_id, h.group_id)
),
-- a membership spanning all of a row's held dates of its group has all their lessons (counted
-- once, on the first); only the others are matched lesson by lesson: most members stay the
-- whole range, so far fewer rows to sort than a row per student-lesson
sl AS (
  SELECT {KEY}, student_id, sum(lessons) AS lessons
  FROM (
    SELECT {_key("h")}, gm.student_id, h.lessons
    FROM hw h
    JOIN group_memberships gm ON gm.school_id = h.school_id AND gm.group_id = h.group_id
     AND gm.starts_on <= h.first_date AND (gm.ends_on IS NULL OR gm.ends_on >= h.last_date)
    WHERE h.nth = 1
    UNION ALL
    SELECT {_key("h")}, gm.student_id, 1
    FROM hw h
    JOIN group_memberships gm ON gm.school_id = h.school_id AND gm.group_id = h.group_id
     AND gm.starts_on <= h.date AND (gm.ends_on IS NULL OR gm.ends_on >= h.date)
    WHERE NOT (gm.starts_on <= h.first_date
               AND (gm.ends_on IS NULL OR gm.ends_on >= h.last_date))
  ) pairs
  GROUP BY {KEY}, student_id
),
st AS (
  SELECT {KEY}, count(*) AS students, sum(lessons) AS student_lessons
  FROM sl GROUP BY {KEY}
),
ab AS (
  SELECT {_key("h")},
         CAST(sum(c.absent + c.ill + c.excused) AS bigint) AS absent_lessons,
         CAST(sum(c.absent) AS bigint) AS absent, CAST(sum(c.ill) AS bigint) AS ill,
         CAST(sum(c.excused) AS bigint) AS excused, CAST(sum(c.late) AS bigint) AS late
  FROM held h
  JOIN zhurnal_attendance_counts(ARRAY(SELECT lesson_id FROM held)) c
    ON c.school_id = h.school_id AND c.lesson_id = h.lesson_id
  GROUP BY {_key("h")}
)
SELECT {_key("st")}, st.students, st.student_lessons,
       coalesce(ab.absent_lessons, 0) AS absent_lessons, coalesce(ab.absent, 0) AS absent,
       coalesce(ab.ill, 0) AS ill, coalesce(ab.excused, 0) AS excused,
       coalesce(ab.late, 0) AS late
FROM st
LEFT JOIN ab ON {_same_key("ab", "st")}
""")

_MARK_TIMES = f"""
mt AS (
  SELECT {_key("sc")}, sc.school_id, sc.group_id,
         (mk.entered_at AT TIME ZONE sc.timezone)::date
           <= mk.work_date + sc.deadline_days AS on_time
  FROM scope sc
  JOIN marks mk ON mk.school_id = sc.school_id AND mk.group_id = sc.group_id
   AND mk.work_date BETWEEN :date_from AND :date_to
   AND mk.work_date BETWEEN sc.d_from AND sc.d_to
),
-- one entry per held lesson and per mark, so one GROUP BY counts both
entries AS (
  SELECT {KEY}, school_id, group_id, 1 AS lesson,
         topic_on_time::int AS topic, attendance_on_time::int AS attendance,
         has_homework::int AS homework, (has_homework AND homework_on_time)::int AS homework_ok,
         0 AS mark, 0 AS mark_ok
  FROM held
  UNION ALL
  SELECT {KEY}, school_id, group_id, 0, 0, 0, 0, 0, 1, on_time::int
  FROM mt
)
"""

_TIMELINESS_FIGURES = """
  sum(lesson) AS lessons, sum(topic) AS topic_on_time, sum(attendance) AS attendance_on_time,
  sum(homework) AS with_homework, sum(homework_ok) AS homework_on_time,
  sum(mark) AS marks, sum(mark_ok) AS marks_on_time
"""

TIMELINESS = text(SCOPE + f"""
, {_MARK_TIMES}
SELECT {KEY}, {_TIMELINESS_FIGURES} FROM entries GROUP BY {KEY}
""")

# The groups with the least timely journals: on-time entries over expected entries (topic and
# attendance of every held lesson, homework where given, every mark); groups without a held
# lesson are left out. Teachers' names come from zhurnal_staff_names (migration 0004), which
# returns staff only, and only for the rows kept.
WORST_GROUPS = text(SCOPE + f"""
, {_MARK_TIMES},
per_group AS (
  SELECT school_id, group_id, {_TIMELINESS_FIGURES}
  FROM entries GROUP BY school_id, group_id HAVING sum(lesson) > 0
),
ranked AS (
  SELECT pg.*,
         (topic_on_time + attendance_on_time + homework_on_time + marks_on_time)::numeric
         / (2 * lessons + with_homework + marks) AS score
  FROM per_group pg
  ORDER BY score, group_id
  LIMIT :limit
)
SELECT r.*, g.group_name, g.subject_name, g.grade_level, s.name AS school_name,
       ARRAY(SELECT n.full_name
               FROM zhurnal_staff_names(ARRAY(
                      SELECT ta.teacher_id FROM teacher_assignments ta
                       WHERE ta.school_id = r.school_id AND ta.group_id = r.group_id
                         AND ta.starts_on <= :date_to
                         AND (ta.ends_on IS NULL OR ta.ends_on >= :date_from))) n
              ORDER BY n.full_name) AS teachers
FROM ranked r
JOIN sc g ON g.school_id = r.school_id AND g.group_id = r.group_id
JOIN schools s ON s.id = r.school_id
ORDER BY r.score, g.group_name, r.group_id
""")

# Planned hours of the periods overlapping the row's dates, pro-rated by the calendar days of
# the period inside them; held lessons of those dates; both by lesson type (its code, which
# schools share).
CURRICULUM = text(SCOPE + f"""
, entries AS (
  SELECT {_key("sc")}, lt.code, lt.name,
         cl.planned_hours
           * ((least(p.ends_on, sc.d_to) - greatest(p.starts_on, sc.d_from) + 1)::numeric
              / (p.ends_on - p.starts_on + 1)) AS planned,
         0 AS held
  FROM scope sc
  JOIN curriculum_lines cl ON cl.school_id = sc.school_id AND cl.group_id = sc.group_id
  JOIN periods p ON p.school_id = cl.school_id AND p.id = cl.period_id
   AND p.starts_on <= sc.d_to AND p.ends_on >= sc.d_from
  JOIN lesson_types lt ON lt.school_id = cl.school_id AND lt.id = cl.lesson_type_id
  UNION ALL
  SELECT {_key("h")}, lt.code, lt.name, 0, 1
  FROM held h
  LEFT JOIN lesson_types lt ON lt.school_id = h.school_id AND lt.id = h.lesson_type_id
)
SELECT {KEY}, code, min(name) AS name, sum(planned) AS planned, sum(held) AS held
FROM entries GROUP BY {KEY}, code
""")

# Period grades expected: each member of a group at the end of a period of the group's scheme
# (by grade level) that overlaps the range (the row's period, when grouped by period) and is
# closed or over. Missing: no grade at all.
PERIOD_GRADES = text(SCOPE + f"""
, expected AS (
  SELECT DISTINCT {_key("sc")}, sc.school_id, sc.subject_id, sc.academic_year_id,
         p.id AS period_id, gm.student_id
  FROM scope sc
  JOIN grade_level_schemes gls ON gls.school_id = sc.school_id
   AND gls.academic_year_id = sc.academic_year_id AND gls.grade_level = sc.grade_level
  JOIN periods p ON p.school_id = gls.school_id AND p.scheme_id = gls.scheme_id
   AND p.starts_on <= :date_to AND p.ends_on >= :date_from
   AND (sc.k_period IS NULL OR p.id = sc.k_period)
   AND (CAST(:period_id AS uuid) IS NULL OR p.id = CAST(:period_id AS uuid))
   AND (p.closed_at IS NOT NULL OR p.ends_on < (now() AT TIME ZONE sc.timezone)::date)
  JOIN group_memberships gm ON gm.school_id = sc.school_id AND gm.group_id = sc.group_id
   AND gm.starts_on <= p.ends_on AND (gm.ends_on IS NULL OR gm.ends_on >= p.ends_on)
)
SELECT {KEY}, count(DISTINCT e.student_id) AS students, count(*) AS expected,
       count(gr.id) FILTER (WHERE gr.state = 'graded') AS graded,
       count(gr.id) FILTER (WHERE gr.state = 'deferred') AS deferred,
       count(gr.id) FILTER (WHERE gr.state = 'not_attested') AS not_attested,
       count(gr.id) FILTER (WHERE gr.state = 'exempt') AS exempt,
       count(*) FILTER (WHERE gr.id IS NULL) AS missing
FROM expected e
LEFT JOIN grades gr ON gr.school_id = e.school_id AND gr.student_id = e.student_id
 AND gr.subject_id = e.subject_id AND gr.academic_year_id = e.academic_year_id
 AND gr.kind = 'period' AND gr.period_id = e.period_id
GROUP BY {KEY}
""")

# --- успеваемость and качество, written once (docs/figures.md) -------------------------------
# ATTAINMENT below and the year-end summary sheet (resolvers/reports/year_end.py) build their
# results from these fragments; only where the results come from differs.

# The five-point bands, and each value of the asked schools' scales with its band («2»..«5»,
# by its point) and whether its scale is graded (not pass/fail). A CTE list for a WITH.
VALUE_BANDS = """five AS (
  SELECT tv.numeric_value AS n, tv.ordinal, tv.range_low, tv.range_high
  FROM grading_template_values tv
  JOIN grading_templates t ON t.id = tv.template_id AND t.code = 'five_point'
),
vals AS MATERIALIZED (
  SELECT v.school_id, v.id, v.system_id, v.ordinal, v.point, v.range_low, v.numeric_value,
         v.counts_as_pass, gs.kind <> 'pass_fail' AS graded,
         (SELECT f.n FROM five f
           WHERE v.point >= f.range_low AND (v.point < f.range_high OR f.range_high = 100)
           ORDER BY f.ordinal DESC LIMIT 1) AS band
  FROM mark_values v
  JOIN grading_systems gs ON gs.school_id = v.school_id AND gs.id = v.system_id
  WHERE v.school_id = ANY (CAST(:school_ids AS uuid[]))
)"""


def grade_result(grade: str, value: str) -> str:
    """SQL columns `outcome, graded, band`: the result of a grade row `grade` (all NULL when the
    student has none) with its value's `vals` row `value`. Exempt: no result; deferred or
    missing: pending; н/а: fail; graded: pass when the value counts as a pass, else fail."""
    return f"""CASE WHEN {grade}.state = 'exempt' THEN 'exempt'
              WHEN {grade}.id IS NULL OR {grade}.state = 'deferred' THEN 'pending'
              WHEN {grade}.state = 'not_attested' THEN 'fail'
              WHEN {value}.counts_as_pass THEN 'pass' ELSE 'fail' END AS outcome,
         coalesce({value}.graded, false) AS graded, {value}.band"""


def per_student(key: str, results: str) -> str:
    """SQL: a student's results (rows of `results` with `key`, student_id, outcome, graded,
    band) folded into pending, attested, passing and quality, per `key`."""
    return f"""
  SELECT {key}, student_id,
         bool_or(outcome = 'pending') AS pending,
         bool_or(outcome IN ('pass', 'fail')) AS attested,
         bool_and(outcome <> 'fail') AS passing,
         bool_and(outcome <> 'fail') AND bool_or(graded AND outcome <> 'exempt')
           AND coalesce(bool_and(band >= 4) FILTER (WHERE graded AND outcome <> 'exempt'),
                        false) AS quality
  FROM {results} GROUP BY {key}, student_id"""


def student_counts(ps: str) -> str:
    """SQL columns `students, passing, quality, pending` over `per_student` rows `ps`: the
    denominator (at least one result, none pending) and the numerators of both shares."""
    return f"""count({ps}.student_id) FILTER (WHERE {ps}.attested AND NOT {ps}.pending) AS students,
       count({ps}.student_id) FILTER (WHERE {ps}.attested AND NOT {ps}.pending AND {ps}.passing)
         AS passing,
       count({ps}.student_id) FILTER (WHERE {ps}.attested AND NOT {ps}.pending AND {ps}.quality)
         AS quality,
       count({ps}.student_id) FILTER (WHERE {ps}.pending) AS pending"""


# Успеваемость and качество (docs/figures.md, the definitions; schema/aggregates.py says them
# short). One result per student and subject; a student's results are then folded per row key.
#
# Basis, per row: PERIOD_GRADES when the row is one period (grouped by PERIOD, or
# `filter.periodId`) and that period is closed or over; else CURRENT_AVERAGES over the row's
# dates. A row's groups share its period, so a row has one basis.
#
# - period grades: each member of a group at the period's end, with the grade of the group's
#   subject for the period: graded (failing when the value does not count as a pass),
#   not attested (н/а, failing), exempt (no result), deferred or missing (not yet attested);
# - current averages: each student with a counted mark in a group in the dates (rule 1 of
#   resolvers/grading/averages.py: not excluded from the average, weight of the work type),
#   the suggested grade of the group's system (rules 2–4: the native average from each mark's
#   number, two decimals half up, rounded by the school's `rounding_threshold`; a system
#   without numbers takes the value whose range holds the axis average; a group whose school
#   configured no system gives no suggestion, as in the journal).
#
# Teaching without marks (its grade level, the group's, whole or for the subject) gives no
# result at all. A student counts (the denominator) when they have at least one result and
# none pending (deferred, missing); passing: no failing result; quality: passing, at least
# one result on a graded scale, and every graded-scale result in the «4» or «5» band
# (pass/fail results count for успеваемость only).
ATTAINMENT = text(SCOPE + f"""
, {VALUE_BANDS},
r AS MATERIALIZED (
  SELECT sc.*, bp.id AS basis_period, bp.ends_on AS basis_ends_on,
         coalesce(st.rounding_threshold, 0.5) AS threshold,
         {system_in_force("sc.school_id", "sc.academic_year_id", "sc.subject_id",
                          "sc.grade_level")} AS system_id
  FROM scope sc
  LEFT JOIN school_settings st ON st.school_id = sc.school_id
  LEFT JOIN periods bp ON bp.school_id = sc.school_id
   AND bp.id = coalesce(sc.k_period, CAST(:period_id AS uuid))
   AND (bp.closed_at IS NOT NULL OR bp.ends_on < (now() AT TIME ZONE sc.timezone)::date)
  WHERE NOT {without_marks_sql("sc.school_id", "sc.subject_id", "sc.grade_level")}
    AND (CAST(:period_id AS uuid) IS NULL OR EXISTS (
          SELECT 1 FROM grade_level_schemes gls
          JOIN periods p ON p.school_id = gls.school_id AND p.scheme_id = gls.scheme_id
           AND p.id = CAST(:period_id AS uuid)
          WHERE gls.school_id = sc.school_id AND gls.academic_year_id = sc.academic_year_id
            AND gls.grade_level = sc.grade_level))
),
-- each row's basis (its groups share the row's period), for every row, with results or not
basis AS (
  SELECT {_key("sc")}, bool_or(bp.id IS NOT NULL) AS by_grades
  FROM scope sc
  LEFT JOIN periods bp ON bp.school_id = sc.school_id
   AND bp.id = coalesce(sc.k_period, CAST(:period_id AS uuid))
   AND (bp.closed_at IS NOT NULL OR bp.ends_on < (now() AT TIME ZONE sc.timezone)::date)
  GROUP BY {_key("sc")}
),
-- period grades: one result per member at the period's end
grade_results AS (
  SELECT {_key("r")}, gm.student_id, {grade_result("gr", "v")}
  FROM r
  JOIN group_memberships gm ON gm.school_id = r.school_id AND gm.group_id = r.group_id
   AND gm.starts_on <= r.basis_ends_on
   AND (gm.ends_on IS NULL OR gm.ends_on >= r.basis_ends_on)
  LEFT JOIN grades gr ON gr.school_id = r.school_id AND gr.student_id = gm.student_id
   AND gr.subject_id = r.subject_id AND gr.academic_year_id = r.academic_year_id
   AND gr.kind = 'period' AND gr.period_id = r.basis_period
  LEFT JOIN vals v ON v.school_id = gr.school_id AND v.id = gr.value_id
  WHERE r.basis_period IS NOT NULL
),
-- the group's system: its values, and whether every value has a number
sys AS MATERIALIZED (
  SELECT DISTINCT r.school_id, r.system_id,
         bool_and(v.numeric_value IS NOT NULL) OVER w AND count(*) OVER w > 0 AS numeric
  FROM r JOIN vals v ON v.school_id = r.school_id AND v.system_id = r.system_id
  WHERE r.basis_period IS NULL
  WINDOW w AS (PARTITION BY r.school_id, r.system_id)
),
-- rule 1 and 3: each counted mark with its weight, point and number in the group's system
counted AS (
  SELECT {_key("r")}, r.school_id, r.group_id, r.system_id, r.threshold, mk.student_id,
         wt.weight, v.point,
         CASE WHEN NOT sys.numeric THEN NULL
              WHEN v.system_id = r.system_id THEN round(v.numeric_value, 2)
              ELSE round((
                SELECT CASE WHEN lo.point IS NULL THEN hi.numeric_value
                            WHEN hi.point IS NULL THEN lo.numeric_value
                            ELSE lo.numeric_value + (hi.numeric_value - lo.numeric_value)
                                 * (v.point - lo.point) / (hi.point - lo.point) END
                FROM (SELECT 1) one
                LEFT JOIN LATERAL (
                  SELECT s.point, s.numeric_value FROM vals s
                   WHERE s.school_id = r.school_id AND s.system_id = r.system_id
                     AND s.point < v.point ORDER BY s.point DESC LIMIT 1) lo ON true
                LEFT JOIN LATERAL (
                  SELECT s.point, s.numeric_value FROM vals s
                   WHERE s.school_id = r.school_id AND s.system_id = r.system_id
                     AND s.point >= v.point ORDER BY s.point LIMIT 1) hi ON true), 2)
         END AS native, sys.numeric
  FROM r
  JOIN sys ON sys.school_id = r.school_id AND sys.system_id = r.system_id
  JOIN marks mk ON mk.school_id = r.school_id AND mk.group_id = r.group_id
   AND mk.work_date BETWEEN :date_from AND :date_to
   AND mk.work_date BETWEEN r.d_from AND r.d_to AND NOT mk.excluded_from_average
  JOIN work_types wt ON wt.school_id = mk.school_id AND wt.id = mk.work_type_id
  JOIN vals v ON v.school_id = mk.school_id AND v.id = mk.value_id
  WHERE r.basis_period IS NULL
),
-- rule 2 and 3: the axis and native averages, two decimals half up
averages AS (
  SELECT {KEY}, school_id, group_id, system_id, threshold, student_id, bool_and(numeric) AS numeric,
         round(sum(weight * point) / sum(weight), 2) AS axis,
         round(sum(weight * native) / sum(weight), 2) AS native
  FROM counted GROUP BY {KEY}, school_id, group_id, system_id, threshold, student_id
  HAVING sum(weight) > 0
),
-- rule 4: the suggested grade. Materialized so each average's neighbours (lo, hi) are looked
-- up once: inlined, the planner joined `vals` first and ran them for every value (5x).
suggested AS MATERIALIZED (
  SELECT a.*, CASE
    WHEN NOT a.numeric THEN (
      SELECT s.id FROM vals s WHERE s.school_id = a.school_id AND s.system_id = a.system_id
         AND (s.range_low <= a.axis OR s.ordinal = (
              SELECT min(s2.ordinal) FROM vals s2
               WHERE s2.school_id = a.school_id AND s2.system_id = a.system_id))
       ORDER BY s.range_low <= a.axis DESC, s.range_low DESC, s.ordinal DESC LIMIT 1)
    WHEN lo.id IS NULL THEN hi.id
    WHEN hi.id IS NULL THEN lo.id
    WHEN (a.native - lo.numeric_value) / (hi.numeric_value - lo.numeric_value) >= a.threshold
      THEN hi.id
    ELSE lo.id END AS value_id
  FROM averages a
  LEFT JOIN LATERAL (
    SELECT s.id, s.numeric_value FROM vals s
     WHERE a.numeric AND s.school_id = a.school_id AND s.system_id = a.system_id
       AND s.numeric_value <= a.native
     ORDER BY s.numeric_value DESC, s.ordinal DESC LIMIT 1) lo ON true
  LEFT JOIN LATERAL (
    SELECT s.id, s.numeric_value FROM vals s
     WHERE a.numeric AND s.school_id = a.school_id AND s.system_id = a.system_id
       AND s.numeric_value > a.native
     ORDER BY s.numeric_value, s.ordinal LIMIT 1) hi ON true
),
average_results AS (
  SELECT {_key("a")}, a.student_id,
         CASE WHEN v.counts_as_pass THEN 'pass' ELSE 'fail' END AS outcome,
         v.graded, v.band
  FROM suggested a
  JOIN vals v ON v.school_id = a.school_id AND v.id = a.value_id
),
results AS (
  SELECT * FROM grade_results UNION ALL SELECT * FROM average_results
),
per_student AS ({per_student(KEY, "results")})
SELECT {_key("b")}, b.by_grades, {student_counts("ps")}
FROM basis b
LEFT JOIN per_student ps ON {_same_key("ps", "b")}
GROUP BY {_key("b")}, b.by_grades
""")
