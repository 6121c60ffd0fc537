"""The permission rules of tenants/ (rules.py, personal_data.py and the access context), in
process: no database, no HTTP, one viewer of each kind against every question.

The HTTP suites prove the rules where resolvers use them; these pin each rule itself, and
are what the mutation run (docs/mutation-testing.md) runs per mutant.
"""

from __future__ import annotations

import uuid

import pytest

from db.models import SchoolRole, TokenScope
from tenants import personal_data as pd
from tenants import rules
from tenants.access import ANONYMOUS, AccessContext, SchoolMembership
from tenants.errors import DomainError, ErrorCode

ADMIN, TEACHER = SchoolRole.ADMINISTRATOR, SchoolRole.TEACHER
STUDENT, GUARDIAN = SchoolRole.STUDENT, SchoolRole.GUARDIAN

SCHOOL, OTHER = uuid.uuid4(), uuid.uuid4()
GROUP, OTHER_GROUP = uuid.uuid4(), uuid.uuid4()
LESSON, OTHER_LESSON = uuid.uuid4(), uuid.uuid4()
CLASS, OTHER_CLASS = uuid.uuid4(), uuid.uuid4()
CHILD, STRANGER = uuid.uuid4(), uuid.uuid4()


def person(*roles: SchoolRole, school: uuid.UUID = SCHOOL, **relations: frozenset[uuid.UUID]
           ) -> AccessContext:
    m = SchoolMembership(school_id=school, person_id=uuid.uuid4(), roles=frozenset(roles),
                         **relations)
    return AccessContext(account_id=uuid.uuid4(), memberships={school: m})


def token(*scopes: TokenScope, school: uuid.UUID = SCHOOL) -> AccessContext:
    return AccessContext(token_id=uuid.uuid4(), scopes=frozenset(scopes),
                         token_school_ids=frozenset({school}))


def officer(school: uuid.UUID = SCHOOL) -> AccessContext:
    return AccessContext(account_id=uuid.uuid4(),
                         officer_municipality_ids=frozenset({uuid.uuid4()}),
                         officer_school_ids=frozenset({school}))


admin = person(ADMIN)
teacher = person(TEACHER, taught_group_ids=frozenset({GROUP}))
substitute = person(TEACHER, substitute_lesson_ids=frozenset({LESSON}))
class_teacher = person(TEACHER, led_class_ids=frozenset({CLASS}))
student = person(STUDENT)
guardian = person(GUARDIAN, child_ids=frozenset({CHILD}))
# relations without the teacher role (a person who stopped teaching keeps no rights)
former_teacher = person(STUDENT, taught_group_ids=frozenset({GROUP}),
                        substitute_lesson_ids=frozenset({LESSON}),
                        led_class_ids=frozenset({CLASS}))


# The access context.


def test_access_context_who_is_asking() -> None:
    assert not ANONYMOUS.is_authenticated
    assert admin.is_authenticated and token(TokenScope.READ).is_authenticated
    assert officer().is_officer
    assert AccessContext(officer_region_ids=frozenset({uuid.uuid4()})).is_officer
    assert not admin.is_officer and not ANONYMOUS.is_officer


def test_access_context_school_ids_are_every_school_it_may_see() -> None:
    both = AccessContext(memberships=admin.memberships, officer_school_ids=frozenset({OTHER}),
                         token_school_ids=frozenset({CHILD}))
    assert both.school_ids == {SCHOOL, OTHER, CHILD}


def test_access_context_membership_person_and_roles() -> None:
    m = admin.memberships[SCHOOL]
    assert admin.membership(SCHOOL) is m and admin.membership(OTHER) is None
    assert admin.person_id(SCHOOL) == m.person_id and admin.person_id(OTHER) is None
    assert admin.has_role(SCHOOL, ADMIN) and not admin.has_role(SCHOOL, TEACHER)
    assert not admin.has_role(OTHER, ADMIN)


# rules.py


