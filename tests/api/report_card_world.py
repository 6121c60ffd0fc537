"""A school year of its own for report-card tests: a grade-7 class on quarters and a grade-10
class on half-years, with subjects taught whole-class, in subgroups (a move between them
mid-year) and in a cross-class group, teachers, a class teacher, students and guardians.

Each call makes a new academic year, so closing and archiving it touches no other test.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from tests.factories import PASSWORD, SchoolFixture

_counter = itertools.count(1)
_digest: list[str] = []

YEAR = (date(2011, 9, 1), date(2012, 5, 31))
QUARTERS = [(date(2011, 9, 1), date(2011, 10, 30)), (date(2011, 11, 7), date(2011, 12, 28)),
            (date(2012, 1, 10), date(2012, 3, 23)), (date(2012, 4, 2), date(2012, 5, 31))]
HALF_YEARS = [(date(2011, 9, 1), date(2011, 12, 28)), (date(2012, 1, 10), date(2012, 5, 31))]
MOVE_DAY = date(2012, 1, 1)  # s7 moves from English subgroup 1 to subgroup 2


@dataclass
class World:
    school: SchoolFixture
    tag: str
    year_id: uuid.UUID
    quarters: list[uuid.UUID]
    half_years: list[uuid.UUID]
    subjects: dict[str, uuid.UUID]  # key -> id; names are "<Name> <tag>"
    subject_names: dict[str, str]
    groups: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]
    logins: dict[str, str]
    work_types: dict[str, uuid.UUID] = field(default_factory=dict)
    five_point_id: uuid.UUID | None = None  # the school's «Пятибалльная», of every subject


def make_world(database: DatabaseUrls, school: SchoolFixture, *, extra_subjects: int = 0
               ) -> World:
    """Grade 7 (quarters): s7 (guardian g7) and s7b (guardian g7b) in class 7 led by ct7;
    algebra (t1), history (t2), English in two subgroups (t3 teaches subgroup 1, t1 subgroup
    2; s7 moves from 1 to 2 on MOVE_DAY). Grade 10 (half-years): s10 in class 10 with physics
    (t2). An astronomy cross-class group (t2) of s7 and s10 takes the youngest class's
    quarters. `extra_subjects` more whole-class subjects of class 7, taught by t1."""
    if not _digest:
        _digest.append(hash_password(PASSWORD))
    n = next(_counter)
    tag = f"rc{n}{uuid.uuid4().hex[:5]}"
    sid = school.id
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        year = m.AcademicYear(school_id=sid, id=uuid.uuid4(), name=f"2011/2012 {tag}",
                              starts_on=YEAR[0], ends_on=YEAR[1])
        s.add(year)
        s.flush()

        def scheme(name: str, kind: m.SchemeKind, spans: list[tuple[date, date]],
                   label: str, grade_level: int) -> list[uuid.UUID]:
            sc = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                name=name, kind=kind)
            s.add(sc)
            s.flush()
            ids = []
            for i, (start, end) in enumerate(spans, start=1):
                p = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=sc.id, ordinal=i,
                             name=f"{i} {label}", starts_on=start, ends_on=end)
                s.add(p)
                ids.append(p.id)
            s.flush()
            s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year.id,
                                     grade_level=grade_level, scheme_id=sc.id))
            return ids

        quarters = scheme("Четверти", m.SchemeKind.QUARTERS, QUARTERS, "четверть", 7)
        half_years = scheme("Полугодия", m.SchemeKind.HALF_YEARS, HALF_YEARS, "полугодие", 10)
        system_id = s.scalar(select(m.GradingSystem.id).where(
            m.GradingSystem.school_id == sid, m.GradingSystem.name == "Пятибалльная"))
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year.id, subject_id=None,
                                 grade_level=None, system_id=system_id))
        names = {"algebra": "Алгебра", "english": "Английский язык", "history": "История",
                 "physics": "Физика", "astronomy": "Астрономия"}
        names |= {f"extra{i}": f"Дополнительный {i}" for i in range(extra_subjects)}
        subjects = {}
        for key, name in names.items():
            subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"{name} {tag}",
                                short_name=name[:3])
            s.add(subject)
            subjects[key] = subject.id
        works = {"classwork": m.WorkType(school_id=sid, id=uuid.uuid4(),
                                         name=f"Работа {tag}", weight=Decimal(1)),
                 "test": m.WorkType(school_id=sid, id=uuid.uuid4(), name=f"Контрольная {tag}",
                                    weight=Decimal(2))}
        s.add_all(works.values())
        s.flush()
        people: dict[str, uuid.UUID] = {}
        logins: dict[str, str] = {}
        roles = {"ct7": m.SchoolRole.TEACHER, "t1": m.SchoolRole.TEACHER,
                 "t2": m.SchoolRole.TEACHER, "t3": m.SchoolRole.TEACHER,
                 "s7": m.SchoolRole.STUDENT, "s7b": m.SchoolRole.STUDENT,
                 "s10": m.SchoolRole.STUDENT, "g7": m.SchoolRole.GUARDIAN,
                 "g7b": m.SchoolRole.GUARDIAN}
        for key, role in roles.items():
            account = m.Account(id=uuid.uuid4(), login=f"{tag}.{key}", password_hash=_digest[0])
            s.add(account)
            s.flush()
            person = m.Person(school_id=sid, id=uuid.uuid4(), account_id=account.id,
                              last_name=f"{key.upper()}ов", first_name=tag,
                              external_id=account.login)
            s.add(person)
            s.flush()
            s.add(m.PersonRole(school_id=sid, person_id=person.id, role=role))
            people[key], logins[key] = person.id, account.login
        s.add(m.Guardianship(school_id=sid, guardian_id=people["g7"], student_id=people["s7"],
                             relation="mother"))
        s.add(m.Guardianship(school_id=sid, guardian_id=people["g7b"],
                             student_id=people["s7b"], relation="father"))
        class7 = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                               grade_level=7, letter="Т", class_teacher_id=people["ct7"])
        class10 = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                grade_level=10, letter="Т")
        s.add_all([class7, class10])
        s.flush()
        for student, klass in (("s7", class7), ("s7b", class7), ("s10", class10)):
            s.add(m.Enrollment(school_id=sid, class_id=klass.id, student_id=people[student],
                               starts_on=YEAR[0]))
        split = m.Split(school_id=sid, id=uuid.uuid4(), class_id=class7.id,
                        subject_id=subjects["english"])
        s.add(split)
        s.flush()
        groups: dict[str, uuid.UUID] = {}

        def group(key: str, subject: str, kind: m.GroupKind, klass: m.SchoolClass | None,
                  teacher: str, members: list[tuple[str, date, date | None]],
                  split_id: uuid.UUID | None = None) -> None:
            g = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                             subject_id=subjects[subject], kind=kind,
                             class_id=klass.id if klass else None, split_id=split_id,
                             name=f"{key} {tag}")
            s.add(g)
            s.flush()
            for student, starts, ends in members:
                s.add(m.GroupMembership(school_id=sid, group_id=g.id,
                                        student_id=people[student], starts_on=starts,
                                        ends_on=ends))
            s.add(m.TeacherAssignment(school_id=sid, group_id=g.id, teacher_id=people[teacher],
                                      starts_on=YEAR[0]))
            groups[key] = g.id

        whole = m.GroupKind.WHOLE_CLASS
        both7 = [("s7", YEAR[0], None), ("s7b", YEAR[0], None)]
        group("algebra7", "algebra", whole, class7, "t1", both7)
        group("history7", "history", whole, class7, "t2", both7)
        before_move = date(MOVE_DAY.year - 1, 12, 31)
        group("english7.1", "english", m.GroupKind.SUBGROUP, class7, "t3",
              [("s7", YEAR[0], before_move), ("s7b", YEAR[0], None)], split.id)
        group("english7.2", "english", m.GroupKind.SUBGROUP, class7, "t1",
              [("s7", MOVE_DAY, None)], split.id)
        group("physics10", "physics", whole, class10, "t2", [("s10", YEAR[0], None)])
        group("astronomy", "astronomy", m.GroupKind.CROSS_CLASS, None, "t2",
              [("s7", YEAR[0], None), ("s10", YEAR[0], None)])
        for i in range(extra_subjects):
            group(f"extra{i}", f"extra{i}", whole, class7, "t1", both7)
        s.flush()
        world = World(school, tag, year.id, quarters, half_years, subjects,
                      {k: f"{v} {tag}" for k, v in names.items()}, groups, people, logins,
                      {k: w.id for k, w in works.items()}, system_id)
    return world


def add_marks_and_grades(database: DatabaseUrls, world: World, student: str,
                         groups: list[str], value_ids: dict[str, uuid.UUID]) -> None:
    """For a statement count: a 4 in every quarter of each group and a period grade for the
    first quarter, straight into the database."""
    sid = world.school.id
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        for key in groups:
            g = s.get_one(m.StudyGroup, (sid, world.groups[key]))
            for start, _ in QUARTERS:
                s.add(m.Mark(school_id=sid, id=uuid.uuid4(), group_id=g.id,
                             student_id=world.people[student], work_date=start,
                             work_type_id=world.work_types["classwork"],
                             value_id=value_ids["4"]))
            s.add(m.Grade(school_id=sid, id=uuid.uuid4(), academic_year_id=world.year_id,
                          student_id=world.people[student], subject_id=g.subject_id,
                          kind=m.GradeKind.PERIOD, period_id=world.quarters[0], group_id=g.id,
                          state=m.GradeState.GRADED, value_id=value_ids["4"]))
