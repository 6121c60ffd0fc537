"""The SQL of a diary: a student's lessons, marks, attendance and homework for a span of days.

One statement: the student row, filtered by visibility (tenants/visibility.py), gates a
subquery that returns three JSON arrays keyed by day (lessons with their marks and attendance;
homework due; marks of works without a lesson). When the student is not visible the statement
returns no row and the subquery never runs.
"""

from __future__ import annotations

from sqlalchemy import text

from resolvers.journal.sql import ATTENDANCE_CODES, FULL_NAME, sql_case

DIARY_DATA = text(f"""(
WITH m AS (
  -- the student's memberships, clipped to the requested days
  SELECT gm.school_id, gm.group_id,
         greatest(gm.starts_on, CAST(:day_from AS date)) AS f,
         least(coalesce(gm.ends_on, CAST(:day_to AS date)), CAST(:day_to AS date)) AS t
  FROM group_memberships gm
  WHERE gm.student_id = :student_id
    AND gm.starts_on <= CAST(:day_to AS date)
    AND (gm.ends_on IS NULL OR gm.ends_on >= CAST(:day_from AS date))
),
l AS MATERIALIZED (
  SELECT l.school_id, l.id, l.date, l.lesson_number, l.status, l.topic, l.homework,
         l.homework_links, l.homework_due_on, sub.name AS subject,
         coalesce(l.actual_teacher_id, l.scheduled_teacher_id) AS teacher_id
  FROM m
  JOIN lessons l ON l.school_id = m.school_id AND l.group_id = m.group_id
   AND l.date BETWEEN m.f AND m.t
   -- the span itself, as constants: the index's range (m.f and m.t only filter within it)
   AND l.date BETWEEN CAST(:day_from AS date) AND CAST(:day_to AS date)
  JOIN study_groups g ON g.school_id = l.school_id AND g.id = l.group_id
  JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
),
att AS MATERIALIZED (
  -- the student's attendance rows of the schools, read once by the student's key: looked up
  -- lesson by lesson, each lookup read all of them again
  SELECT a.lesson_id, a.kind, a.late_minutes
  FROM attendance a
  WHERE a.school_id IN (SELECT m.school_id FROM m) AND a.student_id = :student_id
),
smk AS MATERIALIZED (
  -- the student's marks of the span, read once by the student's key: lesson by lesson, each
  -- lookup read the whole class's marks of the lesson
  SELECT mk.lesson_id, mk.work_date, mk.group_id, mk.school_id, v.label, w.name AS work_type,
         mk.comment, mk.entered_at, mk.id
  FROM marks mk
  JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
  JOIN work_types w ON w.school_id = mk.school_id AND w.id = mk.work_type_id
  WHERE mk.student_id = :student_id
    AND mk.work_date BETWEEN CAST(:day_from AS date) AND CAST(:day_to AS date)
),
mk AS (
  -- a lesson's marks carry its date (mark_writes)
  SELECT smk.lesson_id, smk.work_date,
         json_agg(json_build_array(smk.label, smk.work_type, smk.comment)
                  ORDER BY smk.entered_at, smk.id) AS items
  FROM smk WHERE smk.lesson_id IS NOT NULL
  GROUP BY smk.lesson_id, smk.work_date
),
lesson_rows AS (
  SELECT json_agg(json_build_array(
           l.date, l.id, l.lesson_number, l.status, l.subject,
           -- looked up by a plain column: under RLS an expression such as coalesce() is not
           -- leakproof, so `t.id = coalesce(...)` could not use the key and scanned the school
           (SELECT {FULL_NAME.format(p="t")} FROM persons t
             WHERE t.school_id = l.school_id AND t.id = l.teacher_id),
           l.topic, l.homework,
           l.homework_links, l.homework_due_on,
           coalesce(mk.items, '[]'),
           {sql_case("a.kind", ATTENDANCE_CODES)}, a.late_minutes)
         ORDER BY l.date, l.lesson_number NULLS LAST, l.subject, l.id) AS items
  FROM l
  LEFT JOIN att a ON a.lesson_id = l.id
  LEFT JOIN mk ON mk.lesson_id = l.id AND mk.work_date = l.date
),
due AS (
  -- homework due in the span, given at a lesson of a group the student was then a member of
  SELECT json_agg(json_build_array(l.homework_due_on, sub.name, l.homework, l.homework_links,
                                   l.date)
                  ORDER BY l.homework_due_on, sub.name, l.date, l.id) AS items
  FROM group_memberships gm
  JOIN lessons l ON l.school_id = gm.school_id AND l.group_id = gm.group_id
   AND l.date >= gm.starts_on AND (gm.ends_on IS NULL OR l.date <= gm.ends_on)
   AND l.date <= CAST(:day_to AS date)
  JOIN study_groups g ON g.school_id = l.school_id AND g.id = l.group_id
  JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
  WHERE gm.student_id = :student_id
    AND l.homework_due_on BETWEEN CAST(:day_from AS date) AND CAST(:day_to AS date)
    AND coalesce(l.homework, '') <> '' AND l.status <> 'cancelled'
),
works AS (
  SELECT json_agg(json_build_array(smk.work_date, sub.name, smk.label, smk.work_type,
                                   smk.comment)
                  ORDER BY smk.work_date, sub.name, smk.entered_at, smk.id) AS items
  FROM smk
  JOIN study_groups g ON g.school_id = smk.school_id AND g.id = smk.group_id
  JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
  WHERE smk.lesson_id IS NULL
)
SELECT json_build_array(coalesce((SELECT items FROM lesson_rows), '[]'),
                        coalesce((SELECT items FROM due), '[]'),
                        coalesce((SELECT items FROM works), '[]'))
) AS diary""")
