"""Which fields of a visible person the viewer may read (regulation 6.3, 152-ФЗ).

Seeing a person at all is tenants/visibility.py's question; these rules narrow it field by
field for the details that only some readers need.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tenants.access import AccessContext
from tenants.rules import is_admin


def is_self(access: AccessContext, school_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    return access.person_id(school_id) == person_id


def may_read_identifiers(access: AccessContext, school_id: uuid.UUID) -> bool:
    """The external id (from the school's other information systems): administrators only."""
    return is_admin(access, school_id)


def may_read_account(access: AccessContext, school_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    """Whether a person has an account, and its login: the administrator and the person."""
    return is_admin(access, school_id) or is_self(access, school_id, person_id)


def may_read_birth_date_directly(
    access: AccessContext, school_id: uuid.UUID, person_id: uuid.UUID
) -> bool:
    """The administrator, the person themselves and their guardians."""
    m = access.membership(school_id)
    return (is_admin(access, school_id) or is_self(access, school_id, person_id)
            or (m is not None and person_id in m.child_ids))


def leads_a_class(access: AccessContext, school_id: uuid.UUID) -> bool:
    """Whether the class-teacher rule can apply at all (spares a lookup of enrollments)."""
    m = access.membership(school_id)
    return m is not None and bool(m.led_class_ids)


def may_read_birth_date(
    access: AccessContext, school_id: uuid.UUID, person_id: uuid.UUID,
    class_ids: Iterable[uuid.UUID] = (),
) -> bool:
    """Birth date: the administrator, the person, their guardians, and the class teacher of a
    class the person is enrolled in (`class_ids`; any enrollment, as tenants/visibility.py
    counts them). A teacher who only teaches the student a subject does not need it."""
    if may_read_birth_date_directly(access, school_id, person_id):
        return True
    m = access.membership(school_id)
    return m is not None and not m.led_class_ids.isdisjoint(class_ids)
