"""Two schools with named people, the fixture every isolation test starts from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import URL

from db import models as m
from db.engine import owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password

PASSWORD = "correct horse"


@dataclass
class SchoolFixture:
    id: uuid.UUID
    name: str
    municipality_id: uuid.UUID
    year_id: uuid.UUID = field(default_factory=uuid.uuid4)
    class_id: uuid.UUID = field(default_factory=uuid.uuid4)
    group_id: uuid.UUID = field(default_factory=uuid.uuid4)
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)


@dataclass
class TwoSchools:
    region_id: uuid.UUID
    a: SchoolFixture
    b: SchoolFixture
    officer_logins: dict[str, str] = field(default_factory=dict)


ROLES = {
    "admin": [m.SchoolRole.ADMINISTRATOR],
    "teacher": [m.SchoolRole.TEACHER],
    "class_teacher": [m.SchoolRole.TEACHER],
    "student": [m.SchoolRole.STUDENT],
    "guardian": [m.SchoolRole.GUARDIAN],
}


def seed_two_schools(owner_url: URL) -> TwoSchools:
    digest = hash_password(PASSWORD)
    region = m.Region(id=uuid.uuid4(), code="28", name="Амурская область (тест)")
    muni_a = m.Municipality(id=uuid.uuid4(), region_id=region.id, name="г. Альфа", kind="city")
    muni_b = m.Municipality(id=uuid.uuid4(), region_id=region.id, name="г. Бета", kind="city")
    a = SchoolFixture(uuid.uuid4(), "Гимназия Альфа", muni_a.id)
    b = SchoolFixture(uuid.uuid4(), "Школа Бета", muni_b.id)
    fixture = TwoSchools(region.id, a, b)
    with owner_session(owner_url) as s:
        s.add(region)
        s.flush()
        s.add_all([muni_a, muni_b])
        s.flush()
        for sf in (a, b):
            s.add(m.School(id=sf.id, municipality_id=sf.municipality_id, name=sf.name,
                           short_name=sf.name))
        s.flush()
        set_tenant(s, [a.id, b.id])
        for tag, sf in (("a", a), ("b", b)):
            seed_school(s, sf, tag, digest)
        for tag, reach in (("region", {"region_id": region.id}),
                           ("muni_a", {"municipality_id": muni_a.id})):
            account = m.Account(id=uuid.uuid4(), login=f"officer.{tag}", password_hash=digest)
            s.add(account)
            s.flush()
            s.add(m.OfficerRole(account_id=account.id, **reach))
            fixture.officer_logins[tag] = account.login
    return fixture


def seed_school(s: object, sf: SchoolFixture, tag: str, digest: str) -> None:
    """A school's year, five-point system and named people (logins `<tag>.<role>`); the
    school row itself must exist and the session's tenant must include it."""
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    school = sf.id
    s.add(m.AcademicYear(school_id=school, id=sf.year_id, name="2015/2016",
                         starts_on=date(2015, 9, 1), ends_on=date(2016, 5, 31)))
    subject = m.Subject(school_id=school, id=uuid.uuid4(), name="Математика", short_name="Мат")
    system = m.GradingSystem(school_id=school, id=uuid.uuid4(), name="Пятибалльная",
                             kind=m.GradingKind.NUMERIC, template_code="five_point")
    s.add_all([subject, system])
    s.flush()
    for ordinal, (label, low, high, point, ok) in enumerate(
        [("2", 0, 50, 25, False), ("3", 50, 70, 60, True), ("4", 70, 85, 77.5, True),
         ("5", 85, 100, 92.5, True)], start=1
    ):
        s.add(m.MarkValue(school_id=school, system_id=system.id, label=label, ordinal=ordinal,
                          range_low=Decimal(low), range_high=Decimal(high),
                          point=Decimal(str(point)), counts_as_pass=ok,
                          numeric_value=Decimal(label)))
    for key, roles in ROLES.items():
        login = f"{tag}.{key}"
        account = m.Account(id=uuid.uuid4(), login=login, password_hash=digest)
        s.add(account)
        s.flush()
        person = m.Person(school_id=school, id=uuid.uuid4(), account_id=account.id,
                          last_name=f"{key.title()}ов", first_name=tag.upper(),
                          external_id=login)
        s.add(person)
        s.flush()
        for role in roles:
            s.add(m.PersonRole(school_id=school, person_id=person.id, role=role))
        sf.people[key] = person.id
        sf.logins[key] = login
    s.flush()
    s.add(m.SchoolClass(school_id=school, id=sf.class_id, academic_year_id=sf.year_id,
                        grade_level=5, letter="А", class_teacher_id=sf.people["class_teacher"]))
    s.flush()
    s.add(m.Enrollment(school_id=school, class_id=sf.class_id, student_id=sf.people["student"],
                       starts_on=date(2015, 9, 1)))
    s.add(m.Guardianship(school_id=school, guardian_id=sf.people["guardian"],
                         student_id=sf.people["student"], relation="mother"))
    s.add(m.StudyGroup(school_id=school, id=sf.group_id, academic_year_id=sf.year_id,
                       subject_id=subject.id, kind=m.GroupKind.WHOLE_CLASS, class_id=sf.class_id,
                       name="5А Математика"))
    s.flush()
    s.add(m.GroupMembership(school_id=school, group_id=sf.group_id,
                            student_id=sf.people["student"], starts_on=date(2015, 9, 1)))
    s.add(m.TeacherAssignment(school_id=school, group_id=sf.group_id,
                              teacher_id=sf.people["teacher"], starts_on=date(2015, 9, 1)))
    s.flush()
