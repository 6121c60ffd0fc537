"""Writing marks: `setMarks` (a lesson or a journal page at once) and `deleteMark`.

All or nothing, in a constant number of statements whatever the number of marks: the marks
being changed are read (and locked) in one statement, everything else the checks need in one
more (resolvers/marks/context.py), and the marks written with one INSERT, one UPDATE and one
DELETE, each appending its own audit rows. Timeliness (regulation 5.6) is a warning, never a
refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import Actor
from resolvers.grades.closing import require_period_open, require_unlocked
from resolvers.grading.without_marks import REFUSED_MARK
from resolvers.input_ids import Id, collect
from resolvers.marks import receipts
from resolvers.marks.checks import (
    Entry,
    MarkEntry,
    conflict_message,
    label_of,
    mark_columns,
)
from resolvers.marks.context import GroupRef, LessonRef, WriteContext, read_context
from resolvers.marks.targets import (
    MAX_ENTRIES,
    add_once,
    check_writer,
    delete_rows,
    from_state,
    insert_rows,
    load_lessons,
    membership_error,
    row_state,
    update_rows,
)
from resolvers.timeliness import Deadlines, deadlines, late_warning, require_open_window
from tenants.access import AccessContext
from tenants.errors import DomainError, EntryWarning, ErrorCode, Problem

MARKS = models.Mark.__table__


@dataclass(frozen=True)
class MarksToSet:
    """The input of `setMarks` (schema/marks_fields.py fills it from SetMarksInput): the marks
    of a lesson (`lesson_id`), or of a work with its own day (`group_id` and `work_date`)."""

    marks: list[MarkEntry]
    lesson_id: Id = None
    group_id: Id = None
    work_date: date | None = None
    client_key: str | None = None


@dataclass
class Outcome:
    """What a mark write reports besides errors; `conflicts` survives a refused write."""

    marks: list[Any] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    warnings: list[EntryWarning] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    replayed: bool = False


async def load_marks(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    """Existing marks, locked until the transaction ends so their versions cannot move
    between the check and the write; Core rows, so no stale ORM copy outlives the write."""
    if not ids:
        return {}
    rows = await session.execute(select(MARKS).where(MARKS.c.id.in_(ids))
                                 .order_by(MARKS.c.id).with_for_update())
    return {r.id: r for r in rows}


async def set_marks(session: AsyncSession, access: AccessContext,
                    actor: Callable[[uuid.UUID], Actor], input: MarksToSet, out: Outcome
                    ) -> Outcome:
    """`actor` gives the author of the change in the school the marks turn out to be of."""
    key = receipts.check_key(input.client_key)
    fingerprint = receipts.digest(input, key)
    stored = await receipts.replay(session, access, client_key=key, operation="setMarks",
                                   fingerprint=fingerprint)
    if stored is not None:
        return replayed(stored)
    if not input.marks:
        raise DomainError(Problem(field="input.marks", code=ErrorCode.REQUIRED,
                                       message="give at least one mark"))
    if len(input.marks) > MAX_ENTRIES:
        raise DomainError(Problem(field="input.marks", code=ErrorCode.OUT_OF_RANGE,
                                       message=f"at most {MAX_ENTRIES} marks at once"))
    errors: list[Problem] = []
    entries = parse_entries(input, errors)
    if errors:
        raise DomainError(*errors)
    top_group = collect(input.group_id, [])
    existing = await load_marks(session, {e.values["mark_id"] for e in entries
                                          if e.values.get("mark_id")})
    ctx = await read_context(
        session,
        lesson_ids=[e.values["lesson_id"] for e in entries if e.values.get("lesson_id")]
        + [r.lesson_id for r in existing.values() if r.lesson_id],
        group_ids=[top_group] * bool(top_group) + [r.group_id for r in existing.values()],
        group_days=[(top_group, input.work_date)] * bool(top_group and input.work_date)
        + [(r.group_id, r.work_date) for r in existing.values()],
        student_ids=[e.student_id for e in entries if not e.values.get("mark_id")],
        work_type_ids=[e.values["work_type_id"] for e in entries
                       if e.values.get("work_type_id")])
    resolve_targets(input, entries, existing, ctx.lessons, ctx.groups, top_group, errors)
    placed = [e for e in entries if e.group is not None]
    school_ids = {e.group.school_id for e in placed if e.group}
    if len(school_ids) > 1:
        errors.append(Problem(field="input.marks", code=ErrorCode.INVALID,
                                message="one request writes the journal of one school"))
    if errors:
        raise DomainError(*errors)
    school_id = school_ids.pop()
    for e in entries:
        assert e.group is not None
        check_writer(access, school_id, e.group.id, e.lesson.id if e.lesson else None,
                     e.target_field, "lesson" if e.lesson else "study group", errors)
    if errors:
        # Past this point errors describe students and marks: only for those who may write.
        raise DomainError(*errors)

    rules = ctx.rules[school_id]
    now = datetime.now(UTC)
    for e in entries:
        validate_entry(e, access=access, school_id=school_id, rules=rules, now=now, ctx=ctx,
                       errors=errors, out=out)
    if errors:
        raise DomainError(*errors)
    # Closed periods and archived years (regulation 5.7, 5.10).
    require_unlocked(access, school_id, ctx.locks,
                     [(e.group.id, e.work_date, e.path) for e in entries
                      if e.group is not None and e.work_date is not None])
    await write_marks(session, actor(school_id), school_id, entries, now, out)
    if key is not None:
        await receipts.store(session, access, school_id, client_key=key, operation="setMarks",
                             fingerprint=fingerprint, result=state_of(out))
    return out


def parse_entries(input: MarksToSet, errors: list[Problem]) -> list[Entry]:
    collect(input.lesson_id, errors)
    group = collect(input.group_id, errors)
    if input.lesson_id is not None and input.group_id is not None:
        errors.append(Problem(field="input.groupId", code=ErrorCode.INVALID,
                                message="give either lessonId, or groupId with workDate"))
    if group is not None and input.work_date is None:
        errors.append(Problem(field="input.workDate", code=ErrorCode.REQUIRED,
                                message="the day of the work is required with groupId"))
    if input.work_date is not None and input.group_id is None:
        errors.append(Problem(field="input.workDate", code=ErrorCode.INVALID,
                                message="workDate goes with groupId; a lesson has its date"))
    entries: list[Entry] = []
    seen: set[uuid.UUID] = set()
    for n, raw in enumerate(input.marks):
        path = f"input.marks.{n}"
        student = collect(raw.student_id, errors)
        mark_id = collect(raw.mark_id, errors)
        # A malformed lesson id of its own is its entry's NOT_FOUND or REQUIRED, below.
        lesson_id = collect(raw.lesson_id or input.lesson_id, [])
        work_type = collect(raw.work_type_id, errors)
        if mark_id in seen:
            errors.append(Problem(field=f"{path}.markId", code=ErrorCode.DUPLICATE,
                                    message="the same mark appears twice"))
        if mark_id:
            seen.add(mark_id)
        if student is None:
            continue
        target = f"{path}.lessonId" if raw.lesson_id else (
            "input.lessonId" if input.lesson_id else "input.groupId")
        entries.append(Entry(n, path, raw, student, target, values={
            "mark_id": mark_id, "lesson_id": lesson_id, "work_type_id": work_type}))
    return entries


def resolve_targets(input: MarksToSet, entries: list[Entry], existing: dict[uuid.UUID, Any],
                    lessons: dict[uuid.UUID, LessonRef],
                    groups: dict[uuid.UUID, GroupRef], top_group: uuid.UUID | None,
                    errors: list[Problem]) -> None:
    """Each entry's group, lesson and work date: a changed mark's own, else its lesson's,
    else the input's group and day."""
    for e in entries:
        mark_id, lesson_id = e.values["mark_id"], e.values["lesson_id"]
        if mark_id is not None:
            row = existing.get(mark_id)
            if row is None:
                errors.append(Problem(field=f"{e.path}.markId", code=ErrorCode.NOT_FOUND,
                                        message="no such mark"))
                continue
            e.existing, e.target_field = row, f"{e.path}.markId"
            e.group, e.work_date = groups.get(row.group_id), row.work_date
            e.lesson = lessons.get(row.lesson_id) if row.lesson_id else None
            if lesson_id is not None and lesson_id != row.lesson_id:
                errors.append(Problem(field=f"{e.path}.markId", code=ErrorCode.INVALID,
                                        message="the mark belongs to another lesson"))
            elif top_group is not None and top_group != row.group_id:
                errors.append(Problem(field=f"{e.path}.markId", code=ErrorCode.INVALID,
                                        message="the mark belongs to another group"))
            elif row.student_id != e.student_id:
                errors.append(Problem(field=f"{e.path}.studentId", code=ErrorCode.INVALID,
                                        message="the mark is of another student"))
        elif lesson_id is not None:
            lesson = lessons.get(lesson_id)
            if lesson is None:
                add_once(errors, e.target_field, ErrorCode.NOT_FOUND, "no such lesson")
                continue
            e.lesson, e.group, e.work_date = lesson, groups.get(lesson.group_id), lesson.date
            if top_group is not None and lesson.group_id != top_group:
                errors.append(Problem(field=e.target_field, code=ErrorCode.INVALID,
                                        message="the lesson is of another group"))
        elif top_group is not None:
            e.group, e.work_date = groups.get(top_group), input.work_date
            if e.group is None:
                add_once(errors, "input.groupId", ErrorCode.NOT_FOUND, "no such study group")
        else:
            errors.append(Problem(field=f"{e.path}.lessonId", code=ErrorCode.REQUIRED,
                                    message="give the lesson (here or as the input's "
                                            "lessonId), or the input's groupId and workDate"))


