"""Reading the audit log: a school's whole log for its administrators, and the history of one
lesson or mark for the teachers who teach it.

A school the viewer does not belong to looks like a school with an empty log; a member whose
role does not allow reading the whole log gets a FORBIDDEN error (the screen is for
administrators). The history of one entry is empty alike for an unknown id and for an entry
the viewer may not read, as `node` answers null alike: its answer never tells that an entry
exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry as AuditRow
from db.models import Lesson, Mark, StudyGroup
from resolvers.input_ids import try_uuid
from tenants.access import AccessContext
from tenants.errors import request_error
from tenants.rules import can_read_audit_log, can_read_journal_history

# What `history` covers: the journal entries a teacher answers for.
JOURNAL_ENTITIES = ("lessons", "marks")
# The order of a page of the log: newest first. A row is listed once it is sealed into the
# chain (db/audit.py), which the writing request does right after its commit.
PAGE_KEYS = (AuditRow.seq,)
SEALED = AuditRow.seq.is_not(None)


@dataclass(frozen=True)
class AuditFilter:
    """Which changes of a school's log to list; None means any."""

    entity: str | None = None
    entity_id: uuid.UUID | None = None
    actor_person_id: uuid.UUID | None = None
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None


def audit_log(access: AccessContext, school_id: uuid.UUID, where: AuditFilter
              ) -> Select[tuple[AuditRow]] | None:
    """The school's log entries matching `where`, to be paged by PAGE_KEYS descending; None
    (an empty log) for a school the viewer does not belong to."""
    if access.membership(school_id) is None:
        return None
    if not can_read_audit_log(access, school_id):
        raise request_error("FORBIDDEN", "only the school's administrators may read this")
    stmt = select(AuditRow).where(AuditRow.school_id == school_id, SEALED)
    if where.entity is not None:
        stmt = stmt.where(AuditRow.entity == where.entity)
    if where.entity_id is not None:
        stmt = stmt.where(AuditRow.entity_id == where.entity_id)
    if where.actor_person_id is not None:
        stmt = stmt.where(AuditRow.actor_person_id == where.actor_person_id)
    if where.occurred_from is not None:
        stmt = stmt.where(AuditRow.occurred_at >= where.occurred_from)
    if where.occurred_before is not None:
        stmt = stmt.where(AuditRow.occurred_at < where.occurred_before)
    return stmt


async def _journal_place(session: AsyncSession, school: uuid.UUID, entity: uuid.UUID
                         ) -> tuple[uuid.UUID | None, uuid.UUID | None] | None:
    """(group, lesson) of a lesson or mark; for one since deleted, from its last snapshot."""
    live = (await session.execute(union_all(
        select(Lesson.group_id, Lesson.id.label("lesson_id"))
        .where(Lesson.school_id == school, Lesson.id == entity),
        select(Mark.group_id, Mark.lesson_id).where(Mark.school_id == school, Mark.id == entity),
    ))).first()
    if live is not None:
        return live.group_id, live.lesson_id
    last = (await session.execute(
        select(AuditRow.entity, AuditRow.before, AuditRow.after)
        .where(AuditRow.school_id == school, AuditRow.entity_id == entity,
               AuditRow.entity.in_(JOURNAL_ENTITIES))
        .order_by(AuditRow.seq.desc().nulls_first(), AuditRow.occurred_at.desc())
        .limit(1))).first()
    if last is None:
        return None
    values = last.after or last.before or {}
    lesson = entity if last.entity == "lessons" else try_uuid(values.get("lesson_id"))
    return try_uuid(values.get("group_id")), lesson


async def history(session: AsyncSession, access: AccessContext, school_id: uuid.UUID,
                  entity_id: uuid.UUID) -> Select[tuple[AuditRow]] | None:
    """The log entries of one lesson or mark, to be paged by PAGE_KEYS descending; None (an
    empty history) alike for an unknown entry and for one the viewer may not read."""
    if access.membership(school_id) is None:
        return None
    if not can_read_audit_log(access, school_id):
        place = await _journal_place(session, school_id, entity_id)
        if place is None:
            return None
        group_id, lesson_id = place
        class_id = await session.scalar(select(StudyGroup.class_id).where(
            StudyGroup.school_id == school_id, StudyGroup.id == group_id)) if group_id else None
        if not can_read_journal_history(access, school_id, group_id=group_id,
                                        lesson_id=lesson_id, class_id=class_id):
            # As for an unknown id: a FORBIDDEN here would confirm that the mark exists.
            return None
    return select(AuditRow).where(AuditRow.school_id == school_id, SEALED,
                                  AuditRow.entity_id == entity_id,
                                  AuditRow.entity.in_(JOURNAL_ENTITIES))
