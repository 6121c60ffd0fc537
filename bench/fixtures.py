"""What the scenarios read and write: found in the seeded database by the demo logins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import psycopg

from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id

Conn = psycopg.Connection[Any]


@dataclass
class Fixtures:
    password: str
    teacher_login: str
    student_login: str
    school_id: uuid.UUID
    teacher_id: uuid.UUID
    student_id: uuid.UUID
    journal_group: uuid.UUID
    journal_students: int
    period_id: uuid.UUID
    period_from: date
    period_to: date
    diary_from: date
    diary_to: date
    write_group: uuid.UUID
    write_students: list[uuid.UUID]
    write_lessons: list[tuple[uuid.UUID, date]]
    work_type_id: uuid.UUID
    value_id: uuid.UUID
    value_label: str
    municipality_id: uuid.UUID
    officer_login: str  # a municipal officer of municipality_id (the district scenario)
    district_schools: int = 0
    lesson_count: int = 0
    _next_lesson: int = field(default=0, repr=False)
    _next_diary: int = field(default=0, repr=False)

    def next_write_lesson(self) -> tuple[uuid.UUID, date]:
        """Each write goes to the next lesson of the group, round the year."""
        lesson = self.write_lessons[self._next_lesson % len(self.write_lessons)]
        self._next_lesson += 1
        return lesson

    # Global ids, as a client sends them.
    @property
    def journal_vars(self) -> dict[str, str]:
        return {"groupId": to_global_id("StudyGroup", self.journal_group),
                "periodId": to_global_id("Period", self.period_id)}

    @property
    def diary_vars(self) -> dict[str, str]:
        return {"studentId": to_global_id("Person", self.student_id),
                "from": self.diary_from.isoformat(), "to": self.diary_to.isoformat()}

    def next_diary_vars(self) -> dict[str, str]:
        """A week starting one day later at each call (round 250 days from the first school
        day): never the same question twice in a run, so never answered from the cache."""
        start = self.period_from + timedelta(days=self._next_diary % 250)
        self._next_diary += 1
        return {"studentId": to_global_id("Person", self.student_id),
                "from": start.isoformat(), "to": (start + timedelta(days=6)).isoformat()}

    @property
    def district_vars(self) -> dict[str, Any]:
        """The municipality's schools over the journal's quarter (the same dates in every
        school on quarters), a row per school."""
        return {"filter": {"municipalityId": to_global_id("Municipality", self.municipality_id),
                           "from": self.period_from.isoformat(),
                           "to": self.period_to.isoformat()},
                "groupBy": ["SCHOOL"]}

    def set_marks_vars(self, marks: int = 30) -> dict[str, Any]:
        lesson, _ = self.next_write_lesson()
        work = to_global_id("WorkType", self.work_type_id)
        entries = [{"studentId": to_global_id("Person", self.write_students[i % len(
                        self.write_students)]), "value": self.value_label, "workTypeId": work}
                   for i in range(marks)]
        return {"input": {"lessonId": to_global_id("Lesson", lesson), "marks": entries}}


def _person_of(conn: Conn, login: str) -> tuple[uuid.UUID, uuid.UUID]:
    row = conn.execute(
        "SELECT p.school_id, p.id FROM accounts a JOIN persons p ON p.account_id = a.id "
        "WHERE a.login = %s ORDER BY p.created_at LIMIT 1", (login,)).fetchone()
    if row is None:
        raise LookupError(f"no person with the login {login!r}: is the database seeded?")
    return row[0], row[1]


def _groups_of(conn: Conn, school: uuid.UUID, teacher: uuid.UUID, day: date
               ) -> list[tuple[uuid.UUID, int]]:
    """The teacher's class-bound groups with their membership on `day`, largest first."""
    return [(r[0], r[1]) for r in conn.execute("""
        SELECT g.id, count(gm.student_id)
        FROM teacher_assignments ta
        JOIN study_groups g ON g.school_id = ta.school_id AND g.id = ta.group_id
        JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.id
         AND gm.starts_on <= %(day)s AND (gm.ends_on IS NULL OR gm.ends_on >= %(day)s)
        WHERE ta.school_id = %(school)s AND ta.teacher_id = %(teacher)s
          AND g.class_id IS NOT NULL
        GROUP BY g.id ORDER BY count(gm.student_id) DESC, g.id""",
        {"school": school, "teacher": teacher, "day": day}).fetchall()]


