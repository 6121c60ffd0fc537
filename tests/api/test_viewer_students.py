"""`me.students` (issue 17): for a student and a guardian, each child's school, class and groups
on a day, in one request whose SQL does not grow with the children or their groups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id
from tests.api.test_journal import issue_read_token
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

STUDENTS = """
query Students($on: Date) {
  me {
    students(on: $on) {
      student { id fullName }
      school { id name }
      schoolClass { id name }
      groups { id name kind }
    }
  }
}
"""
SEPTEMBER, JANUARY = date(2015, 9, 1), date(2016, 1, 11)


@dataclass
class Kid:
    id: uuid.UUID
    last_name: str


@dataclass
class Family:
    """One guardian account; its children, and the classes and groups made for them."""

    login: str
    kids: list[Kid] = field(default_factory=list)
    class_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    group_ids: dict[str, uuid.UUID] = field(default_factory=dict)


class Seeder:
    """Classes, groups, children and their guardian, straight into the database as the owner,
    with names of their own (a tag) so that no other test's class or group changes."""

    def __init__(self, s, tag: str) -> None:
        self.s, self.tag = s, tag
        self.letters = iter("БВГДЕЖЗИКЛМН")

    def school_class(self, school: uuid.UUID, year: uuid.UUID, grade: int) -> m.SchoolClass:
        row = m.SchoolClass(school_id=school, id=uuid.uuid4(), academic_year_id=year,
                            grade_level=grade, letter=f"{next(self.letters)}{self.tag[:6]}")
        self.s.add(row)
        self.s.flush()
        return row

    def group(self, school: uuid.UUID, year: uuid.UUID, name: str,
              school_class: m.SchoolClass | None) -> m.StudyGroup:
        subject = self.s.scalars(select(m.Subject.id).where(m.Subject.school_id == school)
                                 ).first()
        kind = m.GroupKind.WHOLE_CLASS if school_class else m.GroupKind.CROSS_CLASS
        row = m.StudyGroup(school_id=school, id=uuid.uuid4(), academic_year_id=year,
                           subject_id=subject, kind=kind, name=f"{name} {self.tag}",
                           class_id=school_class.id if school_class else None,
                           category=None if school_class else "elective")
        self.s.add(row)
        self.s.flush()
        return row

    def person(self, school: uuid.UUID, last_name: str, role: m.SchoolRole,
               account: uuid.UUID | None = None) -> m.Person:
        row = m.Person(school_id=school, id=uuid.uuid4(), account_id=account,
                       last_name=f"{last_name}{self.tag}", first_name="Тест")
        self.s.add(row)
        self.s.flush()
        self.s.add(m.PersonRole(school_id=school, person_id=row.id, role=role))
        return row

    def account(self, login: str) -> uuid.UUID:
        row = m.Account(id=uuid.uuid4(), login=login, password_hash="-")
        self.s.add(row)
        self.s.flush()
        return row.id

    def enroll(self, kid: m.Person, school_class: m.SchoolClass, starts: date,
               ends: date | None = None) -> None:
        self.s.add(m.Enrollment(school_id=kid.school_id, class_id=school_class.id,
                                student_id=kid.id, starts_on=starts, ends_on=ends))

    def join(self, kid: m.Person, group: m.StudyGroup, starts: date,
             ends: date | None = None) -> None:
        self.s.add(m.GroupMembership(school_id=kid.school_id, group_id=group.id,
                                     student_id=kid.id, starts_on=starts, ends_on=ends))


