"""Seed an empty database with the demo region: 12 pilot schools and their journal to a date."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy.engine import URL

from db.engine import libpq_dsn
from db.logins import normalize_login
from db.seed.calendar import academic_year_of, year_bounds
from db.seed.configuration import add_configuration
from db.seed.copy import Rows, copy_rows
from db.seed.exams import add_exam_kinds
from db.seed.grading import Scale, ScaleValue
from db.seed.ids import new_id, stream
from db.seed.journal import add_grades, build_journal
from db.seed.names import CHILD_FEMALE, FullName, female_surname, patronymic
from db.seed.roster import add_roster_rows, build_roster, move_student
from db.seed.schools import (
    BELOGORSK,
    MUNICIPALITIES,
    REGION_CODE,
    REGION_NAME,
    SCHOOLS,
    TIMEZONE,
    SchoolSpec,
)
from db.seed.state import SchoolState
from db.seed.subjects import FAMILY_TITLES
from db.seed.timetable import add_curriculum_rows, add_timetable_rows, build_timetable

PASSWORD = "demo"
SCALES = ("demo", "region-year")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoAccount:
    login: str
    role: str  # regional officer, municipal officer, administrator, teacher, class teacher, …
    school: str | None
    description: str


@dataclass(frozen=True)
class DemoSummary:
    schools: int
    students: int
    lessons: int
    marks: int
    accounts: list[DemoAccount]


def seed_demo(
    owner_url: URL, *, seed: int = 1, year: int | None = None, until: date | None = None,
    progress: Progress | None = None, scale: str = "demo",
    hash_password: Callable[[str], str],
) -> DemoSummary:
    """Fill an empty database in one transaction; the same arguments give the same rows and ids.

    `year` is the calendar year the academic year starts in; by default the one holding
    `until` (default today). Lessons run from 1 September to `until` (or the year's end).
    `scale="region-year"` is the benchmark data: the same 12 schools with a whole academic
    year held (by default the last one that has ended), every period graded. Every account
    gets the password `demo`, hashed by `hash_password` (resolvers/auth/passwords.py: the
    rule of how passwords are kept lives above storage).
    """
    report = progress or (lambda stage, done, total: None)
    today = date.today()
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {', '.join(SCALES)}")
    if scale == "region-year":
        if year is None and until is not None:
            year = academic_year_of(until)
        elif year is None:
            year = academic_year_of(today)
            if year_bounds(year).ends_on >= today:
                year -= 1  # the year holding today has not ended: take the one before
        # The day after the year's end: every lesson of the year is held, every period graded.
        until = until or year_bounds(year).ends_on + timedelta(days=1)
    if year is None:
        until = until or today
        year = academic_year_of(until)
    elif until is None:
        until = min(today, year_bounds(year).ends_on)
    bounds = year_bounds(year)
    last = min(until, bounds.ends_on)
    digest = hash_password(PASSWORD)
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM schools)").fetchone() == (True,):
            raise ValueError(
                "the database already has schools: the demo seeds an empty database only "
                "(create a new database or drop this one first)"
            )
        builder = _Builder(conn, seed, digest, bounds.starts_on.year, until, last)
        if scale == "region-year":
            builder.schools, builder.dense = region_year_schools(), True
        summary = builder.run(report)
    return summary


class _Builder:
    def __init__(self, conn: psycopg.Connection[Any], seed: int, digest: str, year: int,
                 until: date, last: date) -> None:
        self.conn, self.seed, self.digest = conn, seed, digest
        self.until, self.last = until, last
        self.bounds = year_bounds(year)
        self.rows = Rows()
        self.rng = stream(seed, "global")
        self.accounts: list[DemoAccount] = []
        self.account_ids = stream(seed, "accounts")
        self.schools: tuple[SchoolSpec, ...] = SCHOOLS
        self.dense = False  # the marking density (build_journal)

    def run(self, report: Progress) -> DemoSummary:
        rows, n = self.rows, len(self.schools)
        region, munis = self._geography()
        scales = self._templates()
        states: list[SchoolState] = []
        for i, spec in enumerate(self.schools, start=1):
            st = SchoolState(spec, new_id(self.rng), stream(self.seed, spec.key), self.bounds)
            rows.add("schools", st.id, munis[spec.municipality], spec.name, spec.short_name,
                     TIMEZONE)
            add_configuration(st, rows, self.until, scales)
            add_exam_kinds(st, rows, stream(self.seed, spec.key, "exam_kinds"))
            build_roster(st)
            if spec.prefix:
                _choose_demo_people(st)
            if spec.prefix == "g1":
                move_student(st, self._move_date())
            build_timetable(st)
            states.append(st)
            report("schools", i, n)
        self._officers(region, munis[BELOGORSK])
        by_key = {st.spec.key: st for st in states}
        for st in states:
            if st.spec.prefix:
                self._school_accounts(st)
        self._second_school_child(by_key["bel_s11"], by_key["bel_g1"])
        ids = ",".join(str(st.id) for st in states)
        self.conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (ids,))
        _skip_key_checks_if_allowed(self.conn)
        for st in states:
            add_roster_rows(st, rows)
            add_timetable_rows(st, rows)
            add_curriculum_rows(st, rows)
        people = sum(len(st.people) for st in states)
        copy_rows(self.conn, rows)
        rows.clear()
        report("people", people, people)
        lessons = marks = 0
        # While the server takes one school's COPY, the next school is generated: the two
        # halves of the work run on both cores. Only the worker touches the connection.
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending: Future[dict[str, int]] | None = None
            for i, st in enumerate(states, start=1):
                batch = Rows()
                journal = build_journal(st, batch, until=self.until, last=self.last,
                                        dense=self.dense)
                add_grades(st, batch, journal, self.until)
                lessons += journal.lessons
                marks += journal.marks
                report("lessons", i, n)
                if pending is not None:
                    pending.result()
                    report("marks", i - 1, n)
                pending = worker.submit(copy_rows, self.conn, batch)
            if pending is not None:
                pending.result()
                report("marks", n, n)
        self.conn.commit()
        # Statistics now, not when autovacuum gets to it: until then the planner would guess
        # (a bulk load of millions of rows leaves every table's estimate far off).
        self.conn.execute("ANALYZE")
        self.conn.commit()
        students = sum(1 for st in states for p in st.people.values() if "student" in p.roles)
        return DemoSummary(n, students, lessons, marks, list(self.accounts))

    def _move_date(self) -> date:
        span = max((self.last - self.bounds.starts_on).days, 14)
        return self.bounds.starts_on + timedelta(days=span // 2)

    def _geography(self) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
        found = self.conn.execute("SELECT id FROM regions WHERE code = %s",
                                  (REGION_CODE,)).fetchone()
        region = new_id(self.rng)
        if found:
            region = found[0]
        else:
            self.rows.add("regions", region, REGION_CODE, REGION_NAME)
        existing = dict(self.conn.execute(
            "SELECT name, id FROM municipalities WHERE region_id = %s", (region,)).fetchall())
        munis: dict[str, uuid.UUID] = {}
        for name, kind in MUNICIPALITIES:
            munis[name] = new_id(self.rng)
            if name in existing:
                munis[name] = existing[name]
            else:
                self.rows.add("municipalities", munis[name], region, name, kind)
        return region, munis

    def _templates(self) -> dict[str, Scale]:
        """The global scales schools copy, as migration 0002 stores them."""
        values: dict[str, list[ScaleValue]] = {}
        for code, *value in self.conn.execute("""
            SELECT t.code, v.label, v.ordinal, v.range_low, v.range_high, v.point,
                   v.counts_as_pass, v.numeric_value
              FROM grading_templates t JOIN grading_template_values v ON v.template_id = t.id
             ORDER BY t.code, v.ordinal"""):
            values.setdefault(code, []).append(ScaleValue(*value))
        stored = {
            code: Scale(code, name, kind, tuple(values.get(code, ())))
            for code, name, kind in self.conn.execute(
                "SELECT code, name, kind FROM grading_templates")
        }
        missing = {"five_point", "ten_point", "hundred_point", "pass_fail"} - set(stored)
        if missing:
            raise ValueError(f"grading templates {sorted(missing)} are missing: run "
                             "`zhurnal db upgrade` first")
        return stored

    def _account(self, login: str, role: str, school: str | None, description: str) -> uuid.UUID:
        account = new_id(self.account_ids)
        login = normalize_login(login)
        self.rows.add("accounts", account, login, self.digest)
        self.accounts.append(DemoAccount(login, role, school, description))
        return account

    def _officers(self, region: uuid.UUID, belogorsk: uuid.UUID) -> None:
        title = "Министерство образования и науки Амурской области"
        account = self._account("region", "regional officer", None,
                                f"{title}: сводные данные всех {len(SCHOOLS)} школ региона")
        self.rows.add("officer_roles", new_id(self.account_ids), account, region, None, title)
        title = "Управление образования администрации г. Белогорска"
        count = sum(1 for s in SCHOOLS if s.municipality == BELOGORSK)
        account = self._account("belogorsk", "municipal officer", None,
                                f"{title}: сводные данные {count} школ города, без имён")
        self.rows.add("officer_roles", new_id(self.account_ids), account, None, belogorsk,
                      title)

    def _school_accounts(self, st: SchoolState) -> None:
        demo, prefix, school = st.demo, st.spec.prefix, st.spec.name
        klass = next(k for k in st.classes if k.teacher_id == demo["classteacher"])
        teacher = next(t for t in st.teachers if t.id == demo["teacher"])
        taught = [g for g in st.groups if g.teacher_id == teacher.id]
        subgroup = next(g for g in taught if g.kind == "subgroup")
        student = st.display(demo["student"])
        entries = (
            ("admin", "administrator", f"Директор школы: {st.display(demo['admin'])}"),
            ("teacher", "teacher",
             f"{FAMILY_TITLES[teacher.family].capitalize()} {st.display(teacher.id)}: "
             f"{len(taught)} групп, в том числе подгруппа «{subgroup.name}»"),
            ("classteacher", "class teacher",
             f"Классный руководитель {klass.name}: {st.display(demo['classteacher'])}"),
            ("student", "student", f"Ученик {klass.name}: {student}"),
            ("parent", "guardian",
             f"Родитель ученика {klass.name} {student}: {st.display(demo['parent'])}"),
        )
        for key, role, description in entries:
            login = f"{prefix}.{key}"
            if key == "parent" and st.spec.key == "bel_s11":
                description += "; второй ребёнок учится в МОАУ Гимназия № 1 г. Белогорска"
            st.people[demo[key]].account_id = self._account(login, role, school, description)

    def _second_school_child(self, home: SchoolState, other: SchoolState) -> None:
        """The s11 parent also has a child in another school: one account, a person in each."""
        parent = home.people[home.demo["parent"]]
        family = home.family_of[home.demo["student"]]
        candidates = [f for f in other.families if len(f.children) == 1 and len(f.guardians) == 1]
        chosen = candidates[len(candidates) // 3]
        child = other.people[chosen.children[0]]
        female = child.name.first in CHILD_FEMALE
        child.name = FullName(female_surname(family.surname) if female else family.surname,
                              child.name.first, patronymic(family.father, female=female))
        mother = other.people[chosen.guardians[0]]
        mother.name, mother.birth_date = parent.name, parent.birth_date
        mother.account_id = parent.account_id


def region_year_schools() -> tuple[SchoolSpec, ...]:
    """The region at benchmark size (~9,000 students): the town schools get three times the
    parallel classes in grades 1–9 and twice in 10–11 (at most four, А–Г); the small rural
    schools stay as they are."""
    return tuple(
        replace(s, letters=(min(4, 3 * s.letters[0]), min(4, 2 * s.letters[1])))
        if s.class_size[1] >= 16 else s
        for s in SCHOOLS
    )


def _skip_key_checks_if_allowed(conn: psycopg.Connection[Any]) -> None:
    """Skip the per-row foreign key triggers when the owner may (a superuser), as pg_restore's
    --disable-triggers does: they cost ~10 µs a key on a small machine, most of the seeding
    time. The rows are generated consistent, and tests/db/test_seed_demo.py checks every key.
    A non-superuser owner seeds with the checks on, only slower.
    """
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if row and row[0]:
        conn.execute("SET LOCAL session_replication_role = replica")


def _choose_demo_people(st: SchoolState) -> None:
    """The people behind the demo logins: 7А, its class teacher, a student and a parent."""
    klass = next(k for k in st.classes if k.name == "7А")
    assert klass.teacher_id is not None
    student = klass.students[len(klass.students) // 3]
    teachers = [t for t in st.teachers if t.family == "math" and t.id != klass.teacher_id]

    def groups_of(tid: uuid.UUID) -> list[Any]:
        return [g for g in st.groups if g.teacher_id == tid]

    teacher = max(
        (t for t in teachers if any(g.kind == "subgroup" for g in groups_of(t.id))),
        key=lambda t: (len(groups_of(t.id)), t.id),
    )
    st.demo.update(admin=st.admins[0], teacher=teacher.id, classteacher=klass.teacher_id,
                   student=student, parent=st.family_of[student].guardians[0])
