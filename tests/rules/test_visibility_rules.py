"""Which persons a viewer may read (tenants/visibility.py), in process against the real
PostgreSQL of the test run: the filter alone decides, with the transaction scoped to both
schools so that nothing but the filter keeps the other school's people out."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from db.engine import DatabaseUrls, owner_session
from db.models import Person, SchoolRole, TokenScope
from db.tenancy import set_tenant
from tenants.access import ANONYMOUS, AccessContext, SchoolMembership
from tenants.visibility import person_filter, visible_persons
from tests.factories import SchoolFixture, TwoSchools

EVERYONE = {"admin", "teacher", "class_teacher", "student", "guardian"}
STAFF = {"admin", "teacher", "class_teacher"}

ROLE = {"admin": SchoolRole.ADMINISTRATOR, "teacher": SchoolRole.TEACHER,
        "class_teacher": SchoolRole.TEACHER, "student": SchoolRole.STUDENT,
        "guardian": SchoolRole.GUARDIAN}


def viewer(school: SchoolFixture, key: str) -> AccessContext:
    """The seeded person `key` of the school, with the relations the seed gives them."""
    relations: dict[str, frozenset[uuid.UUID]] = {
        "teacher": {"taught_group_ids": frozenset({school.group_id})},
        "class_teacher": {"led_class_ids": frozenset({school.class_id})},
        "guardian": {"child_ids": frozenset({school.people["student"]})},
    }.get(key, {})
    m = SchoolMembership(school_id=school.id, person_id=school.people[key],
                         roles=frozenset({ROLE[key]}), **relations)
    return AccessContext(account_id=uuid.uuid4(), memberships={school.id: m})


@pytest.fixture(scope="module")
def visible(database: DatabaseUrls, schools: TwoSchools):
    """visible(access, staff=True) -> the seeded persons it may read, as "a.key"/"b.key"."""
    names = {pid: f"{tag}.{key}" for tag, sf in (("a", schools.a), ("b", schools.b))
             for key, pid in sf.people.items()}

    def run(access: AccessContext, *, staff: bool = True) -> set[str]:
        with owner_session(database.owner) as s:
            set_tenant(s, [schools.a.id, schools.b.id])
            ids = s.scalars(select(Person.id).where(person_filter(access, staff=staff))).all()
            via_select = {p.id for p in s.scalars(visible_persons(access))} if staff else None
        assert via_select is None or via_select == set(ids)
        return {names[i] for i in ids if i in names}

    return run


def a(*keys: str) -> set[str]:
    return {f"a.{k}" for k in keys}


def test_an_administrator_sees_everyone_in_their_school(visible, schools: TwoSchools) -> None:
    assert visible(viewer(schools.a, "admin")) == a(*EVERYONE)
    assert visible(viewer(schools.a, "admin"), staff=False) == a(*EVERYONE)


def test_a_teacher_sees_the_staff_and_the_students_they_teach(
        visible, schools: TwoSchools) -> None:
    assert visible(viewer(schools.a, "teacher")) == a(*STAFF, "student")
    assert visible(viewer(schools.a, "teacher"), staff=False) == a("teacher", "student")


def test_a_class_teacher_sees_their_class_and_its_guardians(visible, schools: TwoSchools) -> None:
    assert visible(viewer(schools.a, "class_teacher")) == a(*EVERYONE)
    assert visible(viewer(schools.a, "class_teacher"), staff=False) \
        == a("class_teacher", "student", "guardian")


def test_a_student_sees_themselves_and_the_staff(visible, schools: TwoSchools) -> None:
    assert visible(viewer(schools.a, "student")) == a(*STAFF, "student")
    assert visible(viewer(schools.a, "student"), staff=False) == a("student")


def test_a_guardian_sees_themselves_and_their_children(visible, schools: TwoSchools) -> None:
    assert visible(viewer(schools.a, "guardian")) == a(*STAFF, "guardian", "student")
    assert visible(viewer(schools.a, "guardian"), staff=False) == a("guardian", "student")


def test_a_read_token_sees_everyone_of_its_schools_only(visible, schools: TwoSchools) -> None:
    def token(*scopes: TokenScope) -> AccessContext:
        return AccessContext(token_id=uuid.uuid4(), scopes=frozenset(scopes),
                             token_school_ids=frozenset({schools.a.id}))

    assert visible(token(TokenScope.READ)) == a(*EVERYONE)
    assert visible(token(TokenScope.WRITE_JOURNAL, TokenScope.READ_AGGREGATES)) == set()


def test_officers_and_anonymous_see_no_person(visible, schools: TwoSchools) -> None:
    officer = AccessContext(account_id=uuid.uuid4(),
                            officer_region_ids=frozenset({schools.region_id}),
                            officer_school_ids=frozenset({schools.a.id, schools.b.id}))
    assert visible(officer) == set()
    assert visible(ANONYMOUS) == set()


def test_a_member_of_two_schools_sees_each_school_by_their_role_there(
        visible, schools: TwoSchools) -> None:
    both = AccessContext(account_id=uuid.uuid4(), memberships={
        **viewer(schools.a, "student").memberships, **viewer(schools.b, "admin").memberships})
    assert visible(both) == a(*STAFF, "student") | {f"b.{k}" for k in EVERYONE}


def test_relations_match_a_person_in_their_own_school_only(
        database: DatabaseUrls, schools: TwoSchools) -> None:
    """The primary key is (school_id, id): another school may hold a row with the same id (a
    restore, an import). Each relation is joined on the school too, so such a row stays out.
    Written in a transaction that is rolled back."""
    from sqlalchemy.orm import sessionmaker

    from db.engine import owner_engine

    sa, sb = schools.a, schools.b
    with sessionmaker(owner_engine(database.owner))() as s, s.begin():
        set_tenant(s, [sa.id, sb.id])
        for key in ("student", "guardian", "admin"):
            s.add(Person(school_id=sb.id, id=sa.people[key], last_name="Двойник",
                         first_name=key))
        s.flush()

        def seen(access: AccessContext, *, staff: bool) -> set[tuple[uuid.UUID, uuid.UUID]]:
            rows = s.execute(select(Person.school_id, Person.id)
                             .where(person_filter(access, staff=staff))).all()
            return {(r.school_id, r.id) for r in rows}

        twins = {(sb.id, sa.people[k]) for k in ("student", "guardian", "admin")}
        assert not seen(viewer(sa, "teacher"), staff=False) & twins  # taught groups
        assert not seen(viewer(sa, "class_teacher"), staff=False) - {
            (sa.id, sa.people[k]) for k in ("class_teacher", "student", "guardian")}
        # a's administrator has a role in a only: b's row with that id is no staff of b
        assert (sb.id, sa.people["admin"]) not in seen(viewer(sb, "teacher"), staff=True)
        s.rollback()
