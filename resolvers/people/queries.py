"""Queries of the people domain: the persons of a school the viewer may see."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select

from db import models
from resolvers.listing import Listing
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.visibility import person_filter

SEARCH_MAX = 100


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def people(access: AccessContext, school_id: uuid.UUID, role: models.SchoolRole | None,
           search: str | None) -> Listing:
    """The school's people the viewer may see, by last name and first name; `search` is a
    prefix of either name, case ignored."""
    person = models.Person
    stmt = select(person).where(person.school_id == school_id, person_filter(access))
    if role is not None:
        stmt = stmt.where(exists().where(models.PersonRole.school_id == person.school_id,
                                         models.PersonRole.person_id == person.id,
                                         models.PersonRole.role == role))
    text = (search or "").strip()
    if len(text) > SEARCH_MAX:
        raise bad_argument("search", f"must be at most {SEARCH_MAX} characters")
    if text:
        pattern = _like_prefix(text)
        stmt = stmt.where(or_(person.last_name.ilike(pattern, escape="\\"),
                              person.first_name.ilike(pattern, escape="\\")))
    return Listing(stmt, [person.last_name, person.first_name, person.id])