def test_is_admin_and_is_staff() -> None:
    assert rules.is_admin(admin, SCHOOL) and not rules.is_admin(admin, OTHER)
    assert not rules.is_admin(teacher, SCHOOL)
    assert rules.is_staff(admin, SCHOOL) and rules.is_staff(teacher, SCHOOL)
    assert not rules.is_staff(student, SCHOOL) and not rules.is_staff(guardian, SCHOOL)
    assert not rules.is_staff(admin, OTHER)


def test_token_may_only_with_the_scope_in_its_schools() -> None:
    read = token(TokenScope.READ)
    assert rules.token_may(read, SCHOOL, TokenScope.READ)
    assert not rules.token_may(read, SCHOOL, TokenScope.WRITE_JOURNAL)
    assert not rules.token_may(read, OTHER, TokenScope.READ)
    assert not rules.token_may(admin, SCHOOL, TokenScope.READ)


def test_can_read_structure() -> None:
    assert rules.can_read_structure(student, SCHOOL)
    assert not rules.can_read_structure(student, OTHER)
    assert rules.can_read_structure(officer(), SCHOOL)
    assert not rules.can_read_structure(officer(OTHER), SCHOOL)
    assert rules.can_read_structure(token(TokenScope.READ), SCHOOL)
    assert not rules.can_read_structure(token(TokenScope.READ_AGGREGATES), SCHOOL)
    assert not rules.can_read_structure(ANONYMOUS, SCHOOL)


def test_require_admin() -> None:
    rules.require_admin(admin, SCHOOL, "input.schoolId")
    with pytest.raises(DomainError) as refused:
        rules.require_admin(teacher, SCHOOL, "input.schoolId")
    (problem,) = refused.value.problems
    assert (problem.field, problem.code) == ("input.schoolId", ErrorCode.FORBIDDEN)
    assert problem.message == "only an administrator of the school may change its configuration"


def test_can_read_audit_log() -> None:
    assert rules.can_read_audit_log(admin, SCHOOL)
    assert not rules.can_read_audit_log(admin, OTHER)
    assert not rules.can_read_audit_log(class_teacher, SCHOOL)


def history(access: AccessContext, *, group: uuid.UUID | None = None,
            lesson: uuid.UUID | None = None, klass: uuid.UUID | None = None) -> bool:
    return rules.can_read_journal_history(access, SCHOOL, group_id=group, lesson_id=lesson,
                                          class_id=klass)


def test_can_read_journal_history() -> None:
    assert history(admin)
    assert history(teacher, group=GROUP) and not history(teacher, group=OTHER_GROUP)
    assert not history(teacher, lesson=LESSON, klass=CLASS)
    assert history(substitute, lesson=LESSON) and not history(substitute, lesson=OTHER_LESSON)
    assert not history(substitute, group=GROUP, klass=CLASS)
    assert history(class_teacher, klass=CLASS) and not history(class_teacher, klass=OTHER_CLASS)
    assert not history(class_teacher, group=GROUP, lesson=LESSON)
    assert not history(former_teacher, group=GROUP, lesson=LESSON, klass=CLASS)
    assert not history(student, group=GROUP) and not history(ANONYMOUS, group=GROUP)
    assert not history(token(TokenScope.READ), group=GROUP)
    # None ids match nothing, even for a teacher with no relations of that kind
    assert not history(person(TEACHER), group=None, lesson=None, klass=None)


def test_teaches() -> None:
    assert rules.teaches(teacher, SCHOOL, GROUP)
    assert not rules.teaches(teacher, SCHOOL, OTHER_GROUP)
    assert not rules.teaches(teacher, OTHER, GROUP)
    assert not rules.teaches(ANONYMOUS, SCHOOL, GROUP)


