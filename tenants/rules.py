"""Who may do what: the permission rules, in one place (DESIGN.md "Who sees what").

Resolvers ask these questions; they never inspect roles themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from db.models import SchoolRole, TokenScope
from tenants.access import AccessContext
from tenants.errors import forbidden

STAFF = frozenset({SchoolRole.ADMINISTRATOR, SchoolRole.TEACHER})


def is_admin(access: AccessContext, school_id: uuid.UUID) -> bool:
    return access.has_role(school_id, SchoolRole.ADMINISTRATOR)


def is_staff(access: AccessContext, school_id: uuid.UUID) -> bool:
    m = access.membership(school_id)
    return m is not None and bool(m.roles & STAFF)


def token_may(access: AccessContext, school_id: uuid.UUID, scope: TokenScope) -> bool:
    return (access.scopes is not None and scope in access.scopes
            and school_id in access.token_school_ids)


def can_read_structure(access: AccessContext, school_id: uuid.UUID) -> bool:
    """The school's configuration (years, periods, scales, subjects, classes, groups): not
    personal data, so every member, an officer over the school, or a read token."""
    return (school_id in access.memberships or school_id in access.officer_school_ids
            or token_may(access, school_id, TokenScope.READ))


def require_admin(access: AccessContext, school_id: uuid.UUID, field: str | None) -> None:
    """Configuring a school and its roster is the school administrator's job."""
    if not is_admin(access, school_id):
        raise forbidden(field, "only an administrator of the school may change its "
                               "configuration")


def can_read_audit_log(access: AccessContext, school_id: uuid.UUID) -> bool:
    """The school's whole audit log (who changed what): its administrators only."""
    return is_admin(access, school_id)


def can_read_journal_history(
    access: AccessContext, school_id: uuid.UUID, *, group_id: uuid.UUID | None,
    lesson_id: uuid.UUID | None, class_id: uuid.UUID | None,
) -> bool:
    """The history of one lesson or mark: an administrator, a teacher of its group (or the
    substitute who taught its lesson), or the class teacher of the group's class."""
    if is_admin(access, school_id):
        return True
    m = access.membership(school_id)
    if m is None or SchoolRole.TEACHER not in m.roles:
        return False
    return ((group_id is not None and group_id in m.taught_group_ids)
            or (lesson_id is not None and lesson_id in m.substitute_lesson_ids)
            or (class_id is not None and class_id in m.led_class_ids))


# The journal (regulation 5.3–5.4, 6.3): who writes a group's lessons, marks and attendance,
# and who reads a group's journal page.


def teaches(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    m = access.membership(school_id)
    return m is not None and group_id in m.taught_group_ids


def may_write_lesson(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID,
                     lesson_id: uuid.UUID | None) -> bool:
    """The group's teachers; a substitute for that lesson only; the administrator; a token
    with the write_journal scope."""
    m = access.membership(school_id)
    substitute = m is not None and lesson_id is not None and lesson_id in m.substitute_lesson_ids
    return (is_admin(access, school_id) or teaches(access, school_id, group_id) or substitute
            or token_may(access, school_id, TokenScope.WRITE_JOURNAL))


def may_excuse_absences(access: AccessContext, school_id: uuid.UUID,
                        class_ids: Iterable[uuid.UUID]) -> bool:
    """Turning a student's н into у or б with the note that excuses it, on any lesson of the
    student whichever group it is in: the class teacher of a class the student was enrolled in
    (`class_ids`), and the administrator. A subject teacher records the attendance of their own
    lessons (`may_write_lesson`) but excuses no one; a token excuses no one either (an excuse
    is a person's act on a document they saw)."""
    if is_admin(access, school_id):
        return True
    m = access.membership(school_id)
    return (m is not None and SchoolRole.TEACHER in m.roles
            and not m.led_class_ids.isdisjoint(class_ids))


def may_read_journal(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID,
                     class_id: uuid.UUID | None) -> bool:
    """A group's journal page: its teachers, the class teacher of its class, the
    administrator, and a read token of the school."""
    m = access.membership(school_id)
    leads = m is not None and class_id is not None and class_id in m.led_class_ids
    return (is_admin(access, school_id) or teaches(access, school_id, group_id) or leads
            or token_may(access, school_id, TokenScope.READ))


def may_print_year_documents(access: AccessContext, school_id: uuid.UUID,
                             class_id: uuid.UUID | None) -> bool:
    """A class's year-end documents (a group's year page, the class's summary sheet of final
    grades; issue 15): the class teacher of the class and the administrator. A cross-class
    group (no class) is the administrator's. Not subject teachers, not tokens."""
    if is_admin(access, school_id):
        return True
    m = access.membership(school_id)
    return (m is not None and class_id is not None and SchoolRole.TEACHER in m.roles
            and class_id in m.led_class_ids)


# Results of the year (issue 15): the report card and year grades.


def reads_whole_report_card(access: AccessContext, school_id: uuid.UUID,
                            student_id: uuid.UUID, *, leads_student_class: bool) -> bool:
    """Every subject of a student's report card: the student, their guardians, the class
    teacher of a class the student is enrolled in (`leads_student_class`), the administrator,
    and a read token of the school. A teacher reads only the subjects of the groups they teach
    the student (`teaches`); anyone else nothing."""
    m = access.membership(school_id)
    own = m is not None and (student_id == m.person_id or student_id in m.child_ids)
    return (own or leads_student_class or is_admin(access, school_id)
            or token_may(access, school_id, TokenScope.READ))


def may_override_year_grade_rule(access: AccessContext, school_id: uuid.UUID) -> bool:
    """A year grade despite an open period without a final grade: the administrator, with a
    reason; never a teacher."""
    return is_admin(access, school_id)


# Aggregates (district and region figures, issue 6): counts and shares, never a person.


def aggregate_school_ids(access: AccessContext) -> frozenset[uuid.UUID]:
    """Schools whose aggregates the viewer may read: an officer's reach (municipality or
    region), a read_aggregates token's reach, and the schools the viewer administers."""
    schools = set(access.officer_school_ids)
    if access.scopes is not None and TokenScope.READ_AGGREGATES in access.scopes:
        schools |= access.token_school_ids
    schools |= {s for s in access.memberships if is_admin(access, s)}
    return frozenset(schools)


def reads_only_aggregates(access: AccessContext) -> bool:
    """A viewer who may see figures but no personal data: an officer who belongs to no school,
    or a token whose only scope is read_aggregates. Their queries run under the officer
    database role (DESIGN.md)."""
    if access.scopes is not None:
        return bool(access.scopes) and access.scopes <= {TokenScope.READ_AGGREGATES}
    return access.is_officer and not access.memberships


def require_own_account(access: AccessContext, field: str | None) -> None:
    """Only a person logged in with their own account may bind it to a school; never a token,
    and never an officer, whose account must stay outside every school (a membership would
    take their requests out of the officer database role)."""
    if access.account_id is None or access.scopes is not None:
        raise forbidden(field, "only a person logged in with their own account may do this")
    if access.is_officer:
        raise forbidden(field, "an officer's account cannot belong to a school")
