"""The floors: the rows of each scenario fetched with psycopg directly and serialised to JSON.

No GraphQL, no ORM, no access checks beyond the tenant setting: the least any implementation
must do to answer the same question. Each runs on one open connection (as a pooled server
would), as the owner, with `zhurnal.school_ids` set as the application sets it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg

from bench.fixtures import Fixtures
from resolvers.auth.passwords import verify_password

Conn = psycopg.Connection[Any]


def _dump(value: Any) -> bytes:
    return json.dumps(value, default=str, ensure_ascii=False).encode()


def _rows(conn: Conn, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def journal(conn: Conn, fx: Fixtures) -> bytes:
    """Lessons, members, marks, attendance and period grades of the group in the period
    (every lookup by the indexed keys the application uses, the school first)."""
    p = {"g": fx.journal_group, "f": fx.period_from, "t": fx.period_to, "p": fx.period_id,
         "sc": fx.school_id}
    with conn.transaction():
        lessons = _rows(conn, """
            SELECT l.id, l.date, l.lesson_number, l.status, l.topic, l.homework, lt.name,
                   concat_ws(' ', t.last_name, t.first_name, t.middle_name)
            FROM lessons l
            LEFT JOIN lesson_types lt ON lt.school_id = l.school_id AND lt.id = l.lesson_type_id
            LEFT JOIN persons t ON t.school_id = l.school_id
             AND t.id = coalesce(l.actual_teacher_id, l.scheduled_teacher_id)
            WHERE l.school_id = %(sc)s AND l.group_id = %(g)s AND l.date BETWEEN %(f)s AND %(t)s
            ORDER BY l.date, l.lesson_number""", p)
        students = _rows(conn, """
            SELECT gm.student_id, concat_ws(' ', pe.last_name, pe.first_name, pe.middle_name),
                   gm.starts_on, gm.ends_on
            FROM group_memberships gm
            JOIN persons pe ON pe.school_id = gm.school_id AND pe.id = gm.student_id
            WHERE gm.school_id = %(sc)s AND gm.group_id = %(g)s AND gm.starts_on <= %(t)s
              AND (gm.ends_on IS NULL OR gm.ends_on >= %(f)s)
            ORDER BY pe.last_name, pe.first_name""", p)
        marks = _rows(conn, """
            SELECT m.student_id, m.lesson_id, v.label, v.numeric_value, w.weight
            FROM lessons l
            JOIN marks m ON m.school_id = l.school_id AND m.lesson_id = l.id
            JOIN mark_values v ON v.school_id = m.school_id AND v.id = m.value_id
            JOIN work_types w ON w.school_id = m.school_id AND w.id = m.work_type_id
            WHERE l.school_id = %(sc)s AND l.group_id = %(g)s
              AND l.date BETWEEN %(f)s AND %(t)s""", p)
        attendance = _rows(conn, """
            SELECT a.student_id, a.lesson_id, a.kind
            FROM lessons l JOIN attendance a ON a.school_id = l.school_id AND a.lesson_id = l.id
            WHERE l.school_id = %(sc)s AND l.group_id = %(g)s
              AND l.date BETWEEN %(f)s AND %(t)s""", p)
        grades = _rows(conn, """
            SELECT gr.student_id, gr.state, v.label
            FROM study_groups g
            JOIN grades gr ON gr.school_id = g.school_id AND gr.subject_id = g.subject_id
             AND gr.academic_year_id = g.academic_year_id AND gr.kind = 'period'
             AND gr.period_id = %(p)s
            LEFT JOIN mark_values v ON v.school_id = gr.school_id AND v.id = gr.value_id
            WHERE g.school_id = %(sc)s AND g.id = %(g)s""", p)
    return _dump({"lessons": lessons, "students": students, "marks": marks,
                  "attendance": attendance, "grades": grades})


def diary(conn: Conn, fx: Fixtures) -> bytes:
    """The student's lessons of the week with subject, teacher, their marks and attendance."""
    p = {"s": fx.student_id, "f": fx.diary_from, "t": fx.diary_to, "sc": fx.school_id}
    with conn.transaction():
        lessons = _rows(conn, """
            SELECT l.id, l.date, l.lesson_number, l.status, sub.name, l.topic, l.homework,
                   l.homework_due_on, concat_ws(' ', t.last_name, t.first_name, t.middle_name)
            FROM group_memberships gm
            JOIN lessons l ON l.school_id = gm.school_id AND l.group_id = gm.group_id
             AND l.date BETWEEN greatest(gm.starts_on, %(f)s)
                            AND least(coalesce(gm.ends_on, %(t)s), %(t)s)
            JOIN study_groups g ON g.school_id = l.school_id AND g.id = l.group_id
            JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
            LEFT JOIN persons t ON t.school_id = l.school_id
             AND t.id = coalesce(l.actual_teacher_id, l.scheduled_teacher_id)
            WHERE gm.school_id = %(sc)s AND gm.student_id = %(s)s
            ORDER BY l.date, l.lesson_number""", p)
        marks = _rows(conn, """
            SELECT m.lesson_id, v.label, w.name, m.comment
            FROM marks m
            JOIN mark_values v ON v.school_id = m.school_id AND v.id = m.value_id
            JOIN work_types w ON w.school_id = m.school_id AND w.id = m.work_type_id
            WHERE m.school_id = %(sc)s AND m.student_id = %(s)s
              AND m.work_date BETWEEN %(f)s AND %(t)s""", p)
        attendance = _rows(conn, """
            SELECT a.lesson_id, a.kind, a.late_minutes
            FROM attendance a JOIN lessons l ON l.school_id = a.school_id AND l.id = a.lesson_id
            WHERE a.school_id = %(sc)s AND a.student_id = %(s)s
              AND l.date BETWEEN %(f)s AND %(t)s""", p)
    return _dump({"lessons": lessons, "marks": marks, "attendance": attendance})