def test_may_write_lesson() -> None:
    assert rules.may_write_lesson(admin, SCHOOL, GROUP, None)
    assert rules.may_write_lesson(teacher, SCHOOL, GROUP, None)
    assert not rules.may_write_lesson(teacher, SCHOOL, OTHER_GROUP, LESSON)
    assert rules.may_write_lesson(substitute, SCHOOL, OTHER_GROUP, LESSON)
    assert not rules.may_write_lesson(substitute, SCHOOL, OTHER_GROUP, OTHER_LESSON)
    assert not rules.may_write_lesson(substitute, SCHOOL, OTHER_GROUP, None)
    assert not rules.may_write_lesson(substitute, OTHER, OTHER_GROUP, LESSON)
    assert rules.may_write_lesson(token(TokenScope.WRITE_JOURNAL), SCHOOL, GROUP, None)
    assert not rules.may_write_lesson(token(TokenScope.READ), SCHOOL, GROUP, None)
    assert not rules.may_write_lesson(class_teacher, SCHOOL, GROUP, None)
    assert not rules.may_write_lesson(ANONYMOUS, SCHOOL, GROUP, LESSON)


def test_may_read_journal() -> None:
    assert rules.may_read_journal(admin, SCHOOL, GROUP, None)
    assert rules.may_read_journal(teacher, SCHOOL, GROUP, None)
    assert not rules.may_read_journal(teacher, SCHOOL, OTHER_GROUP, OTHER_CLASS)
    assert rules.may_read_journal(class_teacher, SCHOOL, OTHER_GROUP, CLASS)
    assert not rules.may_read_journal(class_teacher, SCHOOL, OTHER_GROUP, OTHER_CLASS)
    assert not rules.may_read_journal(class_teacher, SCHOOL, OTHER_GROUP, None)
    assert not rules.may_read_journal(class_teacher, OTHER, OTHER_GROUP, CLASS)
    assert rules.may_read_journal(token(TokenScope.READ), SCHOOL, GROUP, None)
    assert not rules.may_read_journal(token(TokenScope.WRITE_JOURNAL), SCHOOL, GROUP, None)
    assert not rules.may_read_journal(substitute, SCHOOL, GROUP, CLASS)
    assert not rules.may_read_journal(ANONYMOUS, SCHOOL, GROUP, CLASS)


def test_may_print_year_documents() -> None:
    # the class teacher of the class and the administrator (a cross-class group: theirs)
    assert rules.may_print_year_documents(admin, SCHOOL, CLASS)
    assert rules.may_print_year_documents(admin, SCHOOL, None)
    assert not rules.may_print_year_documents(admin, OTHER, CLASS)
    assert rules.may_print_year_documents(class_teacher, SCHOOL, CLASS)
    assert not rules.may_print_year_documents(class_teacher, SCHOOL, OTHER_CLASS)
    assert not rules.may_print_year_documents(class_teacher, SCHOOL, None)
    assert not rules.may_print_year_documents(class_teacher, OTHER, CLASS)
    # nobody else: the group's own teacher, a token that reads journals, former relations
    assert not rules.may_print_year_documents(teacher, SCHOOL, CLASS)
    assert not rules.may_print_year_documents(token(TokenScope.READ), SCHOOL, CLASS)
    assert not rules.may_print_year_documents(former_teacher, SCHOOL, CLASS)
    for viewer in (student, guardian, officer(), ANONYMOUS):
        assert not rules.may_print_year_documents(viewer, SCHOOL, CLASS)


def test_aggregate_school_ids() -> None:
    assert rules.aggregate_school_ids(officer()) == {SCHOOL}
    assert rules.aggregate_school_ids(token(TokenScope.READ_AGGREGATES)) == {SCHOOL}
    assert rules.aggregate_school_ids(token(TokenScope.READ)) == frozenset()
    assert rules.aggregate_school_ids(admin) == {SCHOOL}
    assert rules.aggregate_school_ids(teacher) == frozenset()
    assert isinstance(rules.aggregate_school_ids(admin), frozenset)
    both = AccessContext(account_id=uuid.uuid4(), memberships=admin.memberships,
                         officer_region_ids=frozenset({uuid.uuid4()}),
                         officer_school_ids=frozenset({OTHER}))
    assert rules.aggregate_school_ids(both) == {SCHOOL, OTHER}


