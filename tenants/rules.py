"""Who may do what: the permission rules, in one place (DESIGN.md "Who sees what").

Resolvers ask these questions; they never inspect roles themselves.
"""

from __future__ import annotations

import uuid

from db.models import SchoolRole, TokenScope
from schema.errors import forbidden
from tenants.access import AccessContext

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