def set_marks(conn: Conn, fx: Fixtures, marks: int = 30) -> bytes:
    """The same 30 INSERTs into marks and 30 audit rows, committed, and the rows sealed into
    the school's chain (migration 0018), as the server does after each write."""
    lesson, day = fx.next_write_lesson()
    rows = []
    for i in range(marks):
        student = fx.write_students[i % len(fx.write_students)]
        rows.append((fx.school_id, uuid.uuid4(), fx.write_group, lesson, student, day,
                     fx.work_type_id, fx.value_id, fx.teacher_id))
    with conn.transaction():
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(fx.school_id),))
        with conn.cursor() as cur:
            cur.executemany("""
                INSERT INTO marks (school_id, id, group_id, lesson_id, student_id, work_date,
                                   work_type_id, value_id, entered_by_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""", rows)
            cur.executemany("""
                INSERT INTO audit_log (school_id, id, actor_person_id, action, entity,
                                       entity_id, after, request_id)
                VALUES (%s, %s, %s, 'create', 'marks', %s, %s, 'bench-floor')""",
                [(r[0], uuid.uuid4(), fx.teacher_id, r[1],
                  json.dumps({"id": str(r[1]), "student_id": str(r[4]), "lesson_id": str(lesson),
                              "value_id": str(r[7]), "work_type_id": str(r[6])}))
                 for r in rows])
    with conn.transaction():  # sealed into the chain after the commit, as the server does
        conn.execute("SELECT zhurnal_audit_seal(%s)", (fx.school_id,))
    return _dump([str(r[1]) for r in rows])


