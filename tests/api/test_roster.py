"""The roster: classes, study groups, splits, teacher assignments, enrollments, memberships.

Every test builds its own class, students and staff in school A (as the owner, not through
other domains' API) so the seeded people's relations stay as tests/factories.py made them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.sql_counter import count_statements

YEAR_START, YEAR_END = date(2015, 9, 1), date(2016, 5, 31)

CLASSES = """
query Classes($schoolId: ID!, $yearId: ID, $on: Date, $first: Int, $after: String) {
  classes(schoolId: $schoolId, academicYearId: $yearId, first: $first, after: $after) {
    edges { node {
      id name gradeLevel letter academicYearId
      classTeacher { fullName }
      students(on: $on) { enrollmentId startsOn endsOn student { id fullName } }
      groups { id name kind }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CLASSES_FOR_COUNT = """
query Classes($schoolId: ID!, $yearId: ID, $on: Date) {
  classes(schoolId: $schoolId, academicYearId: $yearId) {
    edges { node { classTeacher { fullName } students(on: $on) { student { fullName } } } }
  }
}
"""

STUDY_GROUPS = """
query Groups($schoolId: ID!, $classId: ID) {
  studyGroups(schoolId: $schoolId, classId: $classId) {
    edges { node { id name kind category subjectId schoolClass { name } } }
  }
}
"""

GROUP = """
query Group($id: ID!, $on: Date) {
  node(id: $id) {
    ... on StudyGroup {
      name kind category subjectId
      schoolClass { name }
      split { id subgroups { id name } }
      members(on: $on) { membershipId startsOn endsOn student { id fullName } }
      teachers { id startsOn endsOn teacher { fullName } }
    }
  }
}
"""

ERRORS = "errors { field code message }"

CREATE_CLASS = f"""
mutation($input: CreateClassInput!) {{
  createClass(input: $input) {{
    schoolClass {{ id name academicYearId classTeacher {{ fullName }} }} {ERRORS}
  }}
}}
"""

UPDATE_CLASS = f"""
mutation($input: UpdateClassInput!) {{
  updateClass(input: $input) {{ schoolClass {{ id name classTeacher {{ fullName }} }} {ERRORS} }}
}}
"""

CREATE_STUDY_GROUP = f"""
mutation($input: CreateStudyGroupInput!) {{
  createStudyGroup(input: $input) {{
    studyGroup {{ id name kind category members(on: "2015-10-01") {{ startsOn student {{ id }} }} }}
    {ERRORS}
  }}
}}
"""

SPLIT_CLASS = f"""
mutation($input: SplitClassInput!) {{
  splitClass(input: $input) {{
    split {{ id schoolClass {{ name }} subgroups {{
      id name kind members(on: "2015-10-01") {{ student {{ id }} }} teachers {{ teacher {{ id }} }}
    }} }}
    {ERRORS}
  }}
}}
"""

ASSIGN_TEACHER = f"""
mutation($input: AssignTeacherInput!) {{
  assignTeacher(input: $input) {{
    assignment {{ id startsOn endsOn teacher {{ id }} group {{ id }} }} {ERRORS}
  }}
}}
"""

END_TEACHER_ASSIGNMENT = f"""
mutation($input: EndTeacherAssignmentInput!) {{
  endTeacherAssignment(input: $input) {{ assignment {{ id startsOn endsOn }} {ERRORS} }}
}}
"""

DELETE_TEACHER_ASSIGNMENT = f"""
mutation($input: DeleteTeacherAssignmentInput!) {{
  deleteTeacherAssignment(input: $input) {{ deletedTeacherAssignmentId {ERRORS} }}
}}
"""

ENROLLMENT = f"""enrollment {{ enrollmentId startsOn endsOn student {{ id }} }}
    previousEnrollment {{ enrollmentId startsOn endsOn }} schoolClass {{ id }} {ERRORS}"""

ENROLL_STUDENT = f"""
mutation($input: EnrollStudentInput!) {{ enrollStudent(input: $input) {{ {ENROLLMENT} }} }}
"""

TRANSFER_STUDENT = f"""
mutation($input: TransferStudentInput!) {{ transferStudent(input: $input) {{ {ENROLLMENT} }} }}
"""

MEMBERSHIP = f"""membership {{ membershipId startsOn endsOn student {{ id }} }} group {{ id }}
    {ERRORS}"""

MOVE_TO_SUBGROUP = f"""
mutation($input: MoveToSubgroupInput!) {{ moveToSubgroup(input: $input) {{ {MEMBERSHIP} }} }}
"""

ADD_GROUP_MEMBER = f"""
mutation($input: AddGroupMemberInput!) {{ addGroupMember(input: $input) {{ {MEMBERSHIP} }} }}
"""

END_GROUP_MEMBERSHIP = f"""
mutation($input: EndGroupMembershipInput!) {{
  endGroupMembership(input: $input) {{ {MEMBERSHIP} }}
}}
"""



# --- building rows as the owner --------------------------------------------------------------

@contextmanager
def owner(database: DatabaseUrls, schools: TwoSchools) -> Iterator[Session]:
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        yield s


def add_person(s: Session, school_id: uuid.UUID, role: m.SchoolRole, last_name: str, *,
               login: str | None = None) -> uuid.UUID:
    account_id = None
    if login is not None:
        account_id = uuid.uuid4()
        s.add(m.Account(id=account_id, login=login, password_hash="x"))
        s.flush()
    person = m.Person(school_id=school_id, id=uuid.uuid4(), account_id=account_id,
                      last_name=last_name, first_name="Тест")
    s.add(person)
    s.flush()
    s.add(m.PersonRole(school_id=school_id, person_id=person.id, role=role))
    s.flush()
    return person.id


def add_class(s: Session, school_id: uuid.UUID, year_id: uuid.UUID, students: list[uuid.UUID],
              *, grade: int = 7, letter: str | None = None,
              class_teacher_id: uuid.UUID | None = None) -> uuid.UUID:
    klass = m.SchoolClass(school_id=school_id, id=uuid.uuid4(), academic_year_id=year_id,
                          grade_level=grade, letter=letter or uuid.uuid4().hex[:6].upper(),
                          class_teacher_id=class_teacher_id)
    s.add(klass)
    s.flush()
    for student in students:
        s.add(m.Enrollment(school_id=school_id, class_id=klass.id, student_id=student,
                           starts_on=YEAR_START))
    s.flush()
    return klass.id


def add_group(s: Session, school_id: uuid.UUID, year_id: uuid.UUID, subject_id: uuid.UUID,
              members: list[uuid.UUID], *, class_id: uuid.UUID | None = None,
              teacher_id: uuid.UUID | None = None) -> uuid.UUID:
    kind = m.GroupKind.WHOLE_CLASS if class_id else m.GroupKind.CROSS_CLASS
    group = m.StudyGroup(school_id=school_id, id=uuid.uuid4(), academic_year_id=year_id,
                         subject_id=subject_id, kind=kind, class_id=class_id,
                         name=f"Группа {uuid.uuid4().hex[:6]}",
                         category=None if class_id else "elective")
    s.add(group)
    s.flush()
    for student in members:
        s.add(m.GroupMembership(school_id=school_id, group_id=group.id, student_id=student,
                                starts_on=YEAR_START))
    if teacher_id:
        s.add(m.TeacherAssignment(school_id=school_id, group_id=group.id, teacher_id=teacher_id,
                                  starts_on=YEAR_START))
    s.flush()
    return group.id


@dataclass
class World:
    """One school's slice of roster, made fresh for a test."""

    school_id: uuid.UUID
    year_id: uuid.UUID
    subject_id: uuid.UUID
    class_id: uuid.UUID
    other_class_id: uuid.UUID
    students: list[uuid.UUID]
    other_students: list[uuid.UUID]
    loose_student: uuid.UUID  # a student of the school enrolled nowhere
    teacher_id: uuid.UUID
    teacher_login: str
    class_teacher_id: uuid.UUID
    cross_group_id: uuid.UUID
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def g(self, type_name: str, value: uuid.UUID) -> str:
        return gid(type_name, value)


def build_world(database: DatabaseUrls, schools: TwoSchools, *, size: int = 4) -> World:
    """A fresh academic year of school A with two classes, staff and an elective."""
    school = schools.a.id
    tag = uuid.uuid4().hex[:8]
    with owner(database, schools) as s:
        year = m.AcademicYear(school_id=school, id=uuid.uuid4(), name=f"R-{tag}",
                              starts_on=YEAR_START, ends_on=YEAR_END)
        subject = m.Subject(school_id=school, id=uuid.uuid4(), name=f"Английский {tag}",
                            short_name="Англ")
        s.add_all([year, subject])
        s.flush()
        teacher_login = f"roster.teacher.{tag}"
        teacher = add_person(s, school, m.SchoolRole.TEACHER, f"Учителев{tag}",
                             login=teacher_login)
        class_teacher = add_person(s, school, m.SchoolRole.TEACHER, f"Классов{tag}")
        students = [add_person(s, school, m.SchoolRole.STUDENT, f"Ученик{i}{tag}")
                    for i in range(size)]
        others = [add_person(s, school, m.SchoolRole.STUDENT, f"Другой{i}{tag}")
                  for i in range(2)]
        loose = add_person(s, school, m.SchoolRole.STUDENT, f"Новенький{tag}")
        class_id = add_class(s, school, year.id, students, grade=6, letter="Б",
                             class_teacher_id=class_teacher)
        other_class_id = add_class(s, school, year.id, others, grade=6, letter="В")
        cross = add_group(s, school, year.id, subject.id, others[:1])
        return World(school, year.id, subject.id, class_id, other_class_id, students, others,
                     loose, teacher, teacher_login, class_teacher, cross)


@pytest.fixture()
def world(database: DatabaseUrls, schools: TwoSchools) -> World:
    return build_world(database, schools)


def audit_rows(database: DatabaseUrls, school_id: uuid.UUID, entity_ids: list[uuid.UUID] | None
               = None) -> list[tuple[str, str, uuid.UUID]]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :id, true)"),
                  {"id": str(school_id)})
        stmt = select(m.AuditEntry.action, m.AuditEntry.entity, m.AuditEntry.entity_id).where(
            m.AuditEntry.school_id == school_id).order_by(m.AuditEntry.seq)
        if entity_ids is not None:
            stmt = stmt.where(m.AuditEntry.entity_id.in_(entity_ids))
        return [tuple(r) for r in s.execute(stmt).all()]  # type: ignore[misc]


def audit_count(database: DatabaseUrls, school_id: uuid.UUID) -> int:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :id, true)"),
                  {"id": str(school_id)})
        return int(s.scalar(select(func.count()).select_from(m.AuditEntry).where(
            m.AuditEntry.school_id == school_id)) or 0)


