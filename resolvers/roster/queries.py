"""Queries of the roster: classes and study groups of a school.

Reading classes and groups is reading the school's structure (any member, officers over the
school, read tokens); the students in them are filtered by tenants/visibility.py. Writing is
the school administrator's job; the write functions live in roster_writes / roster_enrollment.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db import models
from resolvers.listing import Listing
from tenants.access import AccessContext
from tenants.rules import can_read_structure


def classes(access: AccessContext, school_id: uuid.UUID, year_id: uuid.UUID | None
            ) -> Listing | None:
    """The school's classes by grade level and letter; None when the viewer may not read the
    school."""
    if not can_read_structure(access, school_id):
        return None
    c = models.SchoolClass
    stmt = select(c).where(c.school_id == school_id)
    if year_id is not None:
        stmt = stmt.where(c.academic_year_id == year_id)
    return Listing(stmt, [c.grade_level, c.letter, c.id])


def study_groups(access: AccessContext, school_id: uuid.UUID, class_id: uuid.UUID | None,
                 year_id: uuid.UUID | None) -> Listing | None:
    """The school's study groups by name; None when the viewer may not read the school."""
    if not can_read_structure(access, school_id):
        return None
    g = models.StudyGroup
    stmt = select(g).where(g.school_id == school_id)
    if class_id is not None:
        stmt = stmt.where(g.class_id == class_id)
    if year_id is not None:
        stmt = stmt.where(g.academic_year_id == year_id)
    return Listing(stmt, [g.name, g.id])