def two_school_family(database: DatabaseUrls, schools: TwoSchools) -> Family:
    """A guardian with a person in both schools: in A two children (one moves class at New
    Year, and leaves an elective then), in B one child."""
    tag = uuid.uuid4().hex[:8]
    family = Family(login=f"family.{tag}")
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        seed = Seeder(s, tag)
        account = seed.account(family.login)
        a, b = schools.a, schools.b
        five, six = seed.school_class(a.id, a.year_id, 5), seed.school_class(a.id, a.year_id, 6)
        five_b = seed.school_class(b.id, b.year_id, 5)
        groups = {"A5 maths": seed.group(a.id, a.year_id, "5 Математика", five),
                  "A6 maths": seed.group(a.id, a.year_id, "6 Математика", six),
                  "A elective": seed.group(a.id, a.year_id, "Электив", None),
                  "B5 maths": seed.group(b.id, b.year_id, "5 Математика", five_b)}
        guardian_a = seed.person(a.id, "Опекунова", m.SchoolRole.GUARDIAN, account)
        guardian_b = seed.person(b.id, "Опекунова", m.SchoolRole.GUARDIAN, account)
        anna = seed.person(a.id, "Аннова", m.SchoolRole.STUDENT)
        boris = seed.person(a.id, "Борисов", m.SchoolRole.STUDENT)
        vera = seed.person(b.id, "Верова", m.SchoolRole.STUDENT)
        s.flush()
        seed.enroll(anna, five, SEPTEMBER)
        seed.join(anna, groups["A5 maths"], SEPTEMBER)
        seed.join(anna, groups["A elective"], SEPTEMBER, date(2015, 12, 31))
        seed.enroll(boris, five, SEPTEMBER, date(2015, 12, 31))
        seed.join(boris, groups["A5 maths"], SEPTEMBER, date(2015, 12, 31))
        seed.enroll(boris, six, date(2016, 1, 1))
        seed.join(boris, groups["A6 maths"], date(2016, 1, 1))
        seed.enroll(vera, five_b, SEPTEMBER)
        seed.join(vera, groups["B5 maths"], SEPTEMBER)
        for guardian, kid in ((guardian_a, anna), (guardian_a, boris), (guardian_b, vera)):
            s.add(m.Guardianship(school_id=kid.school_id, guardian_id=guardian.id,
                                 student_id=kid.id, relation="mother"))
        family.kids = [Kid(k.id, k.last_name) for k in (anna, boris, vera)]
        family.class_ids = {"A5": five.id, "A6": six.id, "B5": five_b.id}
        family.group_ids = {k: g.id for k, g in groups.items()}
    return family


def guardian_of(database: DatabaseUrls, schools: TwoSchools, children: int,
                groups_each: int) -> Family:
    """A guardian in school A of `children` children, each in a class of their own and in
    `groups_each` groups of it."""
    tag = uuid.uuid4().hex[:8]
    family = Family(login=f"parent.{tag}")
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        seed = Seeder(s, tag)
        a = schools.a
        guardian = seed.person(a.id, "Родителев", m.SchoolRole.GUARDIAN,
                               seed.account(family.login))
        for n in range(children):
            school_class = seed.school_class(a.id, a.year_id, 7 + n)
            kid = seed.person(a.id, f"Ребёнков{n}", m.SchoolRole.STUDENT)
            seed.enroll(kid, school_class, SEPTEMBER)
            for g in range(groups_each):
                seed.join(kid, seed.group(a.id, a.year_id, f"Группа {n}.{g}", school_class),
                          SEPTEMBER)
            s.add(m.Guardianship(school_id=a.id, guardian_id=guardian.id, student_id=kid.id))
            family.kids.append(Kid(kid.id, kid.last_name))
    return family


def students(gql, token: str, on: date | None) -> list[dict]:
    body = gql.post(STUDENTS, {"on": on.isoformat() if on else None}, token=token)
    assert "errors" not in body, body
    return body["data"]["me"]["students"]


def gid(type_name: str, value: uuid.UUID) -> str:
    return to_global_id(type_name, value)


def test_a_student_sees_their_own_school_class_and_groups(gql, token_for, schools: TwoSchools
                                                          ) -> None:
    # when
    shown = students(gql, token_for(schools.a.logins["student"]), SEPTEMBER)
    # then
    assert shown == [{
        "student": {"id": gid("Person", schools.a.people["student"]),
                    "fullName": "Studentов A"},
        "school": {"id": gid("School", schools.a.id), "name": schools.a.name},
        "schoolClass": {"id": gid("SchoolClass", schools.a.class_id), "name": "5А"},
        "groups": [{"id": gid("StudyGroup", schools.a.group_id), "name": "5А Математика",
                    "kind": "WHOLE_CLASS"}],
    }]


