"""Import of OneRoster 1.2 rostering files into ONE existing school (an operator command).

Reads orgs, academicSessions, courses, classes, users, roles and enrollments (never the
gradebook files). Everything is validated before anything is written: a problem names the
file, the line and the column, and with any problem nothing is written. Objects are matched
before they are created, so importing the same files again changes nothing:
- persons by `persons.external_id` = the user's sourcedId (or, for files exported from this
  very school, by the person's id); names are updated when they differ;
- academic years by name, period schemes by name within the year (a `term` session), periods
  by their order within the scheme (its `gradingPeriod` children), subjects by name (a
  course's title), classes by year, grade and letter (a `homeroom` class: grade from
  `grades`, letter from `classCode` without the leading grade digits), study groups by year,
  subject and name (a `scheduled` class: with a `classCode` of a homeroom it belongs to that
  class — a subgroup when the class has several groups of the subject, otherwise the whole
  class; without one it is a cross-class group);
- enrollments, memberships and teacher assignments by class or group, person and start date;
  the teacher enrollment of a homeroom class makes its class teacher.
Rows with status `tobedeleted` are skipped: the import never deletes. Every write appends an
audit row with action "import". Accounts (logins) are not created.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from db import models as m
from db.audit import Actor, Change, record, snapshot
from db.engine import app_sessions
from db.formula_injection import restore_text
from db.oneroster import columns as c
from db.oneroster.csvfile import Row, parse, read_directory
from db.tenancy import set_tenant_async

ROLE_MAP = {
    "student": m.SchoolRole.STUDENT,
    "teacher": m.SchoolRole.TEACHER,
    "aide": m.SchoolRole.TEACHER,
    "siteAdministrator": m.SchoolRole.ADMINISTRATOR,
    "principal": m.SchoolRole.ADMINISTRATOR,
    "systemAdministrator": m.SchoolRole.ADMINISTRATOR,
    "districtAdministrator": m.SchoolRole.ADMINISTRATOR,
    "parent": m.SchoolRole.GUARDIAN,
    "guardian": m.SchoolRole.GUARDIAN,
    "relative": m.SchoolRole.GUARDIAN,
}
KIND_BY_COUNT = {4: m.SchemeKind.QUARTERS, 3: m.SchemeKind.TRIMESTERS,
                 2: m.SchemeKind.HALF_YEARS}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        return where + (f", column {self.column}" if self.column else "") + f": {self.message}"


class ImportFailed(Exception):
    """The files are not valid (or the school is unknown); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:20]))
        self.problems = problems


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dry_run: bool = False

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


# ---------------------------------------------------------------------------- validation
@dataclass
class Session_:
    sid: str
    type: str
    title: str
    start: date
    end: date
    parent: str


@dataclass
class Klass:
    sid: str
    row: Row
    homeroom: bool
    title: str
    grades: list[int]
    course: str
    code: str
    terms: list[str]


@dataclass
class Plan:
    school_org: str = ""
    sessions: dict[str, Session_] = field(default_factory=dict)
    courses: dict[str, Row] = field(default_factory=dict)
    classes: dict[str, Klass] = field(default_factory=dict)
    users: dict[str, Row] = field(default_factory=dict)
    roles: dict[str, set[m.SchoolRole]] = field(default_factory=lambda: defaultdict(set))
    enrollments: list[Row] = field(default_factory=list)
    class_year: dict[str, str] = field(default_factory=dict)
    guardianships: set[tuple[str, str]] = field(default_factory=set)


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, row: Row | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(file, row.line if row else None, column, message))

    def required(self, file: str, row: Row, column: str) -> str:
        value = restore_text(row[column].strip())
        if not value:
            self.add(file, row, column, "is required")
        return value

    def day(self, file: str, row: Row, column: str, *, required: bool) -> date | None:
        text = row[column].strip()
        if not text:
            if required:
                self.add(file, row, column, "is required")
            return None
        try:
            # a date, or the date part of a dateTime (YYYY-MM-DDThh:mm:ss…)
            if len(text) > 10 and text[10] != "T":
                raise ValueError(text)
            return date.fromisoformat(text[:10])
        except ValueError:
            self.add(file, row, column, f"'{text}' is not an ISO 8601 date (YYYY-MM-DD)")
            return None

    def choice(self, file: str, row: Row, column: str, allowed: tuple[str, ...]) -> str:
        value = row[column].strip()
        if value not in allowed:
            self.add(file, row, column, f"'{value}' is not one of {', '.join(allowed)}")
        return value