def rows(database: DatabaseUrls, schools: TwoSchools, stmt: Any) -> list[Any]:
    with owner(database, schools) as s:
        return list(s.scalars(stmt).all())


def mutate(gql, token: str, document: str, payload_name: str, data: dict) -> dict:
    body = gql.post(document, {"input": data}, token=token)
    assert "errors" not in body, body
    return body["data"][payload_name]


def uid(global_id: str) -> uuid.UUID:
    from strawberry import relay

    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


# --- classes and studyGroups ---------------------------------------------------------------

def test_classes_lists_by_grade_and_letter_with_teacher_and_students(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    # when
    body = gql.post(CLASSES, {"schoolId": gid("School", world.school_id),
                              "yearId": gid("AcademicYear", world.year_id),
                              "on": "2015-10-01"}, token=token)
    # then
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["classes"]["edges"]]
    assert [n["name"] for n in nodes] == ["6Б", "6В"]
    first = nodes[0]
    assert first["academicYearId"] == gid("AcademicYear", world.year_id)
    assert first["classTeacher"]["fullName"].startswith("Классов")
    names = [s["student"]["fullName"] for s in first["students"]]
    assert names == sorted(names) and len(names) == 4
    assert {s["student"]["id"] for s in first["students"]} == {
        gid("Person", p) for p in world.students}
    assert all(s["startsOn"] == "2015-09-01" and s["endsOn"] is None for s in first["students"])


