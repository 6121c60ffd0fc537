"""The fields of marks and attendance: the journal's list of marks and the bulk writes, which
resolvers/marks/queries.py, mark_writes.py and attendance_writes.py carry out."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.marks.attendance import (
    AttendanceOutcome,
    AttendanceToSet,
    StudentAttendance,
    set_attendance,
)
from resolvers.marks.checks import MarkEntry
from resolvers.marks.queries import check_range, group_marks
from resolvers.marks.writes import MarksToSet, Outcome, delete_mark, set_marks
from schema.ids import from_global_id, query_id, to_global_id
from schema.input_ids import decoded
from schema.marks import (
    AttendanceEntry,
    AttendanceInputKind,
    DeleteMarkInput,
    DeleteMarkPayload,
    Mark,
    SetAttendanceInput,
    SetAttendancePayload,
    SetMarksInput,
    SetMarksPayload,
)
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, empty_connection, paginate
from schema.permissions import IsAuthenticated


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
    check_range(from_, to)
    group = await info.context.loaders.by_id(models.StudyGroup).load(group_uuid)  # type: ignore[arg-type]
    stmt = group_marks(info.context.access, group, from_, to)
    if stmt is None:
        return empty_connection(first)
    m = models.Mark
    return await paginate(info.context.session, stmt, keys=[m.work_date, m.id], first=first,
                          after=after, to_node=Mark.from_model)


def marks_to_set(input: SetMarksInput) -> MarksToSet:
    """The input with its ids decoded; an empty own lesson id is the input's lesson, as an
    omitted one is."""
    return MarksToSet(
        marks=[MarkEntry(
            student_id=decoded(raw.student_id, "Person", f"input.marks.{n}.studentId"),
            value=raw.value,
            work_type_id=decoded(raw.work_type_id, "WorkType", f"input.marks.{n}.workTypeId"),
            lesson_id=decoded(raw.lesson_id or None, "Lesson", f"input.marks.{n}.lessonId"),
            comment=None if raw.comment is strawberry.UNSET else raw.comment,
            keep_comment=raw.comment is strawberry.UNSET,
            mark_id=decoded(raw.mark_id, "Mark", f"input.marks.{n}.markId"),
            expected_version=raw.expected_version, remove=raw.remove,
            excluded_from_average=raw.excluded_from_average, recorded_at=raw.recorded_at)
            for n, raw in enumerate(input.marks)],
        lesson_id=decoded(input.lesson_id, "Lesson", "input.lessonId"),
        group_id=decoded(input.group_id, "StudyGroup", "input.groupId"),
        work_date=input.work_date, client_key=input.client_key)


async def set_marks_field(info: Info, input: Input[SetMarksInput]) -> SetMarksPayload:
    out = Outcome()
    result, errors = await apply(info, lambda: set_marks(
        info.context.session, info.context.access, partial(actor, info), marks_to_set(input),
        out))
    done = result or Outcome()
    return SetMarksPayload(
        marks=[Mark.from_model(r) for r in done.marks],
        removed_mark_ids=[strawberry.ID(to_global_id("Mark", i)) for i in done.removed],
        conflicts=[Mark.from_model(r) for r in out.conflicts] if errors else [],
        warnings=done.warnings, replayed=done.replayed, errors=errors)


def attendance_to_set(input: SetAttendanceInput) -> AttendanceToSet:
    return AttendanceToSet(
        lesson_id=decoded(input.lesson_id, "Lesson", "input.lessonId"),
        entries=[StudentAttendance(
            student_id=decoded(e.student_id, "Person", f"input.entries.{n}.studentId"),
            kind=None if e.kind is AttendanceInputKind.PRESENT
            else models.AttendanceKind(e.kind.value),
            late_minutes=e.late_minutes, expected_version=e.expected_version,
            recorded_at=e.recorded_at) for n, e in enumerate(input.entries)],
        client_key=input.client_key)


async def set_attendance_field(info: Info, input: Input[SetAttendanceInput]
                               ) -> SetAttendancePayload:
    out = AttendanceOutcome()
    result, errors = await apply(info, lambda: set_attendance(
        info.context.session, info.context.access, partial(actor, info),
        attendance_to_set(input), out))
    done = result or AttendanceOutcome()
    return SetAttendancePayload(
        entries=[AttendanceEntry.from_model(r) for r in done.entries],
        conflicts=[AttendanceEntry.from_model(r) for r in out.conflicts] if errors else [],
        warnings=done.warnings, replayed=done.replayed, errors=errors)


async def delete_mark_field(info: Info, input: Input[DeleteMarkInput]) -> DeleteMarkPayload:
    out = Outcome()
    deleted, errors = await apply(info, lambda: delete_mark(
        info.context.session, info.context.access, partial(actor, info),
        from_global_id(input.id, "Mark", "input.id"), input.expected_version, out))
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