def validate_entry(e: Entry, *, access: Any, school_id: uuid.UUID, rules: Deadlines,
                   now: datetime, ctx: WriteContext, errors: list[Problem],
                   out: Outcome) -> None:
    """Check one entry and fill `e.values` with the columns it writes (empty: nothing)."""
    assert e.group is not None and e.work_date is not None
    raw, row, path = e.raw, e.existing, e.path
    before = len(errors)
    changes: dict[str, Any] = {}
    if row is None and raw.expected_version is not None:
        errors.append(Problem(field=f"{path}.expectedVersion", code=ErrorCode.INVALID,
                                message="goes with markId: a new mark has no version"))
    if row is None and raw.remove:
        errors.append(Problem(field=f"{path}.markId", code=ErrorCode.REQUIRED,
                                message="name the mark to remove"))
    if e.group.without_marks and not raw.remove:
        # Removing a mark entered before the configuration stays possible (as deleteMark).
        errors.append(Problem(field=f"{path}.value", code=ErrorCode.INVALID,
                              message=REFUSED_MARK))
        return
    if e.lesson is not None and e.lesson.status == models.LessonStatus.CANCELLED:
        add_once(errors, e.target_field, ErrorCode.INVALID, "the lesson was cancelled: it takes "
                                                            "no marks")
    if row is None and e.work_date > rules.local_day(now):
        add_once(errors, e.target_field if e.lesson else "input.workDate", ErrorCode.INVALID,
                 f"the work of {e.work_date.isoformat()} has not happened yet")
    if row is None:
        problem = membership_error(ctx.spans, e.group.id, e.student_id, e.work_date,
                                   f"{path}.studentId")
        if problem:
            errors.append(problem)
    if row is not None and raw.expected_version is not None and \
            raw.expected_version != row.version:
        out.conflicts.append(row)
        errors.append(Problem(field=f"{path}.expectedVersion", code=ErrorCode.CONFLICT,
                                message=conflict_message("mark", f"«{label_of(row, ctx.scales)}»",
                                                         row.version)))
    recorded = rules.entry_time(raw.recorded_at, now, e.work_date, f"{path}.recordedAt", errors)
    if not raw.remove:
        changes = mark_columns(e, ctx.systems, ctx.scales, ctx.work_types, errors)
    try:
        require_open_window(access, school_id, rules, e.work_date, now, path)
    except DomainError as refusal:
        errors.extend(refusal.problems)
    if len(errors) > before:
        return
    if raw.remove:
        e.values = {"remove": True}
    elif row is not None and all(row._mapping[k] == v for k, v in changes.items()):
        e.values = {}  # nothing changes: no new version, no audit row
        return
    else:
        e.values = {**changes, "recorded_at": recorded}
    if rules.late_mark(e.work_date, recorded or now):
        out.warnings.append(late_warning(path, f"the mark for the work of "
                                               f"{e.work_date.isoformat()}",
                                         f"{rules.mark_deadline_days} days after the work"))


