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
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from db.models import AuditEntry as AuditRow
from db.models import Lesson, Mark, StudyGroup
from schema.audit import AuditEntry
from schema.ids import try_uuid
from schema.input_checks import TIME_ZONE_REQUIRED, is_naive
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from tenants.errors import bad_argument, request_error
from tenants.rules import can_read_audit_log, can_read_journal_history

# What `history` covers: the journal entries a teacher answers for.
JOURNAL_ENTITIES = ("lessons", "marks")

SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="Global id of the School whose log to read.")]


def _global_id(value: str, type_name: str, argument: str) -> uuid.UUID:
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name == type_name:
            return uuid.UUID(gid.node_id)
    except (ValueError, TypeError):
        pass
    raise bad_argument(argument, f"is not the id of a {type_name}")


def _entity_id(value: str, argument: str) -> uuid.UUID:
    """The log stores raw UUIDs; accept those or the global id of any node."""
    raw = try_uuid(value)
    if raw is not None:
        return raw
    try:
        node_id = try_uuid(relay.GlobalID.from_id(value).node_id)
    except (ValueError, TypeError):
        node_id = None
    if node_id is None:
        raise bad_argument(argument, "is neither a UUID nor a global id")
    return node_id


def _empty() -> relay.Connection[AuditEntry]:
    return relay.Connection(edges=[], page_info=relay.PageInfo(
        has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None))


def _forbidden(what: str) -> Exception:
    return request_error("FORBIDDEN", f"only the school's administrators{what} may read this")


async def _page(info: Info, stmt: Select[tuple[AuditRow]], first: int | None,
                after: str | None) -> relay.Connection[AuditEntry]:
    return await paginate(info.context.session, stmt, keys=[AuditRow.seq], first=first,
                          after=after, to_node=AuditEntry.from_model, descending=True)


async def audit_log(
    info: Info,
    *,
    school_id: SchoolIdArg,
    entity: Annotated[str | None, strawberry.argument(
        description="Only changes of this kind of object: a table name, e.g. `marks`.")] = None,
    entity_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only changes of this object (its UUID or global id).")] = None,
    actor_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only changes made by this Person (global id).")] = None,
    from_: Annotated[datetime | None, strawberry.argument(
        name="from", description="Only changes written at or after this time.")] = None,
    to: Annotated[datetime | None, strawberry.argument(
        description="Only changes written before this time.")] = None,
    first: First = None,
    after: After = None,
) -> relay.Connection[AuditEntry]:
    school = _global_id(school_id, "School", "schoolId")
    for name, value in (("from", from_), ("to", to)):
        if is_naive(value):
            raise bad_argument(name, TIME_ZONE_REQUIRED)
    stmt = select(AuditRow).where(AuditRow.school_id == school)
    if entity is not None:
        stmt = stmt.where(AuditRow.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditRow.entity_id == _entity_id(entity_id, "entityId"))
    if actor_id is not None:
        stmt = stmt.where(AuditRow.actor_person_id == _global_id(actor_id, "Person", "actorId"))
    if from_ is not None:
        stmt = stmt.where(AuditRow.occurred_at >= from_)
    if to is not None:
        stmt = stmt.where(AuditRow.occurred_at < to)
    access = info.context.access
    if access.membership(school) is None:
        return _empty()
    if not can_read_audit_log(access, school):
        raise _forbidden("")
    return await _page(info, stmt, first, after)


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
        .order_by(AuditRow.seq.desc()).limit(1))).first()
    if last is None:
        return None
    values = last.after or last.before or {}
    lesson = entity if last.entity == "lessons" else try_uuid(values.get("lesson_id"))
    return try_uuid(values.get("group_id")), lesson


async def history(
    info: Info,
    *,
    entity_id: Annotated[strawberry.ID, strawberry.argument(
        description="The Lesson or Mark (its UUID or global id).")],
    school_id: SchoolIdArg,
    first: First = None,
    after: After = None,
) -> relay.Connection[AuditEntry]:
    school = _global_id(school_id, "School", "schoolId")
    entity = _entity_id(entity_id, "entityId")
    access = info.context.access
    if access.membership(school) is None:
        return _empty()
    if not can_read_audit_log(access, school):
        place = await _journal_place(info.context.session, school, entity)
        if place is None:
            return _empty()
        group_id, lesson_id = place
        group = (await info.context.loaders.by_id(StudyGroup).load(group_id)
                 if group_id else None)
        if not can_read_journal_history(access, school, group_id=group_id, lesson_id=lesson_id,
                                        class_id=group.class_id if group else None):
            # As for an unknown id: a FORBIDDEN here would confirm that the mark exists.
            return _empty()
    return await _page(info, select(AuditRow).where(
        AuditRow.school_id == school, AuditRow.entity_id == entity,
        AuditRow.entity.in_(JOURNAL_ENTITIES)), first, after)


@strawberry.type
class AuditQuery:
    audit_log: relay.Connection[AuditEntry] = strawberry.field(
        resolver=audit_log, permission_classes=[IsAuthenticated],
        description="A school's audit log (журнал изменений), newest first: every change with "
                    "its author, time and values before and after. School administrators "
                    "only; empty for a school the viewer does not belong to.")
    history: relay.Connection[AuditEntry] = strawberry.field(
        resolver=history, permission_classes=[IsAuthenticated],
        description="The history of one lesson or mark, newest first: for the school's "
                    "administrators, the teachers of its group (and the substitute who taught "
                    "the lesson) and the class teacher. Empty alike for an unknown id and for "
                    "one the viewer may not read.")
