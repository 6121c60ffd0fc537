"""Marks and attendance: the journal's list of marks, and the bulk writes (mark_writes.py,
attendance_writes.py) as mutations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.attendance_writes import AttendanceOutcome, set_attendance
from resolvers.mark_writes import Outcome, delete_mark, set_marks
from schema.ids import query_id, to_global_id
from schema.marks import (
    AttendanceEntry,
    DeleteMarkInput,
    DeleteMarkPayload,
    Mark,
    SetAttendanceInput,
    SetAttendancePayload,
    SetMarksInput,
    SetMarksPayload,
)
from schema.mutations import Input, apply
from schema.pagination import After, First, empty_connection, paginate
from schema.permissions import IsAuthenticated
from tenants.errors import bad_argument
from tenants.rules import may_read_journal

MAX_RANGE_DAYS = 366


async def marks(
    info: Info,
    group_id: Annotated[strawberry.ID, strawberry.argument(
        description="The study group (a StudyGroup id); a group whose journal the viewer may "
                    "not read gives an empty list.")],
    from_: Annotated[date, strawberry.argument(name="from", description="First work date.")],
    to: Annotated[date, strawberry.argument(description="Last work date (inclusive); at most "
                                                        "a year after `from`.")],
    first: First = None, after: After = None,
) -> relay.Connection[Mark]:
    group_uuid = query_id(group_id, "StudyGroup", "groupId")
    if to < from_ or (to - from_).days > MAX_RANGE_DAYS:
        raise bad_argument("to", f"must be on or after `from`, at most {MAX_RANGE_DAYS} days "
                                 "later")
    group = await info.context.loaders.by_id(models.StudyGroup).load(group_uuid)  # type: ignore[arg-type]
    if group is None or not may_read_journal(info.context.access, group.school_id, group.id,
                                             group.class_id):
        return empty_connection(first)
    m = models.Mark
    stmt = select(m).where(m.school_id == group.school_id, m.group_id == group.id,
                           m.work_date >= from_, m.work_date <= to)
    return await paginate(info.context.session, stmt, keys=[m.work_date, m.id], first=first,
                          after=after, to_node=Mark.from_model)


async def set_marks_field(info: Info, input: Input[SetMarksInput]) -> SetMarksPayload:
    out = Outcome()
    result, errors = await apply(info, lambda: set_marks(info, input, out))
    done = result or Outcome()
    return SetMarksPayload(
        marks=[Mark.from_model(r) for r in done.marks],
        removed_mark_ids=[strawberry.ID(to_global_id("Mark", i)) for i in done.removed],
        conflicts=[Mark.from_model(r) for r in out.conflicts] if errors else [],
        warnings=done.warnings, replayed=done.replayed, errors=errors)


async def set_attendance_field(info: Info, input: Input[SetAttendanceInput]
                               ) -> SetAttendancePayload:
    out = AttendanceOutcome()
    result, errors = await apply(info, lambda: set_attendance(info, input, out))
    done = result or AttendanceOutcome()
    return SetAttendancePayload(
        entries=[AttendanceEntry.from_model(r) for r in done.entries],
        conflicts=[AttendanceEntry.from_model(r) for r in out.conflicts] if errors else [],
        warnings=done.warnings, replayed=done.replayed, errors=errors)


async def delete_mark_field(info: Info, input: Input[DeleteMarkInput]) -> DeleteMarkPayload:
    out = Outcome()
    deleted, errors = await apply(info, lambda: delete_mark(info, input, out))
    return DeleteMarkPayload(
        deleted_mark_id=strawberry.ID(to_global_id("Mark", deleted)) if deleted else None,
        conflicts=[Mark.from_model(r) for r in out.conflicts], errors=errors)


@strawberry.type
class MarksQuery:
    marks: relay.Connection[Mark] = strawberry.field(
        resolver=marks, permission_classes=[IsAuthenticated],
        description="The marks of a group's journal between two work dates, by date: the "
                    "detail behind the journal grid. For the group's teachers, the class "
                    "teacher of its class and the administrator.")


@strawberry.type
class MarksMutation:
    set_marks: SetMarksPayload = strawberry.field(
        resolver=set_marks_field, permission_classes=[IsAuthenticated],
        description="Create, change or remove the marks of a lesson or of a journal page at "
                    "once, all or nothing: idempotent with `clientKey`, optimistic concurrency "
                    "with `expectedVersion` (CONFLICT), late marks accepted with a warning.")
    set_attendance: SetAttendancePayload = strawberry.field(
        resolver=set_attendance_field, permission_classes=[IsAuthenticated],
        description="Record a lesson's attendance at once (absent, ill, excused, late; PRESENT "
                    "clears an entry), all or nothing; idempotent with `clientKey`.")
    delete_mark: DeleteMarkPayload = strawberry.field(
        resolver=delete_mark_field, permission_classes=[IsAuthenticated],
        description="Remove one mark (the same rights as `setMarks`).")