async def write_marks(session: AsyncSession, who: Actor, school_id: uuid.UUID,
                      entries: list[Entry], now: datetime, out: Outcome) -> None:
    new = [e for e in entries if e.existing is None and e.values]
    changed = [(e, e.existing) for e in entries
               if e.existing is not None and e.values and not e.values.get("remove")]
    removed = [(e, e.existing) for e in entries
               if e.existing is not None and e.values.get("remove")]
    fresh = [(e, {"school_id": school_id, "id": uuid.uuid4(),
                  "group_id": e.group.id if e.group else None,
                  "lesson_id": e.lesson.id if e.lesson else None, "student_id": e.student_id,
                  "work_date": e.work_date, "entered_at": now, "entered_by_id": who.person_id,
                  "version": 1, **e.values}) for e in new]
    by_id = await insert_rows(session, MARKS, [values for _, values in fresh], who)
    created = [(e, by_id[values["id"]]) for e, values in fresh]
    by_id.update(await update_rows(
        session, MARKS, school_id, [{"id": row.id, "entered_at": now,
                                     "entered_by_id": who.person_id, **e.values}
                                    for e, row in changed], who))
    await delete_rows(session, MARKS, school_id,
                      [{"id": row.id, "recorded_at": e.raw.recorded_at} for e, row in removed],
                      who)
    made = {id(e): r for e, r in created}
    for e in entries:
        if id(e) in made:
            out.marks.append(made[id(e)])
        elif e.existing is not None and e.values.get("remove"):
            out.removed.append(e.existing.id)
        elif e.existing is not None:
            out.marks.append(by_id.get(e.existing.id, e.existing))


