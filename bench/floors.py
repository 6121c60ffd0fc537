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
from server.passwords import verify_password

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
    """The same 30 INSERTs into marks and 30 audit rows (the chain trigger included), committed."""
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
    return _dump([str(r[1]) for r in rows])


def district(conn: Conn, fx: Fixtures) -> bytes:
    """Per school of the municipality over the quarter: students, marks, average, absences."""
    p = {"m": fx.municipality_id, "f": fx.period_from, "t": fx.period_to}
    with conn.transaction():
        conn.execute("SELECT set_config('zhurnal.school_ids', "
                     "(SELECT string_agg(id::text, ',') FROM schools), true)")
        rows = _rows(conn, """
            SELECT s.id, s.short_name,
              (SELECT count(DISTINCT e.student_id) FROM enrollments e
                WHERE e.school_id = s.id AND e.starts_on <= %(t)s
                  AND (e.ends_on IS NULL OR e.ends_on >= %(f)s)),
              mk.n, mk.average,
              (SELECT count(*) FROM lessons l
                 JOIN attendance a ON a.school_id = l.school_id AND a.lesson_id = l.id
                WHERE l.school_id = s.id AND l.date BETWEEN %(f)s AND %(t)s
                  AND a.kind <> 'late')
            FROM schools s
            CROSS JOIN LATERAL (
              SELECT count(*) AS n, round(avg(v.point), 2) AS average
              FROM marks m JOIN mark_values v ON v.school_id = m.school_id AND v.id = m.value_id
              WHERE m.school_id = s.id AND m.work_date BETWEEN %(f)s AND %(t)s) mk
            WHERE s.municipality_id = %(m)s ORDER BY s.short_name""", p)
    return _dump(rows)


def login(conn: Conn, fx: Fixtures) -> bytes:
    """Find the account and verify the password (argon2): what any login must do."""
    row = conn.execute("SELECT id, password_hash FROM accounts WHERE login = %s",
                       (fx.teacher_login,)).fetchone()
    assert row is not None and verify_password(row[1], fx.password)
    conn.commit()
    return _dump({"account": row[0]})


FLOORS = {"journal": journal, "diary": diary, "setMarks": set_marks, "district": district,
          "login": login}
