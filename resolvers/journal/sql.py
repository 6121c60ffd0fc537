"""The SQL of a journal page: the whole grid in one statement, shaped in PostgreSQL.

One statement whatever the size of the page (issue 8: at most 6 per request, and the access
context already takes 5): PostgreSQL returns JSON, each student's cells sparse (the lessons
with marks or attendance, by lesson index), and Python lays them out along the lessons and
wraps the rows in typed objects. Every lookup is by an indexed key of the group, its lessons
or their marks, so the cost follows the page, not the size of the year or the database.

RLS scopes every table to the viewer's schools; the finer rule (may_read_journal) is applied
by the resolver to the group the statement returns.
"""

from __future__ import annotations

from sqlalchemy import text

from db.models import AttendanceKind, GradeState
from resolvers.calendar.group_periods import own_scheme
from resolvers.grading.uses import GROUP_GRADE_LEVEL, system_in_force
from resolvers.grading.without_marks import without_marks_sql

# Attendance codes of the paper journal (н, б, у, оп); presence has no row and no code.
ATTENDANCE_CODES: dict[AttendanceKind, str] = {
    AttendanceKind.ABSENT: "н",
    AttendanceKind.ILL: "б",
    AttendanceKind.EXCUSED: "у",
    AttendanceKind.LATE: "оп",
}

# How a period grade without a value reads in the journal.
GRADE_STATE_LABELS: dict[GradeState, str] = {
    GradeState.NOT_ATTESTED: "н/а",
    GradeState.EXEMPT: "осв.",
    GradeState.DEFERRED: "отсрочка",
}


