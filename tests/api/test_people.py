"""People: the roster query, personal-data field rules, and the audited people mutations."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from db import models as m
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

PEOPLE = """
query People($schoolId: ID!, $role: SchoolRole, $search: String, $first: Int, $after: String) {
  people(schoolId: $schoolId, role: $role, search: $search, first: $first, after: $after) {
    edges { node {
      id lastName firstName fullName birthDate externalId hasAccount login roles
      school { name }
      guardians { relation person { id fullName } }
      children { id fullName }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PEOPLE_FOR_COUNTING = """
query People($schoolId: ID!, $search: String) {
  people(schoolId: $schoolId, search: $search, first: 100) {
    edges { node { fullName roles guardians { person { fullName } } } }
  }
}
"""

PERSON_NODE = """
query Node($id: ID!) {
  node(id: $id) { ... on Person { id fullName birthDate externalId hasAccount login } }
}
"""

ME = """
query { me { login schools { school { name } person { fullName } roles } } }
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { tokens { accessToken } errors { field code message } }
}
"""

PERSON_FIELDS = "id lastName firstName middleName birthDate externalId roles hasAccount login"

CREATE_PERSON = f"""
mutation Create($input: CreatePersonInput!) {{
  createPerson(input: $input) {{ person {{ {PERSON_FIELDS} }} errors {{ field code message }} }}
}}
"""

UPDATE_PERSON = f"""
mutation Update($input: UpdatePersonInput!) {{
  updatePerson(input: $input) {{ person {{ {PERSON_FIELDS} }} errors {{ field code message }} }}
}}
"""

GRANT_ROLE = """
mutation Grant($input: GrantRoleInput!) {
  grantRole(input: $input) { person { id roles } errors { field code message } }
}
"""

REVOKE_ROLE = """
mutation Revoke($input: RevokeRoleInput!) {
  revokeRole(input: $input) { person { id roles } errors { field code message } }
}
"""

LINK_GUARDIAN = """
mutation Link($input: LinkGuardianInput!) {
  linkGuardian(input: $input) {
    guardian { id children { id } }
    student { id guardians { relation person { id } } }
    errors { field code message }
  }
}
"""

UNLINK_GUARDIAN = """
mutation Unlink($input: UnlinkGuardianInput!) {
  unlinkGuardian(input: $input) {
    guardian { id children { id } }
    student { id guardians { person { id } } }
    errors { field code message }
  }
}
"""

SET_PERSON_ACCOUNT = """
mutation SetAccount($input: SetPersonAccountInput!) {
  setPersonAccount(input: $input) {
    person { id hasAccount login }
    errors { field code message }
  }
}
"""

UNBIND_PERSON_ACCOUNT = """
mutation Unbind($input: UnbindPersonAccountInput!) {
  unbindPersonAccount(input: $input) {
    person { id hasAccount login }
    errors { field code message }
  }
}
"""

CREATE_LINK_CODE = """
mutation CreateCode($input: CreateAccountLinkCodeInput!) {
  createAccountLinkCode(input: $input) {
    person { id } code expiresAt
    errors { field code message }
  }
}
"""


# --- helpers -------------------------------------------------------------------------------

def tag() -> str:
    return uuid.uuid4().hex[:8]


def person_gid(person_id: uuid.UUID) -> str:
    return to_global_id("Person", person_id)


def school_gid(school_id: uuid.UUID) -> str:
    return to_global_id("School", school_id)


def add_person(
    database: DatabaseUrls, school_id: uuid.UUID, last_name: str, *roles: m.SchoolRole,
    first_name: str = "Тест", birth_date: date | None = None, group_id: uuid.UUID | None = None,
    class_id: uuid.UUID | None = None, children: tuple[uuid.UUID, ...] = (),
    login: str | None = None, password: str = "a long password",
) -> uuid.UUID:
    """A person written directly as the owner: the given of a test, not what it tests."""
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        account_id = None
        if login is not None:
            account_id = uuid.uuid4()
            s.add(m.Account(id=account_id, login=login, password_hash=hash_password(password)))
            s.flush()
        person = m.Person(school_id=school_id, id=uuid.uuid4(), last_name=last_name,
                          first_name=first_name, birth_date=birth_date, account_id=account_id)
        s.add(person)
        s.flush()
        for role in roles:
            s.add(m.PersonRole(school_id=school_id, person_id=person.id, role=role))
        if group_id is not None:
            s.add(m.GroupMembership(school_id=school_id, group_id=group_id,
                                    student_id=person.id, starts_on=date(2015, 9, 1)))
        if class_id is not None:
            s.add(m.Enrollment(school_id=school_id, class_id=class_id, student_id=person.id,
                               starts_on=date(2015, 9, 1)))
        for child in children:
            s.add(m.Guardianship(school_id=school_id, guardian_id=person.id, student_id=child,
                                 relation="отец"))
        return person.id


def owner_query(database: DatabaseUrls, school_id: uuid.UUID, sql: str,
                params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(school_id),))
        return conn.execute(sql, {"school": school_id, **(params or {})}).fetchall()


def school_state(database: DatabaseUrls, school_id: uuid.UUID) -> tuple[Any, ...]:
    """A fingerprint of everything the people mutations could write in a school."""
    return owner_query(database, school_id, """
        SELECT (SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) FROM persons p
                 WHERE p.school_id = %(school)s),
               (SELECT md5(string_agg(r::text, ',' ORDER BY r.id)) FROM person_roles r
                 WHERE r.school_id = %(school)s),
               (SELECT md5(string_agg(g::text, ',' ORDER BY g.id)) FROM guardianships g
                 WHERE g.school_id = %(school)s),
               (SELECT count(*) FROM audit_log WHERE school_id = %(school)s),
               (SELECT count(*) FROM account_link_codes WHERE school_id = %(school)s),
               (SELECT count(*) FROM accounts)
    """)[0]


def audit_rows(database: DatabaseUrls, school_id: uuid.UUID, entity: str,
               entity_id: uuid.UUID | str) -> list[tuple[str, Any, Any, Any]]:
    return owner_query(database, school_id, """
        SELECT action, before, after, actor_person_id FROM audit_log
         WHERE school_id = %(school)s AND entity = %(entity)s AND entity_id = %(id)s
         ORDER BY seq
    """, {"entity": entity, "id": uuid.UUID(str(entity_id))})


def list_people(gql, token: str, school_id: uuid.UUID, **filters: Any) -> list[dict]:
    """Every page of `people`, as one list."""
    nodes: list[dict] = []
    after = None
    while True:
        body = gql.post(PEOPLE, {"schoolId": school_gid(school_id), "first": 100,
                                 "after": after, **filters}, token=token)
        assert "errors" not in body, body
        page = body["data"]["people"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def ids_of(nodes: list[dict]) -> set[str]:
    return {n["id"] for n in nodes}


def payload(body: dict, key: str) -> dict:
    assert "errors" not in body, body
    return body["data"][key]


NON_ADMINS = ["teacher", "class_teacher", "student", "guardian", "officer", "b_admin"]


def login_of(schools: TwoSchools, who: str) -> str:
    if who == "officer":
        return schools.officer_logins["region"]
    if who == "b_admin":
        return schools.b.logins["admin"]
    return schools.a.logins[who]


@dataclass
class OwnSchool:
    """A school of this module's own, so its classes and groups disturb no other test: one
    administrator, a subject teacher of group `taught`, a class teacher of `class_id`, and a
    group `untaught` that nobody here teaches."""

    id: uuid.UUID
    logins: dict[str, str]
    people: dict[str, uuid.UUID]
    class_id: uuid.UUID
    taught: uuid.UUID
    untaught: uuid.UUID


def make_school(database: DatabaseUrls, schools: TwoSchools) -> OwnSchool:
    school_id, mark = uuid.uuid4(), tag()
    with owner_session(database.owner) as s:
        s.add(m.School(id=school_id, municipality_id=schools.a.municipality_id,
                       name=f"Школа раздела «люди» {mark}", short_name=f"Люди {mark}"))
    logins = {k: f"{k}.{mark}" for k in ("admin", "teacher", "class_teacher")}
    people = {
        "admin": add_person(database, school_id, "Директоров", m.SchoolRole.ADMINISTRATOR,
                            login=logins["admin"]),
        "teacher": add_person(database, school_id, "Предметников", m.SchoolRole.TEACHER,
                              login=logins["teacher"]),
        "class_teacher": add_person(database, school_id, "Классов", m.SchoolRole.TEACHER,
                                    login=logins["class_teacher"]),
    }
    year_id, subject_id, class_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    taught, untaught = uuid.uuid4(), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        s.add(m.AcademicYear(school_id=school_id, id=year_id, name="2015/2016",
                             starts_on=date(2015, 9, 1), ends_on=date(2016, 5, 31)))
        s.add(m.Subject(school_id=school_id, id=subject_id, name="Физика", short_name="Физ"))
        s.flush()
        s.add(m.SchoolClass(school_id=school_id, id=class_id, academic_year_id=year_id,
                            grade_level=7, letter="Б",
                            class_teacher_id=people["class_teacher"]))
        s.flush()
        for group_id, name in ((taught, "Физика, профиль"), (untaught, "Физика, факультатив")):
            s.add(m.StudyGroup(school_id=school_id, id=group_id, academic_year_id=year_id,
                               subject_id=subject_id, kind=m.GroupKind.CROSS_CLASS, name=name))
        s.flush()
        s.add(m.TeacherAssignment(school_id=school_id, group_id=taught,
                                  teacher_id=people["teacher"], starts_on=date(2015, 9, 1)))
    return OwnSchool(school_id, logins, people, class_id, taught, untaught)


@pytest.fixture(scope="module")
def own_school(database: DatabaseUrls, schools: TwoSchools) -> OwnSchool:
    return make_school(database, schools)


@pytest.fixture(scope="module")
def lone_school(database: DatabaseUrls, schools: TwoSchools) -> OwnSchool:
    """Another own school, whose administrator stays the only one."""
    return make_school(database, schools)


# --- people: who sees whom -----------------------------------------------------------------

def test_people_of_a_teacher_are_colleagues_and_their_students_only(
    gql, token_for, database: DatabaseUrls, own_school: OwnSchool
) -> None:
    # given
    school = own_school
    taught = add_person(database, school.id, f"Учимов{tag()}", m.SchoolRole.STUDENT,
                        group_id=school.taught)
    untaught = add_person(database, school.id, f"Чужов{tag()}", m.SchoolRole.STUDENT,
                          group_id=school.untaught)
    parent = add_person(database, school.id, f"Родителев{tag()}", m.SchoolRole.GUARDIAN,
                        children=(taught,))
    # when
    nodes = list_people(gql, token_for(school.logins["teacher"]), school.id)
    # then
    assert ids_of(nodes) >= {person_gid(school.people[k])
                             for k in ("admin", "teacher", "class_teacher")}
    assert person_gid(taught) in ids_of(nodes)
    assert person_gid(untaught) not in ids_of(nodes)
    assert person_gid(parent) not in ids_of(nodes)
    assert all(n["school"]["name"].startswith("Школа раздела") for n in nodes)


def test_people_of_a_teacher_of_the_seeded_school_include_the_student_they_teach(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    a = schools.a
    loner = add_person(database, a.id, f"Безгруппов{tag()}", m.SchoolRole.STUDENT)
    # when
    seen = ids_of(list_people(gql, token_for(a.logins["teacher"]), a.id))
    # then
    assert person_gid(a.people["student"]) in seen and person_gid(a.people["admin"]) in seen
    assert person_gid(loner) not in seen


def test_people_of_a_guardian_are_their_child_and_the_staff(
    gql, token_for, database: DatabaseUrls, own_school: OwnSchool
) -> None:
    # given
    school = own_school
    child = add_person(database, school.id, f"Детов{tag()}", m.SchoolRole.STUDENT,
                       group_id=school.taught)
    classmate = add_person(database, school.id, f"Другов{tag()}", m.SchoolRole.STUDENT,
                           group_id=school.taught)
    login = f"guardian.{tag()}"
    guardian = add_person(database, school.id, f"Мамин{tag()}", m.SchoolRole.GUARDIAN,
                          children=(child,), login=login)
    # when
    nodes = list_people(gql, token_for(login), school.id)
    # then
    assert ids_of(nodes) == {person_gid(p) for p in (child, guardian, *school.people.values())}
    assert person_gid(classmate) not in ids_of(nodes)


def test_people_of_an_officer_is_empty(gql, token_for, schools: TwoSchools) -> None:
    # when
    nodes = list_people(gql, token_for(schools.officer_logins["region"]), schools.a.id)
    # then
    assert nodes == []


def test_people_of_another_school_is_empty(gql, token_for, schools: TwoSchools) -> None:
    # when
    nodes = list_people(gql, token_for(schools.b.logins["admin"]), schools.a.id)
    # then
    assert nodes == []


def test_people_of_an_administrator_include_everyone_with_roles_and_guardians(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    a = schools.a
    loner = add_person(database, a.id, f"Одиноков{tag()}", m.SchoolRole.STUDENT)
    # when
    nodes = {n["id"]: n for n in list_people(gql, token_for(a.logins["admin"]), a.id)}
    # then
    assert person_gid(loner) in nodes
    student = nodes[person_gid(a.people["student"])]
    assert student["roles"] == ["STUDENT"]
    assert student["guardians"] == [{"relation": "mother",
                                     "person": {"id": person_gid(a.people["guardian"]),
                                                "fullName": "Guardianов A"}}]
    guardian = nodes[person_gid(a.people["guardian"])]
    assert [c["id"] for c in guardian["children"]] == [person_gid(a.people["student"])]
    assert student["externalId"] == a.logins["student"]
    assert student["hasAccount"] is True and student["login"] == a.logins["student"]


def test_people_are_ordered_by_name_and_paged(gql, token_for, database: DatabaseUrls,
                                              schools: TwoSchools) -> None:
    # given
    prefix = f"Порядков{tag()}"
    for last, first in (("Б", "Яна"), ("А", "Юрий"), ("А", "Борис")):
        add_person(database, schools.a.id, prefix + last, m.SchoolRole.STUDENT,
                   first_name=first)
    token = token_for(schools.a.logins["admin"])
    # when
    first_page = gql.post(PEOPLE, {"schoolId": school_gid(schools.a.id), "search": prefix,
                                   "first": 2}, token=token)["data"]["people"]
    rest = gql.post(PEOPLE, {"schoolId": school_gid(schools.a.id), "search": prefix,
                             "first": 2, "after": first_page["pageInfo"]["endCursor"]},
                    token=token)["data"]["people"]
    # then
    names = [e["node"]["fullName"] for e in first_page["edges"] + rest["edges"]]
    assert names == [f"{prefix}А Борис", f"{prefix}А Юрий", f"{prefix}Б Яна"]
    assert first_page["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]


def test_people_search_matches_the_start_of_last_or_first_name_in_any_case(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    mark = tag()
    by_last = add_person(database, schools.a.id, f"Поисков{mark}", m.SchoolRole.STUDENT)
    by_first = add_person(database, schools.a.id, "Иной", m.SchoolRole.STUDENT,
                          first_name=f"Поисков{mark}")
    inside = add_person(database, schools.a.id, f"Непоисков{mark}", m.SchoolRole.STUDENT)
    token = token_for(schools.a.logins["admin"])
    # when
    found = ids_of(list_people(gql, token, schools.a.id, search=f"  пОИСКОВ{mark.upper()} "))
    wildcard = list_people(gql, token, schools.a.id, search="%")
    # then
    assert found == {person_gid(by_last), person_gid(by_first)}
    assert person_gid(inside) not in found
    assert wildcard == []


def test_people_filtered_by_role(gql, token_for, database: DatabaseUrls,
                                 schools: TwoSchools) -> None:
    # given
    prefix = f"Ролев{tag()}"
    teacher = add_person(database, schools.a.id, prefix, m.SchoolRole.TEACHER)
    add_person(database, schools.a.id, prefix, m.SchoolRole.STUDENT)
    # when
    nodes = list_people(gql, token_for(schools.a.logins["admin"]), schools.a.id,
                        search=prefix, role="TEACHER")
    # then
    assert ids_of(nodes) == {person_gid(teacher)}


def test_people_with_a_malformed_school_id_names_the_argument(gql, token_for,
                                                              schools: TwoSchools) -> None:
    # when
    body = gql.post(PEOPLE, {"schoolId": person_gid(schools.a.people["admin"])},
                    token=token_for(schools.a.logins["admin"]))
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                               "argument": "schoolId"}


def test_people_without_a_token_is_unauthenticated(gql, schools: TwoSchools) -> None:
    body = gql.post(PEOPLE, {"schoolId": school_gid(schools.a.id)})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_people_statement_count_does_not_grow_with_the_number_of_people(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    prefix = f"Счётов{tag()}"
    token = token_for(schools.a.logins["admin"])

    def add(n: int) -> None:
        for i in range(n):
            student = add_person(database, schools.a.id, f"{prefix}{i:02d}{tag()}",
                                 m.SchoolRole.STUDENT)
            add_person(database, schools.a.id, f"Опекунов{tag()}", m.SchoolRole.GUARDIAN,
                       children=(student,))

    def run() -> tuple[int, int]:
        with count_statements() as counter:
            body = gql.post(PEOPLE_FOR_COUNTING, {"schoolId": school_gid(schools.a.id),
                                                  "search": prefix}, token=token)
        assert "errors" not in body, body
        edges = body["data"]["people"]["edges"]
        assert all(len(e["node"]["guardians"]) == 1 for e in edges)
        return len(edges), counter.count

    # when
    add(3)
    three = run()
    add(6)
    nine = run()
    # then
    assert three[0] == 3 and nine[0] == 9
    assert three[1] == nine[1], (three, nine)


# --- personal data fields ------------------------------------------------------------------

def test_birth_date_is_shown_to_the_class_teacher_and_hidden_from_a_subject_teacher(
    gql, token_for, database: DatabaseUrls, own_school: OwnSchool
) -> None:
    # given
    school = own_school
    born = date(2005, 3, 14)
    student = add_person(database, school.id, f"Рождёнов{tag()}", m.SchoolRole.STUDENT,
                         birth_date=born, group_id=school.taught, class_id=school.class_id)
    guardian_login = f"guardian.{tag()}"
    add_person(database, school.id, f"Родителев{tag()}", m.SchoolRole.GUARDIAN,
               children=(student,), login=guardian_login)

    def seen_by(login: str) -> dict:
        body = gql.post(PERSON_NODE, {"id": person_gid(student)}, token=token_for(login))
        assert "errors" not in body, body
        return body["data"]["node"]

    # when
    by_teacher = seen_by(school.logins["teacher"])
    by_class_teacher = seen_by(school.logins["class_teacher"])
    by_guardian = seen_by(guardian_login)
    by_admin = seen_by(school.logins["admin"])
    # then
    assert by_teacher["fullName"].startswith("Рождёнов") and by_teacher["birthDate"] is None
    assert by_class_teacher["birthDate"] == born.isoformat()
    assert by_guardian["birthDate"] == born.isoformat()
    assert by_admin["birthDate"] == born.isoformat()


def test_external_id_and_account_are_hidden_from_staff_and_shown_to_self(
    gql, token_for, schools: TwoSchools
) -> None:
    # given
    a = schools.a
    colleague = person_gid(a.people["class_teacher"])
    # when
    by_teacher = gql.post(PERSON_NODE, {"id": colleague},
                          token=token_for(a.logins["teacher"]))["data"]["node"]
    by_self = gql.post(PERSON_NODE, {"id": colleague},
                       token=token_for(a.logins["class_teacher"]))["data"]["node"]
    by_admin = gql.post(PERSON_NODE, {"id": colleague},
                        token=token_for(a.logins["admin"]))["data"]["node"]
    # then
    assert by_teacher["externalId"] is None
    assert by_teacher["hasAccount"] is None and by_teacher["login"] is None
    assert by_self["externalId"] is None
    assert by_self["hasAccount"] is True and by_self["login"] == a.logins["class_teacher"]
    assert by_admin["externalId"] == a.logins["class_teacher"]
    assert by_admin["login"] == a.logins["class_teacher"]


# --- createPerson --------------------------------------------------------------------------

def test_create_person_by_the_administrator_writes_the_person_roles_and_audit(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    ext = f"ext-{tag()}"
    variables = {"input": {"schoolId": school_gid(schools.a.id), "lastName": "  Новиков ",
                           "firstName": "Пётр", "middleName": " ", "birthDate": "2006-01-02",
                           "externalId": ext, "roles": ["STUDENT", "STUDENT"]}}
    # when
    result = payload(gql.post(CREATE_PERSON, variables,
                              token=token_for(schools.a.logins["admin"])), "createPerson")
    # then
    assert result["errors"] == []
    person = result["person"]
    assert person["lastName"] == "Новиков" and person["middleName"] is None
    assert person["birthDate"] == "2006-01-02" and person["externalId"] == ext
    assert person["roles"] == ["STUDENT"] and person["hasAccount"] is False
    person_id = uuid.UUID(_node_id(person["id"]))
    [(action, before, after, actor)] = audit_rows(database, schools.a.id, "persons", person_id)
    assert action == "create" and before is None and after["last_name"] == "Новиков"
    assert actor == schools.a.people["admin"]
    roles = owner_query(database, schools.a.id, """
        SELECT a.action FROM audit_log a JOIN person_roles r
          ON r.school_id = a.school_id AND r.id = a.entity_id
         WHERE a.school_id = %(school)s AND a.entity = 'person_roles' AND r.person_id = %(p)s
    """, {"p": person_id})
    assert roles == [("create",)]


def _node_id(global_id: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


def test_create_person_with_bad_input_names_every_field_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    before = school_state(database, schools.a.id)
    variables = {"input": {
        "schoolId": school_gid(schools.a.id), "lastName": "   ", "firstName": "Я" * 101,
        "birthDate": (date.today() + timedelta(days=2)).isoformat(),
        "externalId": schools.a.logins["student"], "roles": []}}
    # when
    result = payload(gql.post(CREATE_PERSON, variables,
                              token=token_for(schools.a.logins["admin"])), "createPerson")
    # then
    assert result["person"] is None
    codes = {e["field"]: e["code"] for e in result["errors"]}
    assert codes == {"input.lastName": "REQUIRED", "input.firstName": "INVALID",
                     "input.birthDate": "OUT_OF_RANGE", "input.externalId": "DUPLICATE",
                     "input.roles": "REQUIRED"}
    assert school_state(database, schools.a.id) == before


def test_create_person_born_before_1900_is_out_of_range(gql, token_for,
                                                        schools: TwoSchools) -> None:
    variables = {"input": {"schoolId": school_gid(schools.a.id), "lastName": "Старов",
                           "firstName": "Ной", "birthDate": "1899-12-31",
                           "roles": ["GUARDIAN"]}}
    result = payload(gql.post(CREATE_PERSON, variables,
                              token=token_for(schools.a.logins["admin"])), "createPerson")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.birthDate", "OUT_OF_RANGE")]


# --- refusals, for every mutation ----------------------------------------------------------

def _refusal_case(name: str, database: DatabaseUrls, schools: TwoSchools
                  ) -> tuple[str, dict, str]:
    a = schools.a

    def student() -> uuid.UUID:
        return add_person(database, a.id, f"Целев{tag()}", m.SchoolRole.STUDENT)

    def guardian(*children: uuid.UUID) -> uuid.UUID:
        return add_person(database, a.id, f"Опекунов{tag()}", m.SchoolRole.GUARDIAN,
                          children=children)

    cases: dict[str, Callable[[], tuple[str, dict, str]]] = {
        "createPerson": lambda: (CREATE_PERSON, {"input": {
            "schoolId": school_gid(a.id), "lastName": "Отказов", "firstName": "Тест",
            "roles": ["ADMINISTRATOR"]}}, "createPerson"),
        "updatePerson": lambda: (UPDATE_PERSON, {"input": {
            "id": person_gid(student()), "lastName": "Изменёнов"}}, "updatePerson"),
        "grantRole": lambda: (GRANT_ROLE, {"input": {
            "personId": person_gid(student()), "role": "ADMINISTRATOR"}}, "grantRole"),
        "revokeRole": lambda: (REVOKE_ROLE, {"input": {
            "personId": person_gid(student()), "role": "STUDENT"}}, "revokeRole"),
        "linkGuardian": lambda: (LINK_GUARDIAN, {"input": {
            "guardianId": person_gid(guardian()), "studentId": person_gid(student())}},
            "linkGuardian"),
        "unlinkGuardian": lambda: _unlink_case(student, guardian),
        "setPersonAccount": lambda: (SET_PERSON_ACCOUNT, {"input": {
            "personId": person_gid(student()), "login": f"refused.{tag()}",
            "password": "a long password"}}, "setPersonAccount"),
        "unbindPersonAccount": lambda: (UNBIND_PERSON_ACCOUNT, {"input": {
            "personId": person_gid(add_person(database, a.id, f"Привязов{tag()}",
                                              m.SchoolRole.STUDENT, login=f"bound.{tag()}"))}},
            "unbindPersonAccount"),
        "createAccountLinkCode": lambda: (CREATE_LINK_CODE, {"input": {
            "personId": person_gid(student())}}, "createAccountLinkCode"),
    }
    return cases[name]()


def _unlink_case(student: Callable[[], uuid.UUID], guardian: Callable[..., uuid.UUID]
                 ) -> tuple[str, dict, str]:
    child = student()
    return (UNLINK_GUARDIAN, {"input": {"guardianId": person_gid(guardian(child)),
                                        "studentId": person_gid(child)}}, "unlinkGuardian")


MUTATIONS = ["createPerson", "updatePerson", "grantRole", "revokeRole", "linkGuardian",
             "unlinkGuardian", "setPersonAccount", "unbindPersonAccount",
             "createAccountLinkCode"]


@pytest.mark.parametrize("who", NON_ADMINS)
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_people_mutation_by_anyone_but_the_school_administrator_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, mutation: str, who: str
) -> None:
    # given
    document, variables, key = _refusal_case(mutation, database, schools)
    before = school_state(database, schools.a.id)
    # when
    result = payload(gql.post(document, variables, token=token_for(login_of(schools, who))),
                     key)
    # then
    [error] = result["errors"]
    if who in ("officer", "b_admin"):
        # Another school's ids, and a school the viewer is not in, look like missing ones.
        assert error["code"] == "NOT_FOUND", error
    elif mutation == "createPerson":
        assert (error["field"], error["code"]) == ("input.schoolId", "FORBIDDEN")
    else:
        # The target is a person these viewers may not even see.
        assert error["code"] == "NOT_FOUND", error
    assert school_state(database, schools.a.id) == before


def test_create_person_by_the_administrator_of_another_school_is_not_found(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    before = school_state(database, schools.a.id)
    variables = {"input": {"schoolId": school_gid(schools.a.id), "lastName": "Чужаков",
                           "firstName": "Б", "roles": ["STUDENT"]}}
    # when
    result = payload(gql.post(CREATE_PERSON, variables,
                              token=token_for(schools.b.logins["admin"])), "createPerson")
    # then
    assert result["person"] is None
    assert result["errors"] == [{"field": "input.schoolId", "code": "NOT_FOUND",
                                 "message": "no such school"}]
    assert school_state(database, schools.a.id) == before


def test_update_person_of_a_visible_colleague_by_a_teacher_is_forbidden(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    before = school_state(database, schools.a.id)
    variables = {"input": {"id": person_gid(schools.a.people["class_teacher"]),
                           "lastName": "Подменов"}}
    # when
    result = payload(gql.post(UPDATE_PERSON, variables,
                              token=token_for(schools.a.logins["teacher"])), "updatePerson")
    # then
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.id", "FORBIDDEN")]
    assert school_state(database, schools.a.id) == before


def test_update_person_with_a_missing_id_and_another_schools_id_answer_alike(
    gql, token_for, schools: TwoSchools
) -> None:
    token = token_for(schools.b.logins["admin"])
    missing = payload(gql.post(UPDATE_PERSON, {"input": {
        "id": person_gid(uuid.uuid4()), "lastName": "Х"}}, token=token), "updatePerson")
    foreign = payload(gql.post(UPDATE_PERSON, {"input": {
        "id": person_gid(schools.a.people["student"]), "lastName": "Х"}}, token=token),
        "updatePerson")
    assert missing["errors"] == foreign["errors"] == [
        {"field": "input.id", "code": "NOT_FOUND", "message": "no such person"}]


# --- updatePerson --------------------------------------------------------------------------

def test_update_person_changes_given_fields_only_and_audits_before_and_after(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, "Прежнев", m.SchoolRole.STUDENT,
                        first_name="Иван", birth_date=date(2007, 5, 6))
    ext = f"upd-{tag()}"
    # when
    result = payload(gql.post(UPDATE_PERSON, {"input": {
        "id": person_gid(person), "lastName": "Новый", "middleName": "Петрович",
        "externalId": ext, "birthDate": None}}, token=token_for(schools.a.logins["admin"])),
        "updatePerson")
    # then
    assert result["errors"] == []
    p = result["person"]
    assert (p["lastName"], p["firstName"], p["middleName"]) == ("Новый", "Иван", "Петрович")
    assert p["externalId"] == ext and p["birthDate"] is None
    [(action, before, after, _)] = audit_rows(database, schools.a.id, "persons", person)
    assert action == "update"
    assert before["last_name"] == "Прежнев" and after["last_name"] == "Новый"
    assert before["birth_date"] == "2007-05-06" and after["birth_date"] is None


def test_update_person_with_bad_input_names_the_fields_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, "Твердов", m.SchoolRole.STUDENT)
    before = school_state(database, schools.a.id)
    # when
    result = payload(gql.post(UPDATE_PERSON, {"input": {
        "id": person_gid(person), "lastName": None, "firstName": "Ок",
        "externalId": schools.a.logins["teacher"], "birthDate": "1850-01-01"}},
        token=token_for(schools.a.logins["admin"])), "updatePerson")
    # then
    assert result["person"] is None
    assert {e["field"]: e["code"] for e in result["errors"]} == {
        "input.lastName": "REQUIRED", "input.externalId": "DUPLICATE",
        "input.birthDate": "OUT_OF_RANGE"}
    assert school_state(database, schools.a.id) == before


def test_update_person_with_an_id_of_another_type_is_invalid(gql, token_for,
                                                             schools: TwoSchools) -> None:
    result = payload(gql.post(UPDATE_PERSON, {"input": {
        "id": school_gid(schools.a.id), "lastName": "Х"}},
        token=token_for(schools.a.logins["admin"])), "updatePerson")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.id", "INVALID")]


# --- grantRole / revokeRole ----------------------------------------------------------------

def test_grant_and_revoke_role_change_the_roles_and_audit(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, f"Ролин{tag()}", m.SchoolRole.TEACHER)
    token = token_for(schools.a.logins["admin"])
    variables = {"input": {"personId": person_gid(person), "role": "GUARDIAN"}}
    # when
    granted = payload(gql.post(GRANT_ROLE, variables, token=token), "grantRole")
    again = payload(gql.post(GRANT_ROLE, variables, token=token), "grantRole")
    revoked = payload(gql.post(REVOKE_ROLE, variables, token=token), "revokeRole")
    missing = payload(gql.post(REVOKE_ROLE, variables, token=token), "revokeRole")
    # then
    assert granted["errors"] == [] and granted["person"]["roles"] == ["GUARDIAN", "TEACHER"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.role", "DUPLICATE")]
    assert revoked["errors"] == [] and revoked["person"]["roles"] == ["TEACHER"]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("input.role", "NOT_FOUND")]
    actions = owner_query(database, schools.a.id, """
        SELECT action, row->>'role' FROM audit_log,
               LATERAL (SELECT CASE action WHEN 'delete' THEN before ELSE after END) AS r(row)
         WHERE school_id = %(school)s AND entity = 'person_roles'
           AND row->>'person_id' = %(p)s ORDER BY seq
    """, {"p": str(person)})
    assert actions == [("create", "guardian"), ("delete", "guardian")]


def test_revoke_role_of_the_last_administrator_is_refused(
    gql, token_for, database: DatabaseUrls, lone_school: OwnSchool
) -> None:
    # given
    before = school_state(database, lone_school.id)
    token = token_for(lone_school.logins["admin"])
    # when
    variables = {"input": {"personId": person_gid(lone_school.people["admin"]),
                           "role": "ADMINISTRATOR"}}
    result = payload(gql.post(REVOKE_ROLE, variables, token=token), "revokeRole")
    # then
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.role", "INVALID")]
    assert school_state(database, lone_school.id) == before


def test_revoke_role_of_an_administrator_when_another_remains_succeeds(
    gql, token_for, database: DatabaseUrls, lone_school: OwnSchool
) -> None:
    # given
    deputy = add_person(database, lone_school.id, "Заместителев", m.SchoolRole.ADMINISTRATOR)
    token = token_for(lone_school.logins["admin"])
    # when
    result = payload(gql.post(REVOKE_ROLE, {"input": {
        "personId": person_gid(deputy), "role": "ADMINISTRATOR"}}, token=token), "revokeRole")
    # then
    assert result["errors"] == [] and result["person"]["roles"] == []


# --- linkGuardian / unlinkGuardian ---------------------------------------------------------

def test_link_and_unlink_guardian_change_the_links_and_audit(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    a = schools.a
    student = add_person(database, a.id, f"Сынов{tag()}", m.SchoolRole.STUDENT)
    guardian = add_person(database, a.id, f"Отцов{tag()}", m.SchoolRole.GUARDIAN)
    token = token_for(a.logins["admin"])
    ids = {"guardianId": person_gid(guardian), "studentId": person_gid(student)}
    # when
    linked = payload(gql.post(LINK_GUARDIAN, {"input": {**ids, "relation": " отец "}},
                              token=token), "linkGuardian")
    duplicate = payload(gql.post(LINK_GUARDIAN, {"input": ids}, token=token), "linkGuardian")
    unlinked = payload(gql.post(UNLINK_GUARDIAN, {"input": ids}, token=token),
                       "unlinkGuardian")
    gone = payload(gql.post(UNLINK_GUARDIAN, {"input": ids}, token=token), "unlinkGuardian")
    # then
    assert linked["errors"] == []
    assert linked["guardian"]["children"] == [{"id": person_gid(student)}]
    assert linked["student"]["guardians"] == [{"relation": "отец",
                                               "person": {"id": person_gid(guardian)}}]
    assert [(e["field"], e["code"]) for e in duplicate["errors"]] == [
        ("input.studentId", "DUPLICATE")]
    assert unlinked["errors"] == [] and unlinked["student"]["guardians"] == []
    assert [(e["field"], e["code"]) for e in gone["errors"]] == [
        ("input.studentId", "NOT_FOUND")]
    actions = owner_query(database, a.id, """
        SELECT action FROM audit_log,
               LATERAL (SELECT CASE action WHEN 'delete' THEN before ELSE after END) AS r(row)
         WHERE school_id = %(school)s AND entity = 'guardianships'
           AND row->>'guardian_id' = %(g)s ORDER BY seq
    """, {"g": str(guardian)})
    assert actions == [("create",), ("delete",)]


def test_link_guardian_without_the_roles_names_both_fields_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    a = schools.a
    not_a_guardian = add_person(database, a.id, f"Учителев{tag()}", m.SchoolRole.TEACHER)
    not_a_student = add_person(database, a.id, f"Взрослов{tag()}", m.SchoolRole.GUARDIAN)
    before = school_state(database, a.id)
    # when
    result = payload(gql.post(LINK_GUARDIAN, {"input": {
        "guardianId": person_gid(not_a_guardian), "studentId": person_gid(not_a_student),
        "relation": "д" * 33}}, token=token_for(a.logins["admin"])), "linkGuardian")
    # then
    assert {e["field"]: e["code"] for e in result["errors"]} == {
        "input.guardianId": "INVALID", "input.studentId": "INVALID",
        "input.relation": "INVALID"}
    assert school_state(database, a.id) == before


def test_link_guardian_across_schools_is_not_found(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    guardian = add_person(database, schools.b.id, f"Бетов{tag()}", m.SchoolRole.GUARDIAN)
    before = school_state(database, schools.a.id), school_state(database, schools.b.id)
    # when
    result = payload(gql.post(LINK_GUARDIAN, {"input": {
        "guardianId": person_gid(guardian), "studentId": person_gid(schools.a.people["student"])
    }}, token=token_for(schools.b.logins["admin"])), "linkGuardian")
    # then
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.studentId", "NOT_FOUND")]
    assert (school_state(database, schools.a.id),
            school_state(database, schools.b.id)) == before


# --- setPersonAccount ----------------------------------------------------------------------

def test_set_person_account_creates_an_account_that_can_log_in(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, f"Входов{tag()}", m.SchoolRole.TEACHER)
    login = f"Vhodov.{tag()}"
    password = "секретный пароль"
    # when
    result = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(person), "login": f" {login} ", "password": password}},
        token=token_for(schools.a.logins["admin"])), "setPersonAccount")
    logged_in = gql.post(LOGIN, {"input": {"login": login.lower(), "password": password}})
    # then
    assert result["errors"] == []
    assert result["person"]["hasAccount"] is True
    assert result["person"]["login"] == login.lower()
    assert logged_in["data"]["login"]["errors"] == []
    logs = owner_query(database, schools.a.id, """
        SELECT entity, action, before, after FROM audit_log
         WHERE school_id = %(school)s AND entity IN ('accounts', 'persons')
           AND (entity_id = %(p)s OR after->>'login' = %(l)s) ORDER BY seq
    """, {"p": person, "l": login.lower()})
    assert [(e, a) for e, a, _, _ in logs] == [("accounts", "create"), ("persons", "update")]
    dumped = json.dumps([row[2:] for row in logs], ensure_ascii=False)
    assert password not in dumped and "password" not in dumped and "$argon2" not in dumped


def test_set_person_account_with_bad_input_names_the_fields_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, f"Плохов{tag()}", m.SchoolRole.TEACHER)
    token = token_for(schools.a.logins["admin"])
    before = school_state(database, schools.a.id)
    # when
    bad_login = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(person), "login": "я!", "password": "a long password"}},
        token=token), "setPersonAccount")
    short = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(person), "login": f"short.{tag()}", "password": "1234567"}},
        token=token), "setPersonAccount")
    missing = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(person), "login": f"nopass.{tag()}"}}, token=token),
        "setPersonAccount")
    has_one = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(schools.a.people["teacher"]), "login": f"second.{tag()}",
        "password": "a long password"}}, token=token), "setPersonAccount")
    # then
    assert [(e["field"], e["code"]) for e in bad_login["errors"]] == [("input.login", "INVALID")]
    assert [(e["field"], e["code"]) for e in short["errors"]] == [("input.password", "INVALID")]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [
        ("input.password", "REQUIRED")]
    assert [(e["field"], e["code"]) for e in has_one["errors"]] == [
        ("input.personId", "INVALID")]
    assert school_state(database, schools.a.id) == before


def test_set_person_account_of_a_login_already_used_in_the_school_is_duplicate(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    person = add_person(database, schools.a.id, f"Двойников{tag()}", m.SchoolRole.GUARDIAN)
    before = school_state(database, schools.a.id)
    # when
    result = payload(gql.post(SET_PERSON_ACCOUNT, {"input": {
        "personId": person_gid(person), "login": schools.a.logins["guardian"]}},
        token=token_for(schools.a.logins["admin"])), "setPersonAccount")
    # then
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("input.login", "DUPLICATE")]
    assert school_state(database, schools.a.id) == before


def test_node_of_a_person_of_another_school_is_null(gql, token_for, schools: TwoSchools
                                                   ) -> None:
    # when
    foreign = gql.post(PERSON_NODE, {"id": person_gid(schools.a.people["student"])},
                       token=token_for(schools.b.logins["admin"]))
    missing = gql.post(PERSON_NODE, {"id": person_gid(uuid.uuid4())},
                       token=token_for(schools.b.logins["admin"]))
    # then
    assert foreign == missing == {"data": {"node": None}}