def test_a_guardian_sees_each_child_in_both_schools_with_class_and_groups_of_the_day(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    family = two_school_family(database, schools)
    anna, boris, vera = family.kids
    token = token_for(family.login)
    # when: in the autumn, and after the New Year when Boris moved class
    autumn = students(gql, token, date(2015, 10, 1))
    winter = students(gql, token, JANUARY)
    # then: by name, each with their own school's class and groups of that day
    def place(rows: list[dict]) -> list[tuple]:
        return [(r["student"]["id"], r["school"]["id"],
                 r["schoolClass"]["id"] if r["schoolClass"] else None,
                 [g["id"] for g in r["groups"]]) for r in rows]

    a, b, c, g = (gid("School", schools.a.id), gid("School", schools.b.id),
                  family.class_ids, family.group_ids)
    assert place(autumn) == [
        (gid("Person", anna.id), a, gid("SchoolClass", c["A5"]),
         [gid("StudyGroup", g["A5 maths"]), gid("StudyGroup", g["A elective"])]),
        (gid("Person", boris.id), a, gid("SchoolClass", c["A5"]),
         [gid("StudyGroup", g["A5 maths"])]),
        (gid("Person", vera.id), b, gid("SchoolClass", c["B5"]),
         [gid("StudyGroup", g["B5 maths"])]),
    ]
    assert place(winter) == [
        (gid("Person", anna.id), a, gid("SchoolClass", c["A5"]),
         [gid("StudyGroup", g["A5 maths"])]),
        (gid("Person", boris.id), a, gid("SchoolClass", c["A6"]),
         [gid("StudyGroup", g["A6 maths"])]),
        (gid("Person", vera.id), b, gid("SchoolClass", c["B5"]),
         [gid("StudyGroup", g["B5 maths"])]),
    ]
    assert autumn[0]["groups"][1]["kind"] == "CROSS_CLASS"


def test_before_the_first_enrollment_a_child_has_no_class_and_no_groups(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    family = two_school_family(database, schools)
    # when
    shown = students(gql, token_for(family.login), date(2015, 8, 1))
    # then: the children are listed, with nothing to navigate to yet
    assert [(r["schoolClass"], r["groups"]) for r in shown] == [(None, [])] * 3


def test_without_a_day_it_is_today_in_each_school(gql, token_for, schools: TwoSchools) -> None:
    # when: the fixture's enrollment and membership never end
    shown = students(gql, token_for(schools.a.logins["guardian"]), None)
    # then
    assert [(r["student"]["fullName"], r["schoolClass"]["name"], len(r["groups"]))
            for r in shown] == [("Studentов A", "5А", 1)]


def test_staff_officers_and_integrator_tokens_have_no_students(
    gql, token_for, schools: TwoSchools
) -> None:
    # given: everyone but students and guardians
    tokens = [token_for(schools.a.logins[role]) for role in ("admin", "teacher",
                                                             "class_teacher")]
    tokens += [token_for(login) for login in schools.officer_logins.values()]
    tokens.append(issue_read_token(gql, token_for, schools))
    # when / then
    for token in tokens:
        assert students(gql, token, SEPTEMBER) == []


def test_a_guardian_sees_nothing_of_the_other_school(gql, token_for, schools: TwoSchools
                                                     ) -> None:
    # when: school A's guardian and school B's student ask
    a_guardian = students(gql, token_for(schools.a.logins["guardian"]), SEPTEMBER)
    b_student = students(gql, token_for(schools.b.logins["student"]), SEPTEMBER)
    # then: each only their own school's child, class and group
    assert [r["student"]["id"] for r in a_guardian] == [gid("Person", schools.a.people["student"])]
    assert [r["school"]["id"] for r in a_guardian] == [gid("School", schools.a.id)]
    assert [r["schoolClass"]["id"] for r in b_student] == [gid("SchoolClass", schools.b.class_id)]
    answer = repr(a_guardian)
    for other in (gid("Person", schools.b.people["student"]), gid("School", schools.b.id),
                  gid("SchoolClass", schools.b.class_id), gid("StudyGroup", schools.b.group_id)):
        assert other not in answer
    assert repr(b_student).count(gid("School", schools.a.id)) == 0


def test_the_sql_does_not_grow_with_children_or_groups(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a guardian of one child in one group; another of four children in three each
    small = guardian_of(database, schools, children=1, groups_each=1)
    large = guardian_of(database, schools, children=4, groups_each=3)
    tokens = {f.login: token_for(f.login) for f in (small, large)}
    for token in tokens.values():
        students(gql, token, SEPTEMBER)  # warm: only the second request of each is counted
    # when
    counts, shown = {}, {}
    for login, token in tokens.items():
        with count_statements() as counter:
            shown[login] = students(gql, token, SEPTEMBER)
        counts[login] = counter.count
    # then
    assert [len(r["groups"]) for r in shown[large.login]] == [3, 3, 3, 3]
    assert len(shown[small.login]) == 1
    assert counts[small.login] == counts[large.login], counts