def sql_case(column: str, mapping: dict[AttendanceKind, str]) -> str:
    """A CASE over an enum column from a constant mapping (literals only, never input)."""
    whens = " ".join(f"WHEN '{k.value}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


FULL_NAME = "concat_ws(' ', {p}.last_name, {p}.first_name, {p}.middle_name)"

JOURNAL_PAGE = text(f"""
WITH g AS (
  SELECT g.school_id, g.id, g.name, g.class_id, g.subject_id, g.academic_year_id
  FROM study_groups g WHERE g.id = :group_id
),
level AS (
  -- the one rule of resolvers/grading/uses.py, as closing and journal_context use it (and
  -- resolvers/grading/without_marks.py, for the page's without_marks)
  SELECT {GROUP_GRADE_LEVEL} AS grade_level FROM g AS sg
),
own AS (
  -- the group's own scheme (resolvers/calendar/group_periods.py); a grade level without one
  -- takes every scheme of the year
  SELECT {own_scheme("g", "(SELECT grade_level FROM level)")} AS scheme_id FROM g
),
allowed AS (
  SELECT p.id, p.name, p.starts_on, p.ends_on, ps.academic_year_id
  FROM g
  JOIN period_schemes ps ON ps.school_id = g.school_id
   AND ps.academic_year_id = g.academic_year_id
  JOIN periods p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
  WHERE (SELECT scheme_id FROM own) IS NULL OR ps.id = (SELECT scheme_id FROM own)
),
p AS (
  SELECT a.id, a.name, a.starts_on, a.ends_on FROM allowed a WHERE a.id = :period_id
),
sys AS (
  -- the most specific rule wins (resolvers/grading/uses.py)
  SELECT gs.id, gs.name,
         (SELECT json_agg(v.label ORDER BY v.ordinal) FROM mark_values v
          WHERE v.school_id = gs.school_id AND v.system_id = gs.id) AS labels,
         -- each value on the axis: averages and conversions use them
         -- (resolvers/grading/conversion.py)
         (SELECT json_agg(json_build_array(v.id, v.label, v.ordinal, v.range_low, v.range_high,
                                           v.point, v.counts_as_pass, v.numeric_value)
                          ORDER BY v.ordinal)
          FROM mark_values v WHERE v.school_id = gs.school_id AND v.system_id = gs.id)
           AS "values"
  FROM g
  JOIN grading_systems gs ON gs.school_id = g.school_id
   AND gs.id = {system_in_force("g.school_id", "g.academic_year_id", "g.subject_id",
                                "(SELECT grade_level FROM level)")}
),
l AS (
  SELECT l.school_id, l.id, l.date, l.lesson_number, l.status, l.topic, l.homework,
         lt.name AS lesson_type,
         coalesce(l.actual_teacher_id, l.scheduled_teacher_id) AS teacher_id,
         (l.actual_teacher_id IS NOT NULL
          AND l.actual_teacher_id IS DISTINCT FROM l.scheduled_teacher_id) AS is_substitution,
         row_number() OVER (ORDER BY l.date, l.lesson_number NULLS LAST, l.id) AS idx
  FROM g
  JOIN lessons l ON l.school_id = g.school_id AND l.group_id = g.id
   AND l.date BETWEEN (SELECT starts_on FROM p) AND (SELECT ends_on FROM p)
  LEFT JOIN lesson_types lt ON lt.school_id = l.school_id AND lt.id = l.lesson_type_id
),
s AS (
  -- a student with several memberships in the period shows once, over their whole span
  SELECT gm.school_id, gm.student_id, min(gm.starts_on) AS starts_on,
         CASE WHEN bool_or(gm.ends_on IS NULL) THEN NULL ELSE max(gm.ends_on) END AS ends_on
  FROM g CROSS JOIN p
  JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.id
   AND gm.starts_on <= p.ends_on AND (gm.ends_on IS NULL OR gm.ends_on >= p.starts_on)
  GROUP BY gm.school_id, gm.student_id
),
lm AS (
  SELECT mk.student_id, l.idx, mk.id, mk.entered_at, v.label, v.numeric_value,
         v.point, v.system_id, w.weight, mk.excluded_from_average
  FROM l
  JOIN marks mk ON mk.school_id = l.school_id AND mk.lesson_id = l.id
  JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
  JOIN work_types w ON w.school_id = mk.school_id AND w.id = mk.work_type_id
),
xm AS (
  SELECT mk.student_id, mk.id, mk.work_date, v.label, v.numeric_value, v.point,
         v.system_id, w.weight, mk.excluded_from_average
  FROM marks mk
  JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
  JOIN work_types w ON w.school_id = mk.school_id AND w.id = mk.work_type_id
  WHERE mk.school_id = (SELECT school_id FROM g) AND mk.group_id = (SELECT id FROM g)
    AND mk.work_date BETWEEN (SELECT starts_on FROM p) AND (SELECT ends_on FROM p)
    AND mk.lesson_id IS NULL
),
-- Each student's cells, sparse: [lesson index, labels, mark ids] of the lessons with marks and
-- [lesson index, code] of those with attendance; Python lays them out along the lessons
-- (resolvers/journal/page.py `lay_out`). Aligning them here (students × lessons, each cell
-- looked up in a jsonb map) was most of the statement's time; a join of students × lessons
-- to the cells is planned as nested loops under RLS, whose row estimates are 1.
cm AS MATERIALIZED (
  SELECT student_id, json_agg(json_build_array(idx, labels, ids)) AS cells
  FROM (SELECT student_id, idx, string_agg(label, ' ' ORDER BY entered_at, id) AS labels,
               json_agg(id ORDER BY entered_at, id) AS ids
        FROM lm GROUP BY student_id, idx) c
  GROUP BY student_id
),
att AS MATERIALIZED (
  SELECT a.student_id,
         json_agg(json_build_array(l.idx, {sql_case("a.kind", ATTENDANCE_CODES)})) AS cells
  FROM l JOIN attendance a ON a.school_id = l.school_id AND a.lesson_id = l.id
  GROUP BY a.student_id
),
counted AS MATERIALIZED (
  -- the inputs of the average: (number, weight, axis point, system) of each mark that counts
  SELECT student_id,
         json_agg(json_build_array(numeric_value, weight, point, system_id)) AS pairs
  FROM (SELECT student_id, numeric_value, weight, point, system_id, excluded_from_average
        FROM lm
        UNION ALL
        SELECT student_id, numeric_value, weight, point, system_id, excluded_from_average
        FROM xm) x
  WHERE NOT excluded_from_average
  GROUP BY student_id
),
extra AS MATERIALIZED (
  SELECT student_id,
         json_agg(json_build_array(id, work_date, label) ORDER BY work_date, id) AS marks
  FROM xm GROUP BY student_id
),
pg AS MATERIALIZED (
  -- the page's students only: the subject's grades of the period span the whole school
  -- (the group's and the period's keys as subqueries: planned once, they are all of the key
  -- of uq_grades_one_per_key; joined, only the student and the kind were)
  SELECT gr.student_id, gr.state, v.label
  FROM s
  JOIN grades gr ON gr.school_id = s.school_id AND gr.student_id = s.student_id
   AND gr.subject_id = (SELECT subject_id FROM g)
   AND gr.academic_year_id = (SELECT academic_year_id FROM g)
   AND gr.kind = 'period' AND gr.period_id = (SELECT id FROM p)
  LEFT JOIN mark_values v ON v.school_id = gr.school_id AND v.id = gr.value_id
)
SELECT g.school_id, g.class_id, g.id, g.name,
  {without_marks_sql("g.school_id", "g.subject_id", "(SELECT grade_level FROM level)")}
    AS without_marks,
  (SELECT row_to_json(p) FROM p) AS period,
  (SELECT json_agg(json_build_array(a.id, a.name) ORDER BY a.starts_on, a.name)
   FROM allowed a) AS allowed_periods,
  (SELECT row_to_json(sys) FROM sys) AS grading_system,
  -- the school's rounding of averages to a suggested grade (resolvers/grading/averages.py
  -- school_rules: no row, the default)
  (SELECT ss.rounding_threshold FROM school_settings ss WHERE ss.school_id = g.school_id)
    AS rounding_threshold,
  -- teachers by a plain column (as the diary): under RLS `t.id = coalesce(...)` is not
  -- leakproof, cannot use the key, and scanned the school's persons for every lesson
  (SELECT coalesce(json_agg(json_build_array(
            l.id, l.date, l.lesson_number, l.status, l.topic, l.homework, l.lesson_type,
            (SELECT {FULL_NAME.format(p="t")} FROM persons t
              WHERE t.school_id = l.school_id AND t.id = l.teacher_id),
            l.is_substitution) ORDER BY l.idx), '[]') FROM l) AS lessons,
  (SELECT coalesce(json_agg(json_build_array(
            s.student_id, {FULL_NAME.format(p="pe")}, s.starts_on, s.ends_on,
            coalesce(cm.cells, '[]'), coalesce(att.cells, '[]'),
            coalesce(extra.marks, '[]'), counted.pairs, pg.state, pg.label)
          ORDER BY pe.last_name, pe.first_name, pe.middle_name, pe.id), '[]')
   FROM s
   JOIN persons pe ON pe.school_id = s.school_id AND pe.id = s.student_id
   LEFT JOIN cm ON cm.student_id = s.student_id
   LEFT JOIN att ON att.student_id = s.student_id
   LEFT JOIN extra ON extra.student_id = s.student_id
   LEFT JOIN counted ON counted.student_id = s.student_id
   LEFT JOIN pg ON pg.student_id = s.student_id) AS students
FROM g
""")