def test_reads_only_aggregates() -> None:
    assert rules.reads_only_aggregates(officer())
    officer_in_a_school = AccessContext(account_id=uuid.uuid4(), memberships=admin.memberships,
                                        officer_region_ids=frozenset({uuid.uuid4()}))
    assert not rules.reads_only_aggregates(officer_in_a_school)
    assert not rules.reads_only_aggregates(admin)
    assert rules.reads_only_aggregates(token(TokenScope.READ_AGGREGATES))
    assert not rules.reads_only_aggregates(token(TokenScope.READ_AGGREGATES, TokenScope.READ))
    assert not rules.reads_only_aggregates(token(TokenScope.READ))
    assert not rules.reads_only_aggregates(token())
    assert rules.reads_only_aggregates(token(TokenScope.READ_AGGREGATES)) is True


def test_require_own_account() -> None:
    rules.require_own_account(student, "input")
    for who, message in [
        (ANONYMOUS, "only a person logged in with their own account may do this"),
        (token(TokenScope.READ), "only a person logged in with their own account may do this"),
        (officer(), "an officer's account cannot belong to a school"),
    ]:
        with pytest.raises(DomainError) as refused:
            rules.require_own_account(who, "input")
        (problem,) = refused.value.problems
        assert (problem.field, problem.code, problem.message) \
            == ("input", ErrorCode.FORBIDDEN, message)


# personal_data.py


def test_is_self() -> None:
    me = student.memberships[SCHOOL].person_id
    assert pd.is_self(student, SCHOOL, me)
    assert not pd.is_self(student, SCHOOL, STRANGER)
    assert not pd.is_self(student, OTHER, me)


def test_may_read_identifiers() -> None:
    assert pd.may_read_identifiers(admin, SCHOOL)
    assert not pd.may_read_identifiers(admin, OTHER)
    assert not pd.may_read_identifiers(class_teacher, SCHOOL)


def test_may_read_account() -> None:
    me = student.memberships[SCHOOL].person_id
    assert pd.may_read_account(admin, SCHOOL, STRANGER)
    assert pd.may_read_account(student, SCHOOL, me)
    assert not pd.may_read_account(student, SCHOOL, STRANGER)
    assert not pd.may_read_account(guardian, SCHOOL, CHILD)


def test_may_read_birth_date_directly() -> None:
    me = student.memberships[SCHOOL].person_id
    assert pd.may_read_birth_date_directly(admin, SCHOOL, STRANGER)
    assert pd.may_read_birth_date_directly(student, SCHOOL, me)
    assert pd.may_read_birth_date_directly(guardian, SCHOOL, CHILD)
    assert not pd.may_read_birth_date_directly(guardian, SCHOOL, STRANGER)
    assert not pd.may_read_birth_date_directly(guardian, OTHER, CHILD)
    assert not pd.may_read_birth_date_directly(class_teacher, SCHOOL, CHILD)
    assert not pd.may_read_birth_date_directly(ANONYMOUS, SCHOOL, CHILD)


def test_leads_a_class() -> None:
    assert pd.leads_a_class(class_teacher, SCHOOL)
    assert not pd.leads_a_class(class_teacher, OTHER)
    assert not pd.leads_a_class(teacher, SCHOOL)
    assert pd.leads_a_class(class_teacher, SCHOOL) is True


def test_may_read_birth_date() -> None:
    assert pd.may_read_birth_date(guardian, SCHOOL, CHILD)
    assert pd.may_read_birth_date(class_teacher, SCHOOL, STRANGER, [OTHER_CLASS, CLASS])
    assert not pd.may_read_birth_date(class_teacher, SCHOOL, STRANGER, [OTHER_CLASS])
    assert not pd.may_read_birth_date(class_teacher, SCHOOL, STRANGER)
    assert not pd.may_read_birth_date(class_teacher, OTHER, STRANGER, [CLASS])
    assert not pd.may_read_birth_date(teacher, SCHOOL, STRANGER, [CLASS])
