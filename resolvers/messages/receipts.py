"""Announcement read receipts: a student or guardian of the class says they read an
announcement; the class teacher (the author, an administrator) sees who of the class's
families did.

The families are the class's students now (the school's local date) and their guardians, each
with the moment they first read it or null. Nobody else confirms reading (staff see an
announcement but are not its audience), and nobody else reads the receipts: a family does not
learn which other families read it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Announcement, AnnouncementRead
from resolvers.messages import _person_member
from tenants.access import AccessContext, SchoolMembership
from tenants.errors import forbidden, not_found, request_error
from tenants.rules import is_admin

_FAMILIES = """
WITH d AS (SELECT CAST(now() AT TIME ZONE timezone AS date) AS today FROM schools
            WHERE id = :school),
students AS (
  SELECT e.student_id FROM d, enrollments e
   WHERE e.school_id = :school AND e.class_id = :class
     AND e.starts_on <= d.today AND (e.ends_on IS NULL OR e.ends_on >= d.today)
), families AS (
  SELECT s.student_id AS person_id, s.student_id, 'student' AS relation FROM students s
  UNION
  SELECT g.guardian_id, s.student_id, 'guardian' FROM students s
    JOIN guardianships g ON g.school_id = :school AND g.student_id = s.student_id
)"""

# Whether the person (or one of their children) is in the class now.
_IS_FAMILY = text(_FAMILIES + """
SELECT EXISTS (SELECT 1 FROM families WHERE person_id = :person)""")

_RECEIPTS = text(_FAMILIES + """
SELECT f.person_id, f.student_id, f.relation, p.last_name, p.first_name, r.read_at
  FROM families f
  JOIN persons p ON p.school_id = :school AND p.id = f.person_id
  LEFT JOIN announcement_reads r ON r.school_id = :school AND r.announcement_id = :announcement
                                 AND r.person_id = f.person_id
 ORDER BY p.last_name, p.first_name, p.id, f.relation, f.student_id""")


@dataclass(frozen=True)
class Receipt:
    person_id: uuid.UUID
    student_id: uuid.UUID  # whose family: the student, or the guardian's child in the class
    relation: str  # student | guardian
    name: str
    read_at: datetime | None


async def _find(session: AsyncSession, access: AccessContext, announcement_id: uuid.UUID
                ) -> tuple[Announcement, SchoolMembership] | None:
    members = {m.school_id: m for m in _person_member(access)}
    if not members:
        return None
    row = await session.scalar(select(Announcement).where(
        Announcement.school_id.in_(list(members)), Announcement.id == announcement_id))
    return None if row is None else (row, members[row.school_id])


async def _is_family(session: AsyncSession, row: Announcement, person: uuid.UUID) -> bool:
    return bool(await session.scalar(_IS_FAMILY, {"school": row.school_id,
                                                  "class": row.class_id, "person": person}))


def _leads(access: AccessContext, row: Announcement, m: SchoolMembership) -> bool:
    return (row.class_id in m.led_class_ids or row.author_id == m.person_id
            or is_admin(access, row.school_id))


async def mark_read(session: AsyncSession, access: AccessContext,
                    announcement_id: uuid.UUID) -> datetime:
    """The viewer (a student of the class, or a guardian of one) read the announcement; the
    first reading counts. When they read it."""
    found = await _find(session, access, announcement_id)
    if found is None:
        raise not_found("input.announcementId", "announcement")
    row, m = found
    if not await _is_family(session, row, m.person_id):
        if _leads(access, row, m):
            raise forbidden("input.announcementId",
                            "only the class's students and guardians confirm reading")
        raise not_found("input.announcementId", "announcement")
    await session.execute(insert(AnnouncementRead).values(
        school_id=row.school_id, id=uuid.uuid4(), announcement_id=row.id,
        person_id=m.person_id).on_conflict_do_nothing(
        index_elements=["school_id", "announcement_id", "person_id"]))
    read_at = await session.scalar(select(AnnouncementRead.read_at).where(
        AnnouncementRead.school_id == row.school_id, AnnouncementRead.announcement_id == row.id,
        AnnouncementRead.person_id == m.person_id))
    assert read_at is not None
    return read_at


async def receipts(session: AsyncSession, access: AccessContext,
                   announcement_id: uuid.UUID) -> list[Receipt]:
    """Who of the class's families read the announcement: for its class teacher, its author
    and administrators; FORBIDDEN for the class's families (they see the announcement, not
    who read it); nothing for anyone else, as for an unknown id. Three statements at most
    whatever the class's size."""
    found = await _find(session, access, announcement_id)
    if found is None:
        return []
    row, m = found
    if not _leads(access, row, m):
        if await _is_family(session, row, m.person_id):
            raise request_error("FORBIDDEN", "only the class teacher and administrators read "
                                             "the receipts of an announcement")
        return []
    rows = await session.execute(_RECEIPTS, {"school": row.school_id, "class": row.class_id,
                                             "announcement": row.id})
    return [Receipt(person_id=r.person_id, student_id=r.student_id, relation=r.relation,
                    name=f"{r.last_name} {r.first_name}", read_at=r.read_at) for r in rows]
