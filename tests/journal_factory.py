"""Journal test data: a class with its own teacher, students, guardians and lessons.

Each call makes a new class, so tests never share (or count) each other's rows; the school's
calendar, grading and work types are created once per school and reused.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from db import models as m
from db.engine import owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from tests.factories import PASSWORD, SchoolFixture

_counter = itertools.count(1)
_digest: list[str] = []


@dataclass
class SchoolJournalSetup:
    scheme_id: uuid.UUID
    period_ids: list[uuid.UUID]  # Q1..Q4 of 2015/2016
    system_id: uuid.UUID
    value_ids: dict[str, uuid.UUID]  # "2".."5"
    work_type_ids: dict[str, uuid.UUID]  # "classwork" (weight 1), "test" (weight 2)
    lesson_type_id: uuid.UUID
    subject_id: uuid.UUID


@dataclass
class JournalGroup:
    school: SchoolFixture
    setup: SchoolJournalSetup
    class_id: uuid.UUID
    group_id: uuid.UUID
    teacher_id: uuid.UUID
    teacher_login: str
    students: list[uuid.UUID]
    student_logins: list[str]
    guardian_id: uuid.UUID  # guardian of students[0]
    guardian_login: str
    lesson_ids: list[uuid.UUID] = field(default_factory=list)
    lesson_dates: list[date] = field(default_factory=list)


_setups: dict[uuid.UUID, SchoolJournalSetup] = {}

QUARTERS = [(date(2015, 9, 1), date(2015, 10, 31)), (date(2015, 11, 9), date(2015, 12, 27)),
            (date(2016, 1, 11), date(2016, 3, 20)), (date(2016, 3, 30), date(2016, 5, 31))]


def _setup(s: Session, school: SchoolFixture) -> SchoolJournalSetup:
    if school.id in _setups:
        return _setups[school.id]
    sid = school.id
    scheme = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=school.year_id,
                            name="Четверти (журнал)", kind=m.SchemeKind.QUARTERS)
    s.add(scheme)
    s.flush()
    periods = []
    for n, (start, end) in enumerate(QUARTERS, start=1):
        p = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=scheme.id, ordinal=n,
                     name=f"{n} четверть", starts_on=start, ends_on=end)
        s.add(p)
        periods.append(p.id)
    system_id = s.scalar(select(m.GradingSystem.id).where(m.GradingSystem.school_id == sid,
                                                          m.GradingSystem.name == "Пятибалльная"))
    assert system_id is not None
    values = {label: vid for label, vid in s.execute(select(m.MarkValue.label, m.MarkValue.id)
                                                   .where(m.MarkValue.system_id == system_id))}
    subject = m.Subject(school_id=sid, id=uuid.uuid4(), name="Русский язык (журнал)",
                        short_name="Рус")
    classwork = m.WorkType(school_id=sid, id=uuid.uuid4(), name="Работа на уроке (журнал)",
                           weight=Decimal(1))
    test = m.WorkType(school_id=sid, id=uuid.uuid4(), name="Контрольная работа (журнал)",
                      weight=Decimal(2))
    lesson_type = m.LessonType(school_id=sid, id=uuid.uuid4(), code="journal_lesson",
                               name="Урок")
    s.add_all([subject, classwork, test, lesson_type])
    s.flush()
    s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=school.year_id, grade_level=6,
                             scheme_id=scheme.id))
    s.add(m.GradingSystemUse(school_id=sid, academic_year_id=school.year_id, subject_id=None,
                             grade_level=6, system_id=system_id))
    s.flush()
    setup = SchoolJournalSetup(scheme.id, periods, system_id, values,
                               {"classwork": classwork.id, "test": test.id}, lesson_type.id,
                               subject.id)
    _setups[school.id] = setup
    return setup


def school_days(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def make_journal_group(
    owner_url: URL, school: SchoolFixture, *, students: int, lessons: int,
    first_day: date = date(2015, 9, 1),
) -> JournalGroup:
    """A grade-6 class studying one subject as a whole class, with its own teacher (who has a
    login), `students` students (the first with a login and a guardian with a login) and
    `lessons` lessons on consecutive school days from `first_day`."""
    if not _digest:
        _digest.append(hash_password(PASSWORD))
    n = next(_counter)
    tag = f"{school.logins['admin'].split('.')[0]}.j{n}"
    with owner_session(owner_url) as s:
        set_tenant(s, [school.id])
        setup = _setup(s, school)
        sid = school.id

        def person(key: str, role: m.SchoolRole, *, login: bool) -> tuple[uuid.UUID, str]:
            account_id = None
            name = f"{tag}.{key}"
            if login:
                account = m.Account(id=uuid.uuid4(), login=name, password_hash=_digest[0])
                s.add(account)
                s.flush()
                account_id = account.id
            p = m.Person(school_id=sid, id=uuid.uuid4(), account_id=account_id,
                         last_name=f"Фамилия{key.title()}", first_name=f"Имя{n}",
                         external_id=name)
            s.add(p)
            s.flush()
            s.add(m.PersonRole(school_id=sid, person_id=p.id, role=role))
            return p.id, name

        teacher_id, teacher_login = person("teacher", m.SchoolRole.TEACHER, login=True)
        student_ids, student_logins = [], []
        for i in range(students):
            pid, login = person(f"s{i:02d}", m.SchoolRole.STUDENT, login=(i == 0))
            student_ids.append(pid)
            student_logins.append(login)
        guardian_id, guardian_login = person("parent", m.SchoolRole.GUARDIAN, login=True)
        klass = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=school.year_id,
                              grade_level=6, letter=f"Ж{n}")
        s.add(klass)
        s.flush()
        group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=school.year_id,
                             subject_id=setup.subject_id, kind=m.GroupKind.WHOLE_CLASS,
                             class_id=klass.id, name=f"6Ж{n} Русский язык")
        s.add(group)
        s.flush()
        for pid in student_ids:
            s.add(m.Enrollment(school_id=sid, class_id=klass.id, student_id=pid,
                               starts_on=date(2015, 9, 1)))
            s.add(m.GroupMembership(school_id=sid, group_id=group.id, student_id=pid,
                                    starts_on=date(2015, 9, 1)))
        s.add(m.Guardianship(school_id=sid, guardian_id=guardian_id,
                             student_id=student_ids[0], relation="mother"))
        s.add(m.TeacherAssignment(school_id=sid, group_id=group.id, teacher_id=teacher_id,
                                  starts_on=date(2015, 9, 1)))
        result = JournalGroup(school, setup, klass.id, group.id, teacher_id, teacher_login,
                              student_ids, student_logins, guardian_id, guardian_login)
        for number, day in enumerate(school_days(first_day, lessons), start=1):
            lesson = m.Lesson(school_id=sid, id=uuid.uuid4(), group_id=group.id, date=day,
                              lesson_number=1 + number % 3, lesson_type_id=setup.lesson_type_id,
                              scheduled_teacher_id=teacher_id, actual_teacher_id=teacher_id,
                              status=m.LessonStatus.HELD)
            s.add(lesson)
            result.lesson_ids.append(lesson.id)
            result.lesson_dates.append(day)
        s.flush()
    return result


def transfer(owner_url: URL, from_group: JournalGroup, to_group: JournalGroup,
             student: uuid.UUID, *, last_day: date) -> None:
    """A mid-year move: the student leaves `from_group` after `last_day` and is a member of
    `to_group` from the next day (as roster transfers keep history)."""
    with owner_session(owner_url) as s:
        set_tenant(s, [from_group.school.id])
        s.execute(update(m.GroupMembership)
                  .where(m.GroupMembership.group_id == from_group.group_id,
                         m.GroupMembership.student_id == student)
                  .values(ends_on=last_day))
        s.add(m.GroupMembership(school_id=from_group.school.id, group_id=to_group.group_id,
                                student_id=student, starts_on=last_day + timedelta(days=1)))