def load(source: Path) -> dict[str, tuple[list[str], list[Row]]]:
    if not source.exists():
        raise ImportFailed([Problem(str(source), None, None, "no such file or directory")])
    return {name: parse(text) for name, text in read_directory(source)}


def _grades(checker: Checker, file: str, row: Row) -> list[int]:
    out = []
    for part in (p.strip() for p in row["grades"].split(",")):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 11:
            checker.add(file, row, "grades", f"'{part}' is not a grade level 01–11")
        else:
            out.append(int(part))
    return out


def validate(files: dict[str, tuple[list[str], list[Row]]]) -> Plan:
    ck = Checker()
    plan = Plan()
    for name in ("orgs.csv", "users.csv", "roles.csv"):
        if name not in files:
            ck.add(name, None, None, "the file is missing")
    if "manifest.csv" in files:
        props = {r["propertyName"]: r["value"] for r in files["manifest.csv"][1]}
        if props.get("oneroster.version", c.ONEROSTER_VERSION) != c.ONEROSTER_VERSION:
            ck.add("manifest.csv", None, "value",
                   f"oneroster.version is {props['oneroster.version']}, expected 1.2")
    rows: dict[str, list[Row]] = {}
    for name in c.ROSTER_FILES:
        header, data = files.get(name, ([], []))
        expected = list(c.HEADERS[name])
        if name in files and header != expected:
            missing = [col for col in expected if col not in header]
            ck.add(name, Row(1, {}), missing[0] if missing else None,
                   "header must be the OneRoster 1.2 columns in order: " + ",".join(expected))
            data = []
        live = []
        seen: set[str] = set()
        for row in data:
            if ck.choice(name, row, "status", ("", *c.STATUSES)) == "tobedeleted":
                continue
            sid = ck.required(name, row, "sourcedId")
            if len(sid) > 64:
                ck.add(name, row, "sourcedId", "is longer than 64 characters")
            if sid in seen:
                ck.add(name, row, "sourcedId", f"'{sid}' appears twice")
            seen.add(sid)
            live.append(row)
        rows[name] = live
    if ck.problems:
        raise ImportFailed(ck.problems)

    schools = [r for r in rows["orgs.csv"] if r["type"] == "school"]
    for r in rows["orgs.csv"]:
        ck.choice("orgs.csv", r, "type", c.ORG_TYPES)
    if len(schools) != 1:
        ck.add("orgs.csv", None, "type",
               f"the files must describe exactly one school, found {len(schools)}")
    else:
        plan.school_org = schools[0]["sourcedId"]

    def org_ref(file: str, row: Row, column: str) -> None:
        if row[column].strip() != plan.school_org:
            ck.add(file, row, column, f"'{row[column]}' is not the school of orgs.csv")

    f = "academicSessions.csv"
    for r in rows[f]:
        kind = ck.choice(f, r, "type", c.SESSION_TYPES)
        start, end = ck.day(f, r, "startDate", required=True), ck.day(f, r, "endDate",
                                                                      required=True)
        title = ck.required(f, r, "title")
        if start and end and start > end:
            ck.add(f, r, "endDate", "is before startDate")
        plan.sessions[r["sourcedId"]] = Session_(r["sourcedId"], kind, title, start or date.min,
                                                 end or date.min, r["parentSourcedId"].strip())
    wanted_parent = {"term": ("schoolYear",), "semester": ("schoolYear",),
                     "gradingPeriod": ("term", "semester"), "schoolYear": ("",)}
    by_line = {r["sourcedId"]: r for r in rows[f]}
    for s in plan.sessions.values():
        parent = plan.sessions.get(s.parent)
        kind = parent.type if parent else ""
        if s.parent and parent is None:
            ck.add(f, by_line[s.sid], "parentSourcedId", f"'{s.parent}' is not a session here")
        elif kind not in wanted_parent.get(s.type, (kind,)):
            ck.add(f, by_line[s.sid], "parentSourcedId",
                   f"a {s.type} must have a {' or '.join(wanted_parent[s.type]) or 'no'} parent")

    def year_of(session_id: str) -> str | None:
        seen = 0
        while session_id in plan.sessions and seen < 4:
            if plan.sessions[session_id].type == "schoolYear":
                return session_id
            session_id = plan.sessions[session_id].parent
            seen += 1
        return None

    f = "courses.csv"
    for r in rows[f]:
        ck.required(f, r, "title")
        org_ref(f, r, "orgSourcedId")
        y = r["schoolYearSourcedId"].strip()
        if y and (y not in plan.sessions or plan.sessions[y].type != "schoolYear"):
            ck.add(f, r, "schoolYearSourcedId", f"'{y}' is not a schoolYear session")
        plan.courses[r["sourcedId"]] = r

    f = "classes.csv"
    for r in rows[f]:
        kind = ck.choice(f, r, "classType", c.CLASS_TYPES)
        title = ck.required(f, r, "title")
        org_ref(f, r, "schoolSourcedId")
        course = r["courseSourcedId"].strip()
        if course not in plan.courses:
            ck.add(f, r, "courseSourcedId", f"'{course}' is not a course of courses.csv")
        terms = [t.strip() for t in r["termSourcedIds"].split(",") if t.strip()]
        for t in terms:
            if t not in plan.sessions:
                ck.add(f, r, "termSourcedIds", f"'{t}' is not a session of academicSessions.csv")
        grades = _grades(ck, f, r)
        code = restore_text(r["classCode"].strip())
        klass = Klass(r["sourcedId"], r, kind == "homeroom", title, grades, course, code, terms)
        if klass.homeroom:
            if len(grades) != 1:
                ck.add(f, r, "grades", "a homeroom class has exactly one grade level")
            if not _letter(code or title):
                ck.add(f, r, "classCode", "a homeroom class needs a code like 5А")
        year = plan.courses[course]["schoolYearSourcedId"].strip() if course in plan.courses \
            else ""
        year = year or next((y for t in terms if (y := year_of(t))), "")
        if not year:
            ck.add(f, r, "termSourcedIds", "no academic year: the course has no "
                                           "schoolYearSourcedId and no term belongs to a year")
        plan.class_year[klass.sid] = year
        plan.classes[klass.sid] = klass
    homerooms = {(plan.class_year[k.sid], k.code) for k in plan.classes.values() if k.homeroom}
    for k in plan.classes.values():
        if not k.homeroom and k.code and (plan.class_year[k.sid], k.code) not in homerooms:
            ck.add(f, k.row, "classCode", f"'{k.code}' is not the code of a homeroom class")

    f = "users.csv"
    for r in rows[f]:
        ck.required(f, r, "givenName")
        ck.required(f, r, "familyName")
        ck.choice(f, r, "enabledUser", ("true", "false", "TRUE", "FALSE", "True", "False"))
        plan.users[r["sourcedId"]] = r
    f = "roles.csv"
    for r in rows[f]:
        user = r["userSourcedId"].strip()
        if user not in plan.users:
            ck.add(f, r, "userSourcedId", f"'{user}' is not a user of users.csv")
        ck.choice(f, r, "roleType", c.ROLE_TYPES)
        role = ck.choice(f, r, "role", c.USER_ROLES)
        org_ref(f, r, "orgSourcedId")
        if role in c.USER_ROLES and role not in ROLE_MAP:
            ck.add(f, r, "role", f"'{role}' has no counterpart in zhurnal")
        elif role in ROLE_MAP:
            plan.roles[user].add(ROLE_MAP[role])
    f = "users.csv"
    for r in rows[f]:
        for agent in (a.strip() for a in r["agentSourcedIds"].split(",") if a.strip()):
            if agent not in plan.users:
                ck.add(f, r, "agentSourcedIds", f"'{agent}' is not a user of users.csv")
                continue
            me, other = plan.roles[r["sourcedId"]], plan.roles[agent]
            if m.SchoolRole.STUDENT in me and m.SchoolRole.GUARDIAN in other:
                plan.guardianships.add((agent, r["sourcedId"]))
            elif m.SchoolRole.GUARDIAN in me and m.SchoolRole.STUDENT in other:
                plan.guardianships.add((r["sourcedId"], agent))
    f = "enrollments.csv"
    for r in rows[f]:
        klass_id, user = r["classSourcedId"].strip(), r["userSourcedId"].strip()
        if klass_id not in plan.classes:
            ck.add(f, r, "classSourcedId", f"'{klass_id}' is not a class of classes.csv")
        if user not in plan.users:
            ck.add(f, r, "userSourcedId", f"'{user}' is not a user of users.csv")
        org_ref(f, r, "schoolSourcedId")
        role = ck.choice(f, r, "role", ("student", "teacher"))
        needed = m.SchoolRole.STUDENT if role == "student" else m.SchoolRole.TEACHER
        if user in plan.users and role in ("student", "teacher") \
                and needed not in plan.roles[user]:
            ck.add(f, r, "role", f"user '{user}' has no {role} role in roles.csv")
        begin = ck.day(f, r, "beginDate", required=False)
        end = ck.day(f, r, "endDate", required=False)
        if begin and end and end < begin:
            ck.add(f, r, "endDate", "is before beginDate")
        plan.enrollments.append(r)
    if ck.problems:
        raise ImportFailed(ck.problems)
    return plan