def district(conn: Conn, fx: Fixtures) -> bytes:
    """Per school of the municipality over the quarter, the figures of the district report's
    sections, one statement each, grouped by school (the largest tables read by school and
    date, as the application reads them):

    - marks: counted marks, the five-point bands (by point: 50/70/85), the mean point, and
      per student whether every mark passes (успеваемость) and every graded one is a 4 or 5
      (качество);
    - attendance: student-lessons (each member of a group at each held lesson) and the
      attendance rows of those lessons by kind;
    - timeliness: held lessons with topic, attendance and homework entered by the lesson day,
      marks entered within the school's deadline;
    - curriculum: planned hours of the overlapping periods pro-rated by days, held lessons,
      by lesson type;
    - period grades: each member at the end of each closed or ended period of the group's
      class scheme, and its grade's state.

    What it leaves out, so the ratio is against a slightly smaller job: the suppression rule
    and thresholds; the time-zone judgement of "on time" (entry timestamps are compared with
    the UTC day); the five-point average (each mark's point interpolated on the template); the
    grade level of cross-class groups (from their members' classes: such groups have no
    period-grade expectations here); student-lessons are counted without removing a student
    listed twice in one group on one day; the per-key generality (grade level, subject and
    period grouping) of the application's statements, and their officer role and RLS.
    """
    p = {"m": fx.municipality_id, "f": fx.period_from, "t": fx.period_to}
    with conn.transaction():
        conn.execute("SELECT set_config('zhurnal.school_ids', "
                     "(SELECT string_agg(id::text, ',') FROM schools), true)")
        schools = _rows(conn, """
            SELECT s.id, s.name, coalesce(st.min_group_size, 5)
            FROM schools s LEFT JOIN school_settings st ON st.school_id = s.id
            WHERE s.municipality_id = %(m)s ORDER BY s.name""", p)
        p["s"] = [r[0] for r in schools]
        marks = _rows(conn, """
            WITH m AS (
              SELECT mk.school_id, mk.student_id, v.point, v.counts_as_pass,
                     gs.kind <> 'pass_fail' AS graded,
                     CASE WHEN v.point < 50 THEN 2 WHEN v.point < 70 THEN 3
                          WHEN v.point < 85 THEN 4 ELSE 5 END AS band
              FROM marks mk
              JOIN mark_values v ON v.school_id = mk.school_id AND v.id = mk.value_id
              JOIN grading_systems gs ON gs.school_id = v.school_id AND gs.id = v.system_id
              WHERE mk.school_id = ANY (%(s)s) AND mk.work_date BETWEEN %(f)s AND %(t)s
                AND NOT mk.excluded_from_average),
            per_student AS (
              SELECT school_id, bool_and(counts_as_pass) AS passing,
                     bool_and(counts_as_pass) AND coalesce(bool_and(band >= 4)
                       FILTER (WHERE graded), false) AS quality
              FROM m GROUP BY school_id, student_id),
            students AS (
              SELECT school_id, count(*) AS n, count(*) FILTER (WHERE passing) AS passing,
                     count(*) FILTER (WHERE quality) AS quality
              FROM per_student GROUP BY school_id)
            SELECT m.school_id, count(*), count(*) FILTER (WHERE graded),
                   count(*) FILTER (WHERE graded AND band = 2),
                   count(*) FILTER (WHERE graded AND band = 3),
                   count(*) FILTER (WHERE graded AND band = 4),
                   count(*) FILTER (WHERE graded AND band = 5),
                   round(avg(point) FILTER (WHERE graded), 2),
                   min(s.n), min(s.passing), min(s.quality)
            FROM m JOIN students s ON s.school_id = m.school_id GROUP BY m.school_id""", p)
        attendance = _rows(conn, """
            WITH held AS (
              SELECT l.school_id, l.id, l.group_id, l.date FROM lessons l
              WHERE l.school_id = ANY (%(s)s) AND l.date BETWEEN %(f)s AND %(t)s
                AND l.status = 'held'),
            sl AS (
              SELECT h.school_id, count(*) AS n, count(DISTINCT gm.student_id) AS students
              FROM held h
              JOIN group_memberships gm ON gm.school_id = h.school_id
               AND gm.group_id = h.group_id AND gm.starts_on <= h.date
               AND (gm.ends_on IS NULL OR gm.ends_on >= h.date)
              GROUP BY h.school_id),
            ab AS (
              SELECT h.school_id,
                     count(*) FILTER (WHERE a.kind IN ('absent', 'ill', 'excused')) AS missed,
                     count(*) FILTER (WHERE a.kind = 'absent') AS absent,
                     count(*) FILTER (WHERE a.kind = 'ill') AS ill,
                     count(*) FILTER (WHERE a.kind = 'excused') AS excused,
                     count(*) FILTER (WHERE a.kind = 'late') AS late
              FROM held h JOIN attendance a ON a.school_id = h.school_id AND a.lesson_id = h.id
              GROUP BY h.school_id)
            SELECT sl.school_id, sl.students, sl.n, ab.missed, ab.absent, ab.ill, ab.excused,
                   ab.late
            FROM sl LEFT JOIN ab ON ab.school_id = sl.school_id""", p)
        timeliness = _rows(conn, """
            SELECT l.school_id, count(*),
                   count(*) FILTER (WHERE l.topic_entered_at::date <= l.date),
                   count(*) FILTER (WHERE l.attendance_entered_at::date <= l.date),
                   count(*) FILTER (WHERE nullif(btrim(l.homework), '') IS NOT NULL
                                       OR jsonb_array_length(l.homework_links) > 0),
                   count(*) FILTER (WHERE (nullif(btrim(l.homework), '') IS NOT NULL
                                           OR jsonb_array_length(l.homework_links) > 0)
                                      AND l.homework_entered_at::date <= l.date),
                   (SELECT count(*) FROM marks mk
                     WHERE mk.school_id = l.school_id AND mk.work_date BETWEEN %(f)s AND %(t)s),
                   (SELECT count(*) FROM marks mk
                     LEFT JOIN school_settings st ON st.school_id = mk.school_id
                     WHERE mk.school_id = l.school_id AND mk.work_date BETWEEN %(f)s AND %(t)s
                       AND mk.entered_at::date
                           <= mk.work_date + coalesce(st.mark_deadline_days, 7))
            FROM lessons l
            WHERE l.school_id = ANY (%(s)s) AND l.date BETWEEN %(f)s AND %(t)s
              AND l.status = 'held'
            GROUP BY l.school_id""", p)
        curriculum = _rows(conn, """
            WITH e AS (
              SELECT cl.school_id, lt.code, lt.name,
                     cl.planned_hours
                       * ((least(pe.ends_on, %(t)s) - greatest(pe.starts_on, %(f)s) + 1)::numeric
                          / (pe.ends_on - pe.starts_on + 1)) AS planned, 0 AS held
              FROM curriculum_lines cl
              JOIN periods pe ON pe.school_id = cl.school_id AND pe.id = cl.period_id
               AND pe.starts_on <= %(t)s AND pe.ends_on >= %(f)s
              JOIN lesson_types lt ON lt.school_id = cl.school_id AND lt.id = cl.lesson_type_id
              WHERE cl.school_id = ANY (%(s)s)
              UNION ALL
              SELECT l.school_id, lt.code, lt.name, 0, 1
              FROM lessons l
              LEFT JOIN lesson_types lt ON lt.school_id = l.school_id
               AND lt.id = l.lesson_type_id
              WHERE l.school_id = ANY (%(s)s) AND l.date BETWEEN %(f)s AND %(t)s
                AND l.status = 'held')
            SELECT school_id, code, min(name), round(sum(planned), 1), sum(held)
            FROM e GROUP BY school_id, code ORDER BY school_id, code""", p)
        grades = _rows(conn, """
            SELECT g.school_id, count(DISTINCT gm.student_id), count(*),
                   count(gr.id) FILTER (WHERE gr.state = 'graded'),
                   count(gr.id) FILTER (WHERE gr.state = 'deferred'),
                   count(gr.id) FILTER (WHERE gr.state = 'not_attested'),
                   count(gr.id) FILTER (WHERE gr.state = 'exempt'),
                   count(*) FILTER (WHERE gr.id IS NULL)
            FROM study_groups g
            JOIN classes c ON c.school_id = g.school_id AND c.id = g.class_id
            JOIN grade_level_schemes gls ON gls.school_id = g.school_id
             AND gls.academic_year_id = g.academic_year_id AND gls.grade_level = c.grade_level
            JOIN periods pe ON pe.school_id = gls.school_id AND pe.scheme_id = gls.scheme_id
             AND pe.starts_on <= %(t)s AND pe.ends_on >= %(f)s
             AND (pe.closed_at IS NOT NULL OR pe.ends_on < current_date)
            JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.id
             AND gm.starts_on <= pe.ends_on AND (gm.ends_on IS NULL OR gm.ends_on >= pe.ends_on)
            LEFT JOIN grades gr ON gr.school_id = g.school_id AND gr.student_id = gm.student_id
             AND gr.subject_id = g.subject_id AND gr.academic_year_id = g.academic_year_id
             AND gr.kind = 'period' AND gr.period_id = pe.id
            WHERE g.school_id = ANY (%(s)s)
            GROUP BY g.school_id""", p)
    return _dump({"schools": schools, "marks": marks, "attendance": attendance,
                  "timeliness": timeliness, "curriculum": curriculum, "grades": grades})


def login(conn: Conn, fx: Fixtures) -> bytes:
    """Find the account and verify the password (argon2): what any login must do."""
    row = conn.execute("SELECT id, password_hash FROM accounts WHERE login = %s",
                       (fx.teacher_login,)).fetchone()
    assert row is not None and verify_password(row[1], fx.password)
    conn.commit()
    return _dump({"account": row[0]})


FLOORS = {"journal": journal, "diary": diary, "diary cached": diary, "setMarks": set_marks,
          "district": district, "login": login}