def _first_period(conn: Conn, group: uuid.UUID) -> tuple[uuid.UUID, date, date] | None:
    """The first quarter of the group's grade level (None when it is not on quarters)."""
    row = conn.execute("""
        SELECT p.id, p.starts_on, p.ends_on
        FROM study_groups g
        JOIN classes c ON c.school_id = g.school_id AND c.id = g.class_id
        JOIN grade_level_schemes gls ON gls.school_id = g.school_id
         AND gls.academic_year_id = g.academic_year_id AND gls.grade_level = c.grade_level
        JOIN period_schemes ps ON ps.school_id = gls.school_id AND ps.id = gls.scheme_id
         AND ps.kind = 'quarters'
        JOIN periods p ON p.school_id = gls.school_id AND p.scheme_id = gls.scheme_id
        WHERE g.id = %s ORDER BY p.ordinal LIMIT 1""", (group,)).fetchone()
    return (row[0], row[1], row[2]) if row else None


def _largest_municipality(conn: Conn) -> tuple[uuid.UUID, int]:
    """The municipality with the most schools (by name on a tie)."""
    row = conn.execute("""
        SELECT m.id, count(*) FROM municipalities m JOIN schools s ON s.municipality_id = m.id
        GROUP BY m.id, m.name ORDER BY count(*) DESC, m.name LIMIT 1""").fetchone()
    if row is None:
        raise LookupError("no municipality has a school: is the database seeded?")
    return row[0], int(row[1])


def officer_of(conn: Conn, municipality: uuid.UUID, password: str) -> str:
    """The login of a municipal officer of the municipality; when it has none, one is created
    (committed) the way db/seed/demo.py creates `belogorsk`: an account and an officer role."""
    row = conn.execute("""
        SELECT a.login FROM officer_roles o JOIN accounts a ON a.id = o.account_id
        WHERE o.municipality_id = %s AND a.is_active ORDER BY a.login LIMIT 1""",
        (municipality,)).fetchone()
    if row is not None:
        return str(row[0])
    login = f"bench.officer.{str(municipality)[:8]}"
    account = uuid.uuid4()
    conn.execute("INSERT INTO accounts (id, login, password_hash) VALUES (%s, %s, %s)",
                 (account, login, hash_password(password)))
    conn.execute("""
        INSERT INTO officer_roles (id, account_id, region_id, municipality_id, title)
        VALUES (%s, %s, NULL, %s, 'Управление образования (benchmark)')""",
        (uuid.uuid4(), account, municipality))
    conn.commit()  # the server logs in with it from its own connections
    return login