def test_classes_pages_with_cursors(gql, token_for, schools: TwoSchools, world: World) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    variables = {"schoolId": gid("School", world.school_id),
                 "yearId": gid("AcademicYear", world.year_id), "first": 1}
    # when
    page1 = gql.post(CLASSES, variables, token=token)["data"]["classes"]
    page2 = gql.post(CLASSES, {**variables, "after": page1["pageInfo"]["endCursor"]},
                     token=token)["data"]["classes"]
    # then
    assert page1["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in page1["edges"] + page2["edges"]] == ["6Б", "6В"]
    assert page2["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "student", "guardian"])
def test_classes_members_see_the_structure_but_not_students_they_do_not_teach(
    gql, token_for, schools: TwoSchools, world: World, role: str
) -> None:
    # when
    body = gql.post(CLASSES, {"schoolId": gid("School", world.school_id),
                              "yearId": gid("AcademicYear", world.year_id),
                              "on": "2015-10-01"}, token=token_for(schools.a.logins[role]))
    # then
    nodes = [e["node"] for e in body["data"]["classes"]["edges"]]
    assert [n["name"] for n in nodes] == ["6Б", "6В"]
    assert nodes[0]["classTeacher"] is not None  # staff are visible to the school's members
    assert all(n["students"] == [] for n in nodes)


def test_classes_officer_sees_classes_without_any_person(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    body = gql.post(CLASSES, {"schoolId": gid("School", world.school_id),
                              "yearId": gid("AcademicYear", world.year_id),
                              "on": "2015-10-01"},
                    token=token_for(schools.officer_logins["region"]))
    nodes = [e["node"] for e in body["data"]["classes"]["edges"]]
    assert [n["name"] for n in nodes] == ["6Б", "6В"]
    assert all(n["classTeacher"] is None and n["students"] == [] for n in nodes)


def test_classes_of_another_school_are_empty(gql, token_for, schools: TwoSchools,
                                             world: World) -> None:
    # when
    body = gql.post(CLASSES, {"schoolId": gid("School", world.school_id)},
                    token=token_for(schools.b.logins["admin"]))
    # then
    assert body["data"]["classes"]["edges"] == []


def test_classes_with_a_malformed_school_id_names_the_argument(
    gql, token_for, schools: TwoSchools
) -> None:
    body = gql.post(CLASSES, {"schoolId": "nonsense"}, token=token_for(schools.a.logins["admin"]))
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "schoolId"}


def test_classes_class_teacher_sees_their_own_class_students(
    gql, token_for, schools: TwoSchools
) -> None:
    # the seeded class teacher of school A leads 5А with the seeded student
    body = gql.post(CLASSES, {"schoolId": gid("School", schools.a.id),
                              "yearId": gid("AcademicYear", schools.a.year_id),
                              "on": "2015-10-01"},
                    token=token_for(schools.a.logins["class_teacher"]))
    fifth = next(e["node"] for e in body["data"]["classes"]["edges"]
                 if e["node"]["id"] == gid("SchoolClass", schools.a.class_id))
    # other tests may enroll more students in 5А; the seeded one must be there
    assert gid("Person", schools.a.people["student"]) in [
        s["student"]["id"] for s in fifth["students"]]


def test_classes_statement_count_does_not_grow_with_students(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: two years, each with one class: of 3 and of 12 students
    small, large = build_world(database, schools, size=3), build_world(database, schools,
                                                                       size=12)
    token = token_for(schools.a.logins["admin"])
    counts = []
    for w, size in ((small, 3), (large, 12)):
        variables = {"schoolId": gid("School", w.school_id),
                     "yearId": gid("AcademicYear", w.year_id), "on": "2015-10-01"}
        # when
        with count_statements() as counter:
            body = gql.post(CLASSES_FOR_COUNT, variables, token=token)
        # then
        edges = body["data"]["classes"]["edges"]
        assert len(edges[0]["node"]["students"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_study_groups_lists_the_groups_of_a_class(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    with owner(database, schools) as s:
        whole = add_group(s, world.school_id, world.year_id, world.subject_id, world.students,
                          class_id=world.class_id)
    # when
    body = gql.post(STUDY_GROUPS, {"schoolId": gid("School", world.school_id),
                                   "classId": gid("SchoolClass", world.class_id)},
                    token=token_for(schools.a.logins["student"]))
    b_body = gql.post(STUDY_GROUPS, {"schoolId": gid("School", world.school_id)},
                      token=token_for(schools.b.logins["admin"]))
    # then
    nodes = [e["node"] for e in body["data"]["studyGroups"]["edges"]]
    assert [n["id"] for n in nodes] == [gid("StudyGroup", whole)]
    assert nodes[0]["kind"] == "WHOLE_CLASS" and nodes[0]["schoolClass"]["name"] == "6Б"
    assert nodes[0]["subjectId"] == gid("Subject", world.subject_id)
    assert b_body["data"]["studyGroups"]["edges"] == []


def test_group_members_teacher_sees_the_group_they_teach_but_not_another(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given: the world's teacher teaches group X (two students), not group Y (two others)
    with owner(database, schools) as s:
        taught = add_group(s, world.school_id, world.year_id, world.subject_id,
                           world.students[:2], teacher_id=world.teacher_id)
        other = add_group(s, world.school_id, world.year_id, world.subject_id,
                          world.students[2:])
    token = token_for(world.teacher_login)
    # when
    seen = gql.post(GROUP, {"id": gid("StudyGroup", taught), "on": "2015-10-01"}, token=token)
    unseen = gql.post(GROUP, {"id": gid("StudyGroup", other), "on": "2015-10-01"}, token=token)
    # then
    assert {x["student"]["id"] for x in seen["data"]["node"]["members"]} == {
        gid("Person", p) for p in world.students[:2]}
    assert unseen["data"]["node"]["members"] == []
    assert seen["data"]["node"]["teachers"][0]["teacher"]["fullName"].startswith("Учителев")
    assert seen["data"]["node"]["category"] == "ELECTIVE"


def test_group_members_guardian_sees_only_their_child(
    gql, token_for, schools: TwoSchools
) -> None:
    # given: the seeded group 5А Математика with the seeded student
    body = gql.post(GROUP, {"id": gid("StudyGroup", schools.a.group_id), "on": "2015-10-01"},
                    token=token_for(schools.a.logins["guardian"]))
    assert [x["student"]["id"] for x in body["data"]["node"]["members"]] == [
        gid("Person", schools.a.people["student"])]


# --- createClass / updateClass -------------------------------------------------------------

def test_create_class_by_admin_writes_the_class_and_its_audit(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_CLASS, "createClass", {
        "academicYearId": gid("AcademicYear", world.year_id), "gradeLevel": 9, "letter": " Г ",
        "classTeacherId": gid("Person", world.teacher_id)})
    # then
    assert payload["errors"] == []
    assert payload["schoolClass"]["name"] == "9Г"
    assert payload["schoolClass"]["classTeacher"]["fullName"].startswith("Учителев")
    class_id = uid(payload["schoolClass"]["id"])
    assert audit_rows(database, world.school_id, [class_id]) == [("create", "classes", class_id)]


def test_create_class_bad_input_names_every_field_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    before = audit_count(database, world.school_id)
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_CLASS, "createClass", {
        "academicYearId": gid("AcademicYear", world.year_id), "gradeLevel": 12, "letter": " ",
        "classTeacherId": gid("Person", world.students[0])})
    # then
    assert payload["schoolClass"] is None
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("input.gradeLevel", "OUT_OF_RANGE"), ("input.letter", "REQUIRED"),
        ("input.classTeacherId", "INVALID")}
    assert audit_count(database, world.school_id) == before


def test_create_class_with_a_taken_letter_is_a_duplicate(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    payload = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_CLASS, "createClass", {
        "academicYearId": gid("AcademicYear", world.year_id), "gradeLevel": 6, "letter": "Б"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.letter", "DUPLICATE")]


def test_create_class_with_a_teacher_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    payload = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_CLASS, "createClass", {
        "academicYearId": gid("AcademicYear", world.year_id), "gradeLevel": 8, "letter": "Ж",
        "classTeacherId": gid("Person", schools.b.people["teacher"])})
    missing = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_CLASS, "createClass", {
        "academicYearId": gid("AcademicYear", world.year_id), "gradeLevel": 8, "letter": "Ж",
        "classTeacherId": gid("Person", uuid.uuid4())})
    assert payload["errors"] == missing["errors"]
    assert payload["errors"][0]["code"] == "NOT_FOUND"


def test_update_class_changes_letter_and_class_teacher_with_audit(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), UPDATE_CLASS, "updateClass", {
        "id": gid("SchoolClass", world.class_id), "letter": "Д",
        "classTeacherId": gid("Person", world.teacher_id)})
    cleared = mutate(gql, token_for(schools.a.logins["admin"]), UPDATE_CLASS, "updateClass", {
        "id": gid("SchoolClass", world.class_id), "classTeacherId": None})
    # then
    assert payload["errors"] == [] and payload["schoolClass"]["name"] == "6Д"
    assert payload["schoolClass"]["classTeacher"]["fullName"].startswith("Учителев")
    assert cleared["schoolClass"] == {"id": gid("SchoolClass", world.class_id), "name": "6Д",
                                      "classTeacher": None}
    assert audit_rows(database, world.school_id, [world.class_id]) == [
        ("update", "classes", world.class_id)] * 2


def test_update_class_refuses_a_class_teacher_who_is_not_a_teacher(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    payload = mutate(gql, token_for(schools.a.logins["admin"]), UPDATE_CLASS, "updateClass", {
        "id": gid("SchoolClass", world.class_id),
        "classTeacherId": gid("Person", world.students[0])})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.classTeacherId", "INVALID")]
    assert rows(database, schools, select(m.SchoolClass.class_teacher_id).where(
        m.SchoolClass.id == world.class_id)) == [world.class_teacher_id]


# --- study groups and splits ---------------------------------------------------------------

def test_create_study_group_whole_class_makes_the_students_members(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), CREATE_STUDY_GROUP,
                     "createStudyGroup", {
                         "kind": "WHOLE_CLASS", "classId": gid("SchoolClass", world.class_id),
                         "subjectId": gid("Subject", world.subject_id), "name": "6Б Английский",
                         "startsOn": "2015-09-15"})
    # then
    assert payload["errors"] == []
    group = payload["studyGroup"]
    assert group["kind"] == "WHOLE_CLASS" and group["category"] is None
    assert {x["student"]["id"] for x in group["members"]} == {
        gid("Person", p) for p in world.students}
    assert {x["startsOn"] for x in group["members"]} == {"2015-09-15"}
    audit = audit_rows(database, world.school_id)
    group_id = uid(group["id"])
    assert ("create", "study_groups", group_id) in audit
    assert sum(1 for a in audit[-5:] if a[1] == "group_memberships") == 4


def test_create_study_group_cross_class_requires_year_and_category(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    before = audit_count(database, world.school_id)
    # when
    bad = mutate(gql, token, CREATE_STUDY_GROUP, "createStudyGroup", {
        "kind": "CROSS_CLASS", "academicYearId": gid("AcademicYear", world.year_id),
        "classId": gid("SchoolClass", world.class_id),
        "subjectId": gid("Subject", world.subject_id), "name": ""})
    good = mutate(gql, token, CREATE_STUDY_GROUP, "createStudyGroup", {
        "kind": "CROSS_CLASS", "academicYearId": gid("AcademicYear", world.year_id),
        "subjectId": gid("Subject", world.subject_id), "name": "Профиль: лингвистика",
        "category": "PROFILE"})
    # then
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("input.classId", "INVALID"), ("input.category", "REQUIRED"), ("input.name", "REQUIRED")}
    assert audit_count(database, world.school_id) == before + 1
    assert good["studyGroup"]["kind"] == "CROSS_CLASS"
    assert good["studyGroup"]["category"] == "PROFILE" and good["studyGroup"]["members"] == []


def split_input(world: World, groups: list[list[uuid.UUID]], **extra: Any) -> dict:
    return {"classId": gid("SchoolClass", world.class_id),
            "subjectId": gid("Subject", world.subject_id), "startsOn": "2015-09-01",
            "subgroups": [{"name": f"{i + 1} гр.", "studentIds": [gid("Person", p) for p in g]}
                          for i, g in enumerate(groups)], **extra}


def test_split_class_partitions_the_students_into_subgroups(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    data = split_input(world, [world.students[:2], world.students[2:]])
    data["subgroups"][0]["teacherId"] = gid("Person", world.teacher_id)
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), SPLIT_CLASS, "splitClass", data)
    # then
    assert payload["errors"] == []
    subgroups = payload["split"]["subgroups"]
    assert [g["name"] for g in subgroups] == ["1 гр.", "2 гр."]
    assert [{x["student"]["id"] for x in g["members"]} for g in subgroups] == [
        {gid("Person", p) for p in world.students[:2]},
        {gid("Person", p) for p in world.students[2:]}]
    assert subgroups[0]["teachers"] == [{"teacher": {"id": gid("Person", world.teacher_id)}}]
    assert subgroups[1]["teachers"] == []
    entities = [a[1] for a in audit_rows(database, world.school_id)[-8:]]
    assert entities.count("splits") == 1 and entities.count("study_groups") == 2
    assert entities.count("group_memberships") == 4 and entities.count("teacher_assignments") == 1
    group = gql.post(GROUP, {"id": subgroups[0]["id"]}, token=token_for(schools.a.logins["admin"]))
    assert group["data"]["node"]["split"]["id"] == payload["split"]["id"]
    assert len(group["data"]["node"]["split"]["subgroups"]) == 2


@pytest.mark.parametrize("case", ["left_out", "twice", "other_class", "other_school"])
def test_split_class_that_is_not_a_partition_is_refused_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World, case: str
) -> None:
    # given
    s = world.students
    groups, expected = {
        "left_out": ([s[:2], s[2:3]], ("input.subgroups", "REQUIRED")),
        "twice": ([s[:2], [*s[2:], s[0]]], ("input.subgroups.1.studentIds.2", "DUPLICATE")),
        "other_class": ([s[:2], [*s[2:], world.other_students[0]]],
                        ("input.subgroups.1.studentIds.2", "INVALID")),
        "other_school": ([s[:2], [*s[2:], schools.b.people["student"]]],
                         ("input.subgroups.1.studentIds.2", "NOT_FOUND")),
    }[case]
    before = audit_count(database, world.school_id)
    # when
    payload = mutate(gql, token_for(schools.a.logins["admin"]), SPLIT_CLASS, "splitClass",
                     split_input(world, groups))
    # then
    assert payload["split"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected]
    if case == "left_out":
        assert "Ученик3" in payload["errors"][0]["message"]
    assert audit_count(database, world.school_id) == before
    assert rows(database, schools, select(m.Split.id).where(
        m.Split.class_id == world.class_id)) == []


# --- teacher assignments -------------------------------------------------------------------

def test_assign_teacher_and_end_the_assignment(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    data = {"groupId": gid("StudyGroup", world.cross_group_id),
            "teacherId": gid("Person", world.teacher_id), "startsOn": "2015-09-01"}
    # when
    assigned = mutate(gql, token, ASSIGN_TEACHER, "assignTeacher", data)
    overlapping = mutate(gql, token, ASSIGN_TEACHER, "assignTeacher",
                         {**data, "startsOn": "2015-10-01"})
    ended_early = mutate(gql, token, END_TEACHER_ASSIGNMENT, "endTeacherAssignment",
                         {"id": assigned["assignment"]["id"], "endsOn": "2015-08-01"})
    ended = mutate(gql, token, END_TEACHER_ASSIGNMENT, "endTeacherAssignment",
                   {"id": assigned["assignment"]["id"], "endsOn": "2015-12-31"})
    # then
    assert assigned["errors"] == [] and assigned["assignment"]["endsOn"] is None
    assert [(e["field"], e["code"]) for e in overlapping["errors"]] == [
        ("input.startsOn", "OVERLAP")]
    assert {(e["field"], e["code"]) for e in ended_early["errors"]} == {
        ("input.endsOn", "OUT_OF_RANGE"), ("input.endsOn", "INVALID")}
    assert ended["assignment"]["endsOn"] == "2015-12-31"
    assignment_id = uid(assigned["assignment"]["id"])
    assert audit_rows(database, world.school_id, [assignment_id]) == [
        ("create", "teacher_assignments", assignment_id),
        ("update", "teacher_assignments", assignment_id)]


def test_assign_teacher_refuses_a_student_and_dates_outside_the_year(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    payload = mutate(gql, token_for(schools.a.logins["admin"]), ASSIGN_TEACHER,
                     "assignTeacher", {"groupId": gid("StudyGroup", world.cross_group_id),
                                       "teacherId": gid("Person", world.students[0]),
                                       "startsOn": "2016-06-01", "endsOn": "2016-05-01"})
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("input.teacherId", "INVALID"), ("input.startsOn", "OUT_OF_RANGE"),
        ("input.endsOn", "INVALID")}


# --- enrollments ---------------------------------------------------------------------------

def test_enroll_student_opens_enrollment_and_whole_class_memberships(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    with owner(database, schools) as s:
        whole = add_group(s, world.school_id, world.year_id, world.subject_id, world.students,
                          class_id=world.class_id)
    token = token_for(schools.a.logins["admin"])
    # when
    payload = mutate(gql, token, ENROLL_STUDENT, "enrollStudent", {
        "classId": gid("SchoolClass", world.class_id),
        "studentId": gid("Person", world.loose_student), "startsOn": "2015-11-02"})
    again = mutate(gql, token, ENROLL_STUDENT, "enrollStudent", {
        "classId": gid("SchoolClass", world.other_class_id),
        "studentId": gid("Person", world.loose_student), "startsOn": "2016-01-11"})
    # then
    assert payload["errors"] == []
    assert payload["enrollment"]["startsOn"] == "2015-11-02"
    members = gql.post(GROUP, {"id": gid("StudyGroup", whole), "on": "2015-11-02"},
                       token=token)["data"]["node"]["members"]
    assert gid("Person", world.loose_student) in {x["student"]["id"] for x in members}
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.studentId", "OVERLAP")]
    assert "transferStudent" in again["errors"][0]["message"]
    entities = [a[1] for a in audit_rows(database, world.school_id)[-2:]]
    assert sorted(entities) == ["enrollments", "group_memberships"]


def test_enroll_student_into_a_split_class_requires_a_subgroup_choice(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    split = mutate(gql, token, SPLIT_CLASS, "splitClass",
                   split_input(world, [world.students[:2], world.students[2:]]))["split"]
    data = {"classId": gid("SchoolClass", world.class_id),
            "studentId": gid("Person", world.loose_student), "startsOn": "2015-11-02"}
    # when
    missing = mutate(gql, token, ENROLL_STUDENT, "enrollStudent", data)
    chosen = mutate(gql, token, ENROLL_STUDENT, "enrollStudent", {
        **data, "subgroupChoices": [{"splitId": split["id"],
                                     "groupId": split["subgroups"][1]["id"]}]})
    # then
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [
        ("input.subgroupChoices", "REQUIRED")]
    assert chosen["errors"] == []
    members = gql.post(GROUP, {"id": split["subgroups"][1]["id"], "on": "2015-11-02"},
                       token=token)["data"]["node"]["members"]
    assert gid("Person", world.loose_student) in {x["student"]["id"] for x in members}


def test_transfer_student_mid_year_keeps_the_old_enrollment_closed(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given: the student is in 6Б and its whole-class group since the year start
    with owner(database, schools) as s:
        old_group = add_group(s, world.school_id, world.year_id, world.subject_id,
                              world.students, class_id=world.class_id)
        new_group = add_group(s, world.school_id, world.year_id, world.subject_id,
                              world.other_students, class_id=world.other_class_id)
    token = token_for(schools.a.logins["admin"])
    mover = gid("Person", world.students[0])
    # when
    payload = mutate(gql, token, TRANSFER_STUDENT, "transferStudent", {
        "studentId": mover, "toClassId": gid("SchoolClass", world.other_class_id),
        "on": "2016-01-11"})
    # then
    assert payload["errors"] == []
    assert payload["previousEnrollment"]["startsOn"] == "2015-09-01"
    assert payload["previousEnrollment"]["endsOn"] == "2016-01-10"
    assert payload["enrollment"]["startsOn"] == "2016-01-11"

    def students_of(class_id: uuid.UUID, on: str) -> dict[str, Any]:
        body = gql.post(CLASSES, {"schoolId": gid("School", world.school_id),
                                  "yearId": gid("AcademicYear", world.year_id), "on": on},
                        token=token)
        node = next(e["node"] for e in body["data"]["classes"]["edges"]
                    if e["node"]["id"] == gid("SchoolClass", class_id))
        return {x["student"]["id"]: x for x in node["students"]}

    before_old, after_old = students_of(world.class_id, "2016-01-10"), students_of(
        world.class_id, "2016-01-11")
    before_new, after_new = students_of(world.other_class_id, "2016-01-10"), students_of(
        world.other_class_id, "2016-01-11")
    assert before_old[mover]["endsOn"] == "2016-01-10" and mover not in after_old
    assert mover not in before_new and after_new[mover]["startsOn"] == "2016-01-11"

    def member_ids(group_id: uuid.UUID, on: str) -> set[str]:
        node = gql.post(GROUP, {"id": gid("StudyGroup", group_id), "on": on},
                        token=token)["data"]["node"]
        return {x["student"]["id"] for x in node["members"]}

    assert mover in member_ids(old_group, "2016-01-10")
    assert mover not in member_ids(old_group, "2016-01-11")
    assert mover in member_ids(new_group, "2016-01-11")
    actions = [(a[0], a[1]) for a in audit_rows(database, world.school_id)[-4:]]
    assert sorted(actions) == [("create", "enrollments"), ("create", "group_memberships"),
                               ("update", "enrollments"), ("update", "group_memberships")]


def test_transfer_student_not_enrolled_or_into_the_same_class_is_refused(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    token = token_for(schools.a.logins["admin"])
    before = audit_count(database, world.school_id)
    same = mutate(gql, token, TRANSFER_STUDENT, "transferStudent", {
        "studentId": gid("Person", world.students[0]),
        "toClassId": gid("SchoolClass", world.class_id), "on": "2016-01-11"})
    loose = mutate(gql, token, TRANSFER_STUDENT, "transferStudent", {
        "studentId": gid("Person", world.loose_student),
        "toClassId": gid("SchoolClass", world.class_id), "on": "2016-07-11"})
    assert [(e["field"], e["code"]) for e in same["errors"]] == [("input.toClassId", "INVALID")]
    assert {(e["field"], e["code"]) for e in loose["errors"]} == {
        ("input.studentId", "INVALID"), ("input.on", "OUT_OF_RANGE")}
    assert audit_count(database, world.school_id) == before


def test_move_to_subgroup_closes_the_sibling_membership(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    split = mutate(gql, token, SPLIT_CLASS, "splitClass",
                   split_input(world, [world.students[:2], world.students[2:]]))["split"]
    first, second = split["subgroups"]
    mover = gid("Person", world.students[0])
    # when
    payload = mutate(gql, token, MOVE_TO_SUBGROUP, "moveToSubgroup", {
        "studentId": mover, "toGroupId": second["id"], "on": "2015-12-01"})
    again = mutate(gql, token, MOVE_TO_SUBGROUP, "moveToSubgroup", {
        "studentId": mover, "toGroupId": second["id"], "on": "2015-12-02"})
    # then
    assert payload["errors"] == [] and payload["membership"]["startsOn"] == "2015-12-01"
    old = gql.post(GROUP, {"id": first["id"], "on": "2015-11-30"}, token=token)
    new = gql.post(GROUP, {"id": first["id"], "on": "2015-12-01"}, token=token)
    closed = next(x for x in old["data"]["node"]["members"] if x["student"]["id"] == mover)
    assert closed["endsOn"] == "2015-11-30"
    assert mover not in {x["student"]["id"] for x in new["data"]["node"]["members"]}
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.toGroupId", "INVALID")]
    actions = sorted((a[0], a[1]) for a in audit_rows(database, world.school_id)[-2:])
    assert actions == [("create", "group_memberships"), ("update", "group_memberships")]


def test_add_and_end_group_member_of_a_cross_class_group(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, world: World
) -> None:
    # given
    token = token_for(schools.a.logins["admin"])
    group = gid("StudyGroup", world.cross_group_id)
    student = gid("Person", world.students[0])
    # when
    added = mutate(gql, token, ADD_GROUP_MEMBER, "addGroupMember", {
        "groupId": group, "studentId": student, "startsOn": "2015-10-01"})
    twice = mutate(gql, token, ADD_GROUP_MEMBER, "addGroupMember", {
        "groupId": group, "studentId": student, "startsOn": "2015-11-01"})
    by_pair = mutate(gql, token, END_GROUP_MEMBERSHIP, "endGroupMembership", {
        "groupId": group, "studentId": student, "endsOn": "2015-12-31"})
    by_id = mutate(gql, token, END_GROUP_MEMBERSHIP, "endGroupMembership", {
        "membershipId": added["membership"]["membershipId"], "endsOn": "2015-09-01"})
    # then
    assert added["errors"] == [] and added["membership"]["endsOn"] is None
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("input.startsOn", "OVERLAP")]
    assert by_pair["errors"] == [] and by_pair["membership"]["endsOn"] == "2015-12-31"
    assert [(e["field"], e["code"]) for e in by_id["errors"]] == [("input.endsOn", "INVALID")]
    membership_id = uid(added["membership"]["membershipId"])
    assert audit_rows(database, world.school_id, [membership_id]) == [
        ("create", "group_memberships", membership_id),
        ("update", "group_memberships", membership_id)]


def test_add_group_member_to_a_class_group_is_refused(
    gql, token_for, schools: TwoSchools, world: World
) -> None:
    payload = mutate(gql, token_for(schools.a.logins["admin"]), ADD_GROUP_MEMBER,
                     "addGroupMember", {"groupId": gid("StudyGroup", schools.a.group_id),
                                        "studentId": gid("Person", world.loose_student),
                                        "startsOn": "2015-10-01"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.groupId", "INVALID")]


# --- every mutation: other roles and the other school --------------------------------------

def mutation_cases(world: World, schools: TwoSchools) -> dict[str, tuple[str, str, dict]]:
    cls, year = gid("SchoolClass", world.class_id), gid("AcademicYear", world.year_id)
    cross, subject = gid("StudyGroup", world.cross_group_id), gid("Subject", world.subject_id)
    student = gid("Person", world.students[0])
    return {
        "createClass": (CREATE_CLASS, "createClass",
                        {"academicYearId": year, "gradeLevel": 10, "letter": "Х"}),
        "updateClass": (UPDATE_CLASS, "updateClass", {"id": cls, "letter": "Х"}),
        "createStudyGroup": (CREATE_STUDY_GROUP, "createStudyGroup", {
            "kind": "WHOLE_CLASS", "classId": cls, "subjectId": subject, "name": "Х"}),
        "splitClass": (SPLIT_CLASS, "splitClass",
                       split_input(world, [world.students[:2], world.students[2:]])),
        "assignTeacher": (ASSIGN_TEACHER, "assignTeacher", {
            "groupId": cross, "teacherId": gid("Person", world.teacher_id),
            "startsOn": "2015-09-01"}),
        "endTeacherAssignment": (END_TEACHER_ASSIGNMENT, "endTeacherAssignment", {
            "id": gid("TeacherAssignment", world.ids["assignment"]), "endsOn": "2015-12-31"}),
        "deleteTeacherAssignment": (DELETE_TEACHER_ASSIGNMENT, "deleteTeacherAssignment", {
            "id": gid("TeacherAssignment", world.ids["assignment"])}),
        "enrollStudent": (ENROLL_STUDENT, "enrollStudent", {
            "classId": cls, "studentId": gid("Person", world.loose_student),
            "startsOn": "2015-10-01"}),
        "transferStudent": (TRANSFER_STUDENT, "transferStudent", {
            "studentId": student, "toClassId": gid("SchoolClass", world.other_class_id),
            "on": "2016-01-11"}),
        "moveToSubgroup": (MOVE_TO_SUBGROUP, "moveToSubgroup", {
            "studentId": student, "toGroupId": gid("StudyGroup", world.ids["subgroup"]),
            "on": "2015-12-01"}),
        "addGroupMember": (ADD_GROUP_MEMBER, "addGroupMember", {
            "groupId": cross, "studentId": student, "startsOn": "2015-10-01"}),
        "endGroupMembership": (END_GROUP_MEMBERSHIP, "endGroupMembership", {
            "membershipId": gid("GroupMembership", world.ids["membership"]),
            "endsOn": "2015-12-31"}),
    }


VIEWERS = {"teacher": "FORBIDDEN", "class_teacher": "FORBIDDEN", "student": "FORBIDDEN",
           "guardian": "FORBIDDEN", "officer": "NOT_FOUND", "b_admin": "NOT_FOUND"}


@pytest.fixture(scope="module")
def refusal_world(database: DatabaseUrls, schools: TwoSchools) -> World:
    w = build_world(database, schools)
    with owner(database, schools) as s:
        split = m.Split(school_id=w.school_id, id=uuid.uuid4(), class_id=w.other_class_id,
                        subject_id=w.subject_id)
        s.add(split)
        s.flush()
        sub = m.StudyGroup(school_id=w.school_id, id=uuid.uuid4(), academic_year_id=w.year_id,
                           subject_id=w.subject_id, kind=m.GroupKind.SUBGROUP,
                           class_id=w.other_class_id, split_id=split.id, name="Х 1")
        assignment = m.TeacherAssignment(school_id=w.school_id, id=uuid.uuid4(),
                                         group_id=w.cross_group_id, teacher_id=w.teacher_id,
                                         starts_on=YEAR_START)
        s.add_all([sub, assignment])
        s.flush()
        membership_id = s.scalar(select(m.GroupMembership.id).where(
            m.GroupMembership.group_id == w.cross_group_id))
        assert membership_id is not None
        w.ids.update(subgroup=sub.id, assignment=assignment.id, membership=membership_id)
    return w


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("operation", [
    "createClass", "updateClass", "createStudyGroup", "splitClass", "assignTeacher",
    "endTeacherAssignment", "deleteTeacherAssignment", "enrollStudent", "transferStudent",
    "moveToSubgroup", "addGroupMember", "endGroupMembership"])
def test_roster_mutation_is_refused_to_other_roles_and_schools(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, refusal_world: World,
    operation: str, viewer: str
) -> None:
    # given
    document, name, data = mutation_cases(refusal_world, schools)[operation]
    login = {"officer": schools.officer_logins["region"],
             "b_admin": schools.b.logins["admin"]}.get(viewer) or schools.a.logins[viewer]
    before = audit_count(database, refusal_world.school_id)
    # when
    payload = mutate(gql, token_for(login), document, name, data)
    # then
    assert [e["code"] for e in payload["errors"]] == [VIEWERS[viewer]], payload
    assert audit_count(database, refusal_world.school_id) == before


def test_roster_mutations_unauthenticated_get_no_data(gql, world: World) -> None:
    body = gql.post(UPDATE_CLASS, {"input": {"id": gid("SchoolClass", world.class_id),
                                             "letter": "Q"}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