def state_of(out: Outcome) -> dict[str, Any]:
    return {"marks": [row_state(MARKS, r) for r in out.marks],
            "removed": [str(i) for i in out.removed],
            "warnings": receipts.warnings_state(out.warnings)}


def replayed(stored: dict[str, Any]) -> Outcome:
    return Outcome(marks=[from_state(MARKS, s) for s in stored["marks"]],
                   removed=[uuid.UUID(i) for i in stored["removed"]],
                   warnings=receipts.warnings_from_state(stored["warnings"]),
                   replayed=True)


async def delete_mark(session: AsyncSession, access: AccessContext,
                      actor: Callable[[uuid.UUID], Actor], mark_id: uuid.UUID,
                      expected_version: int | None, out: Outcome) -> uuid.UUID:
    errors: list[Problem] = []
    row = (await load_marks(session, {mark_id})).get(mark_id)
    if row is None:
        raise DomainError(Problem(field="input.id", code=ErrorCode.NOT_FOUND,
                                       message="no such mark"))
    lessons = await load_lessons(session, [row.lesson_id] if row.lesson_id else [])
    lesson = lessons.get(row.lesson_id) if row.lesson_id else None
    if not check_writer(access, row.school_id, row.group_id, lesson.id if lesson else None,
                        "input.id", "mark", errors):
        raise DomainError(*errors)
    rules = await deadlines(session, row.school_id)
    now = datetime.now(UTC)
    require_open_window(access, row.school_id, rules, row.work_date, now, "input.id")
    await require_period_open(session, access, row.school_id, row.group_id, row.work_date,
                              "input.id")
    if expected_version is not None and expected_version != row.version:
        out.conflicts.append(row)
        label = await session.scalar(select(models.MarkValue.label)
                                     .where(models.MarkValue.id == row.value_id))
        raise DomainError(Problem(
            field="input.expectedVersion", code=ErrorCode.CONFLICT,
            message=conflict_message("mark", f"«{label}»", row.version)))
    await delete_rows(session, MARKS, row.school_id, [{"id": row.id, "recorded_at": None}],
                      actor(row.school_id))
    return row.id