def _letter(code: str) -> str:
    return re.sub(r"^\s*\d+\s*", "", code)[:8]


# ------------------------------------------------------------------------------- writing
class Writer:
    """Creates what is missing, one audit row per write."""

    def __init__(self, session: AsyncSession, school_id: uuid.UUID, result: ImportResult
                 ) -> None:
        self.session, self.school_id, self.result = session, school_id, result
        self.changes: list[Change] = []

    async def all(self, model: Any) -> list[Any]:
        return list(await self.session.scalars(select(model).where(
            model.school_id == self.school_id)))

    async def create(self, obj: Any) -> Any:
        obj.school_id = self.school_id
        if getattr(obj, "id", None) is None:
            obj.id = uuid.uuid4()
        self.session.add(obj)
        await self.session.flush()
        self.changes.append(Change(school_id=self.school_id, action="import",
                                   entity=obj.__tablename__, entity_id=obj.id,
                                   after=snapshot(obj)))
        self.result.created[obj.__tablename__] += 1
        return obj

    async def update(self, obj: Any, **values: Any) -> None:
        if all(getattr(obj, k) == v for k, v in values.items()):
            return
        before = snapshot(obj)
        for k, v in values.items():
            setattr(obj, k, v)
        await self.session.flush()
        self.changes.append(Change(school_id=self.school_id, action="import",
                                   entity=obj.__tablename__, entity_id=obj.id, before=before,
                                   after=snapshot(obj)))
        self.result.updated[obj.__tablename__] += 1