def discover(conn: Conn, *, teacher_login: str = "g1.teacher",
             student_login: str = "g1.student", password: str = "demo") -> Fixtures:
    """Pick the journal, the diary week and the lessons to write marks into."""
    conn.execute("SELECT set_config('zhurnal.school_ids', "
                 "(SELECT string_agg(id::text, ',') FROM schools), false)")
    school, teacher = _person_of(conn, teacher_login)
    _, student = _person_of(conn, student_login)
    start = conn.execute("SELECT min(starts_on) FROM academic_years WHERE school_id = %s",
                         (school,)).fetchone()
    assert start is not None and start[0] is not None
    groups = _groups_of(conn, school, teacher, start[0] + timedelta(days=14))
    if not groups:
        raise LookupError(f"{teacher_login} teaches no class group")
    # The journal: of the fullest groups, the one with the most lessons in its first period
    # (a 5-hours-a-week subject: ~30 students × ~45 lessons).
    quarters = [(g, n, q) for g, n in groups if (q := _first_period(conn, g)) is not None]
    if not quarters:
        raise LookupError(f"{teacher_login} teaches no group on quarters")
    ranked = []
    for g, n, (period, p_from, p_to) in quarters:
        if n < quarters[0][1] - 3:
            continue
        count = conn.execute("SELECT count(*) FROM lessons WHERE group_id = %s AND date "
                             "BETWEEN %s AND %s", (g, p_from, p_to)).fetchone()
        ranked.append((count[0] if count else 0, n, g, period, p_from, p_to))
    ranked.sort(key=lambda r: (r[0], r[1], str(r[2])), reverse=True)
    _, size, journal, period, p_from, p_to = ranked[0]
    write = next((g for g, _ in groups if g != journal), journal)
    # Students who are members of the write group for the whole year: any lesson accepts them.
    members = [r[0] for r in conn.execute("""
        SELECT student_id FROM group_memberships WHERE group_id = %s AND ends_on IS NULL
        ORDER BY student_id""", (write,)).fetchall()]
    lessons = [(r[0], r[1]) for r in conn.execute("""
        SELECT l.id, l.date FROM lessons l WHERE l.group_id = %s AND l.status = 'held'
          AND NOT EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.group_id = l.group_id
                          AND gm.starts_on > l.date)
          -- only lessons of periods still open: a closed period takes an administrator
          AND NOT EXISTS (SELECT 1 FROM periods p WHERE p.school_id = l.school_id
                          AND p.closed_at IS NOT NULL AND l.date BETWEEN p.starts_on
                          AND p.ends_on)
        ORDER BY l.date, l.lesson_number""", (write,)).fetchall()]
    used = conn.execute("""
        SELECT m.work_type_id, m.value_id, v.label FROM marks m
        JOIN mark_values v ON v.school_id = m.school_id AND v.id = m.value_id
        JOIN work_types w ON w.school_id = m.school_id AND w.id = m.work_type_id
        WHERE m.group_id = %s AND m.lesson_id IS NOT NULL AND v.numeric_value IS NOT NULL
        ORDER BY w.name = 'Работа на уроке' DESC, v.label DESC LIMIT 1""", (write,)).fetchone()
    if used is None or not lessons or not members:
        raise LookupError("the write group has no lessons, members or marks to copy")
    # The diary week: the second full week of the second month (ordinary school days).
    day = start[0] + timedelta(days=40)
    monday = day - timedelta(days=day.weekday())
    # The district: the municipality with the most schools, read by its officer.
    muni, district_schools = _largest_municipality(conn)
    officer = officer_of(conn, muni, password)
    count = conn.execute("""SELECT count(*) FROM lessons WHERE group_id = %s
                            AND date BETWEEN %s AND %s""", (journal, p_from, p_to)).fetchone()
    return Fixtures(
        password=password, teacher_login=teacher_login, student_login=student_login,
        school_id=school, teacher_id=teacher, student_id=student, journal_group=journal,
        journal_students=size, period_id=period, period_from=p_from, period_to=p_to,
        diary_from=monday, diary_to=monday + timedelta(days=6), write_group=write,
        write_students=members, write_lessons=lessons, work_type_id=used[0],
        value_id=used[1], value_label=used[2], municipality_id=muni, officer_login=officer,
        district_schools=district_schools,
        lesson_count=int(count[0]) if count else 0,
    )


def discover_demo(conn: Conn, *, class_name: str = "8Б", subject: str = "Алгебра",
                  teacher_login: str = "g1.teacher", password: str = "demo") -> Fixtures:
    """The demo page of issue 18 on the `make demo` data: the journal of `class_name`
    `subject` (the whole class's group) for its first period, read by `teacher_login`; the
    other scenarios' fixtures as `discover` picks them."""
    fx = discover(conn, teacher_login=teacher_login, password=password)
    row = conn.execute("""
        SELECT g.id FROM study_groups g
        JOIN classes c ON c.school_id = g.school_id AND c.id = g.class_id
        JOIN subjects sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
        WHERE g.school_id = %s AND c.grade_level::text || c.letter = %s AND sub.name = %s
          AND g.kind = 'whole_class'
        ORDER BY g.id LIMIT 1""", (fx.school_id, class_name, subject)).fetchone()
    if row is None:
        raise LookupError(f"no whole-class group {class_name} {subject} in {teacher_login}'s "
                          "school: is this the demo data?")
    group = row[0]
    period = _first_period(conn, group)
    if period is None:
        raise LookupError(f"{class_name} {subject} is not on quarters")
    period_id, p_from, p_to = period
    counts = conn.execute("""
        SELECT (SELECT count(*) FROM lessons WHERE group_id = %(g)s
                AND date BETWEEN %(f)s AND %(t)s),
               (SELECT count(DISTINCT student_id) FROM group_memberships WHERE group_id = %(g)s
                AND starts_on <= %(t)s AND (ends_on IS NULL OR ends_on >= %(f)s))""",
        {"g": group, "f": p_from, "t": p_to}).fetchone()
    assert counts is not None
    return replace(fx, journal_group=group, journal_students=int(counts[1]),
                   period_id=period_id, period_from=p_from, period_to=p_to,
                   lesson_count=int(counts[0]))
