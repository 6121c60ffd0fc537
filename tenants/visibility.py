"""Which rows of personal data a viewer may read, as SQL filters (one place for every list).

- a person sees themselves, and the staff of every school they belong to;
- an administrator (or a read token) sees everyone in the school;
- a teacher sees the students of the groups they teach;
- a class teacher sees the students of their class and those students' guardians;
- a guardian sees their children;
- officers see no person at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from db.models import Enrollment, GroupMembership, Guardianship, Person, PersonRole, TokenScope
from tenants.access import AccessContext
from tenants.rules import STAFF, is_admin


def person_filter(access: AccessContext, *, staff: bool = True) -> ColumnElement[bool]:
    """`staff=False` leaves out "the staff of every school they belong to": a student's
    records (their diary) are not readable by every member just because the person is staff."""
    ms = access.memberships.values()
    everyone = [m.school_id for m in ms if is_admin(access, m.school_id)]
    if access.scopes is not None and TokenScope.READ in access.scopes:
        everyone += list(access.token_school_ids)
    own = [m.person_id for m in ms]
    children = [c for m in ms for c in m.child_ids]
    taught = [g for m in ms for g in m.taught_group_ids]
    led = [c for m in ms for c in m.led_class_ids]
    conds: list[ColumnElement[bool]] = []
    if everyone:
        conds.append(Person.school_id.in_(everyone))
    if own or children:
        conds.append(Person.id.in_(own + children))
    if ms and staff:
        conds.append(and_(
            Person.school_id.in_([m.school_id for m in ms]),
            exists().where(PersonRole.school_id == Person.school_id,
                           PersonRole.person_id == Person.id, PersonRole.role.in_(STAFF)),
        ))
    if taught:
        conds.append(exists().where(GroupMembership.school_id == Person.school_id,
                                    GroupMembership.student_id == Person.id,
                                    GroupMembership.group_id.in_(taught)))
    if led:
        conds.append(exists().where(Enrollment.school_id == Person.school_id,
                                    Enrollment.student_id == Person.id,
                                    Enrollment.class_id.in_(led)))
        led_students = select(Enrollment.student_id).where(Enrollment.class_id.in_(led))
        conds.append(exists().where(Guardianship.school_id == Person.school_id,
                                    Guardianship.guardian_id == Person.id,
                                    Guardianship.student_id.in_(led_students)))
    return or_(*conds) if conds else false()


def visible_persons(access: AccessContext) -> Any:
    """`select(Person)` limited to what the viewer may read."""
    return select(Person).where(person_filter(access))