async def apply(session: AsyncSession, school_id: uuid.UUID, plan: Plan, actor: Actor,
                result: ImportResult) -> None:
    w = Writer(session, school_id, result)
    # academic years, period schemes, periods
    years = {y.name: y for y in await w.all(m.AcademicYear)}
    year_of: dict[str, m.AcademicYear] = {}
    for s in sorted(plan.sessions.values(), key=lambda s: s.start):
        if s.type == "schoolYear":
            year_of[s.sid] = years.get(s.title) or await w.create(m.AcademicYear(
                name=s.title, starts_on=s.start, ends_on=s.end))
            years[s.title] = year_of[s.sid]
    schemes = {(x.academic_year_id, x.name): x for x in await w.all(m.PeriodScheme)}
    periods = {(p.scheme_id, p.ordinal): p for p in await w.all(m.Period)}
    scheme_of: dict[str, m.PeriodScheme] = {}
    children: dict[str, list[Session_]] = defaultdict(list)
    for s in plan.sessions.values():
        children[s.parent].append(s)
    for s in sorted(plan.sessions.values(), key=lambda s: (s.start, s.title)):
        if s.type not in ("term", "semester"):
            continue
        year = year_of[s.parent]
        own = sorted(children[s.sid], key=lambda p: p.start)
        scheme = schemes.get((year.id, s.title)) or await w.create(m.PeriodScheme(
            academic_year_id=year.id, name=s.title,
            kind=KIND_BY_COUNT.get(len(own), m.SchemeKind.MODULES)))
        schemes[(year.id, s.title)] = scheme_of[s.sid] = scheme
        for ordinal, p in enumerate(own, start=1):
            if (scheme.id, ordinal) not in periods:
                periods[(scheme.id, ordinal)] = await w.create(m.Period(
                    scheme_id=scheme.id, ordinal=ordinal, name=p.title, starts_on=p.start,
                    ends_on=p.end))
            scheme_of[p.sid] = scheme
    # subjects
    subjects = {x.name: x for x in await w.all(m.Subject)}
    subject_of_course: dict[str, m.Subject] = {}
    for k in plan.classes.values():
        if k.homeroom or k.course in subject_of_course:
            continue
        course = plan.courses[k.course]
        title = restore_text(course["title"].strip())
        subject_of_course[k.course] = subjects.get(title) or await w.create(m.Subject(
            name=title, short_name=(restore_text(course["courseCode"].strip()) or title)[:50]))
        subjects[title] = subject_of_course[k.course]
    # persons and their roles
    persons = await w.all(m.Person)
    by_external = {p.external_id: p for p in persons if p.external_id}
    by_id = {str(p.id): p for p in persons}
    person_of: dict[str, m.Person] = {}
    for sid, r in plan.users.items():
        names = dict(first_name=restore_text(r["givenName"].strip()),
                     last_name=restore_text(r["familyName"].strip()),
                     middle_name=restore_text(r["middleName"].strip()) or None)
        found = by_external.get(sid) or by_id.get(sid)
        if found is None:
            found = await w.create(m.Person(external_id=sid, **names))
        else:
            await w.update(found, **names)
        person_of[sid] = found
    held = {(r.person_id, r.role) for r in await w.all(m.PersonRole)}
    for sid, roles in plan.roles.items():
        for role in sorted(roles):
            if (person_of[sid].id, role) not in held:
                await w.create(m.PersonRole(person_id=person_of[sid].id, role=role))
                held.add((person_of[sid].id, role))
    links = {(g.guardian_id, g.student_id) for g in await w.all(m.Guardianship)}
    for guardian, student in sorted(plan.guardianships):
        key = (person_of[guardian].id, person_of[student].id)
        if key not in links:
            await w.create(m.Guardianship(guardian_id=key[0], student_id=key[1]))
            links.add(key)
    # classes, grade-level schemes, groups
    classes = {(k.academic_year_id, k.grade_level, k.letter): k
               for k in await w.all(m.SchoolClass)}
    level_schemes = {(g.academic_year_id, g.grade_level) for g in await w.all(m.GradeLevelScheme)}
    class_of: dict[str, m.SchoolClass] = {}
    home_by_code: dict[tuple[str, str], m.SchoolClass] = {}
    for k in plan.classes.values():
        year = year_of[plan.class_year[k.sid]]
        # a group of mixed grades says nothing about which scheme each grade uses
        for term in k.terms[:1] if len(k.grades) == 1 else []:
            scheme = scheme_of.get(term)
            for level in k.grades:
                if scheme and (year.id, level) not in level_schemes:
                    await w.create(m.GradeLevelScheme(academic_year_id=year.id,
                                                      grade_level=level, scheme_id=scheme.id))
                    level_schemes.add((year.id, level))
        if not k.homeroom:
            continue
        letter = _letter(k.code or k.title)
        key = (year.id, k.grades[0], letter)
        classes[key] = class_of[k.sid] = classes.get(key) or await w.create(m.SchoolClass(
            academic_year_id=year.id, grade_level=k.grades[0], letter=letter))
        home_by_code[(plan.class_year[k.sid], k.code)] = class_of[k.sid]
    groups = {(g.academic_year_id, g.subject_id, g.name): g for g in await w.all(m.StudyGroup)}
    splits = {(s.class_id, s.subject_id): s for s in await w.all(m.Split)}
    per_subject: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for k in plan.classes.values():
        if not k.homeroom and k.code:
            home = home_by_code[(plan.class_year[k.sid], k.code)]
            per_subject[(home.id, subject_of_course[k.course].id)] += 1
    group_of: dict[str, m.StudyGroup] = {}
    for k in plan.classes.values():
        if k.homeroom:
            continue
        year, subject = year_of[plan.class_year[k.sid]], subject_of_course[k.course]
        found = groups.get((year.id, subject.id, k.title))
        if found is None:
            home = home_by_code[(plan.class_year[k.sid], k.code)] if k.code else None
            split_id = None
            if home and per_subject[(home.id, subject.id)] > 1:
                split = splits.get((home.id, subject.id)) or await w.create(m.Split(
                    class_id=home.id, subject_id=subject.id))
                splits[(home.id, subject.id)] = split
                split_id = split.id
            kind = (m.GroupKind.CROSS_CLASS if home is None else
                    m.GroupKind.SUBGROUP if split_id else m.GroupKind.WHOLE_CLASS)
            found = await w.create(m.StudyGroup(
                academic_year_id=year.id, subject_id=subject.id, kind=kind,
                class_id=home.id if home else None, split_id=split_id, name=k.title))
            groups[(year.id, subject.id, k.title)] = found
        group_of[k.sid] = found
    # enrollments, memberships, teacher assignments, class teachers
    enrolled = {(e.class_id, e.student_id, e.starts_on) for e in await w.all(m.Enrollment)}
    members = {(g.group_id, g.student_id, g.starts_on) for g in await w.all(m.GroupMembership)}
    teaching = {(t.group_id, t.teacher_id, t.starts_on)
                for t in await w.all(m.TeacherAssignment)}
    for r in plan.enrollments:
        k = plan.classes[r["classSourcedId"].strip()]
        person = person_of[r["userSourcedId"].strip()]
        year = year_of[plan.class_year[k.sid]]
        begin = date.fromisoformat(r["beginDate"].strip()[:10]) if r["beginDate"].strip() \
            else year.starts_on
        end = date.fromisoformat(r["endDate"].strip()[:10]) if r["endDate"].strip() else None
        student = r["role"].strip() == "student"
        if k.homeroom and student:
            klass = class_of[k.sid]
            if (klass.id, person.id, begin) not in enrolled:
                await w.create(m.Enrollment(class_id=klass.id, student_id=person.id,
                                            starts_on=begin, ends_on=end))
                enrolled.add((klass.id, person.id, begin))
        elif k.homeroom:
            await w.update(class_of[k.sid], class_teacher_id=person.id)
        elif student:
            group = group_of[k.sid]
            if (group.id, person.id, begin) not in members:
                await w.create(m.GroupMembership(group_id=group.id, student_id=person.id,
                                                 starts_on=begin, ends_on=end))
                members.add((group.id, person.id, begin))
        else:
            group = group_of[k.sid]
            if (group.id, person.id, begin) not in teaching:
                await w.create(m.TeacherAssignment(group_id=group.id, teacher_id=person.id,
                                                   starts_on=begin, ends_on=end))
                teaching.add((group.id, person.id, begin))
    await record(session, actor, *w.changes)


async def _run(url: URL, school_id: uuid.UUID, plan: Plan, dry_run: bool) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    engine = create_async_engine(url, pool_size=1)
    try:
        async with app_sessions(engine)() as session:
            await session.begin()
            try:
                await set_tenant_async(session, [school_id])
                if await session.get(m.School, school_id) is None:
                    raise ImportFailed([Problem("--school", None, None,
                                                f"no school with id {school_id}")])
                actor = Actor(account_id=None, person_id=None, token_id=None,
                              request_id=f"oneroster-import-{uuid.uuid4().hex[:12]}")
                await apply(session, school_id, plan, actor, result)
            except BaseException:
                await session.rollback()
                raise
            # a dry run goes through every write (so it finds what the database would
            # refuse) and then throws it away
            await (session.rollback() if dry_run else session.commit())
    finally:
        await engine.dispose()
    return result


def import_oneroster(url: URL, source: Path, school_id: uuid.UUID, *, dry_run: bool = False
                     ) -> ImportResult:
    """Validate the files, then write them into the school in one transaction (as the owner,
    with `zhurnal.school_ids` set to that school)."""
    plan = validate(load(source))
    return asyncio.run(_run(url, school_id, plan, dry_run))
