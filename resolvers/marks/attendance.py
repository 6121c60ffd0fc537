"""Writing a lesson's attendance (`setAttendance`): all or nothing, in a constant number of
statements; presence is no row, so PRESENT removes an entry. Attendance belongs to the lesson
day (regulation 5.4): a later entry is accepted with a warning, judged by the server's time or a
`recordedAt` inside the school's offline window (resolvers/timeliness.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.grades.closing import require_period_open
from resolvers.input_ids import Id, collect
from resolvers.marks import receipts
from resolvers.marks.checks import conflict_message
from resolvers.marks.targets import (
    MAX_ENTRIES,
    check_writer,
    delete_rows,
    from_state,
    insert_rows,
    load_lessons,
    member_spans,
    membership_error,
    row_state,
    update_rows,
)
from resolvers.timeliness import deadlines, late_warning, require_open_window
from tenants.access import AccessContext
from tenants.errors import DomainError, EntryWarning, ErrorCode, Problem

ATTENDANCE = models.Attendance.__table__
LATE_MINUTES = range(1, 46)
EXCUSES = frozenset({models.AttendanceKind.EXCUSED, models.AttendanceKind.ILL})


@dataclass(frozen=True)
class StudentAttendance:
    """One student's entry of `setAttendance` as given (schema/marks_fields.py fills it from
    AttendanceEntryInput); `kind` None: present, which removes the entry."""

    student_id: Id
    kind: models.AttendanceKind | None
    late_minutes: int | None = None
    expected_version: int | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class AttendanceToSet:
    """The input of `setAttendance`."""

    lesson_id: Id
    entries: list[StudentAttendance]
    client_key: str | None = None


@dataclass
class AttendanceOutcome:
    entries: list[Any] = field(default_factory=list)
    warnings: list[EntryWarning] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    replayed: bool = False


def describe(row: Any) -> str:
    kind = models.AttendanceKind(row.kind)
    return f"{kind.value} ({row.late_minutes} min)" if row.late_minutes else kind.value


async def set_attendance(session: AsyncSession, access: AccessContext,
                         actor: Callable[[uuid.UUID], Actor], input: AttendanceToSet,
                         out: AttendanceOutcome) -> AttendanceOutcome:
    """`actor` gives the author of the change in the lesson's school."""
    key = receipts.check_key(input.client_key)
    fingerprint = receipts.digest(input, key)
    stored = await receipts.replay(session, access, client_key=key, operation="setAttendance",
                                   fingerprint=fingerprint)
    if stored is not None:
        return AttendanceOutcome(
            entries=[from_state(ATTENDANCE, s) for s in stored["entries"]],
            warnings=receipts.warnings_from_state(stored["warnings"]),
            replayed=True)
    errors: list[Problem] = []
    lesson_id = collect(input.lesson_id, errors)
    if not input.entries:
        errors.append(Problem(field="input.entries", code=ErrorCode.REQUIRED,
                                message="give at least one student"))
    if len(input.entries) > MAX_ENTRIES:
        errors.append(Problem(field="input.entries", code=ErrorCode.OUT_OF_RANGE,
                                message=f"at most {MAX_ENTRIES} entries at once"))
    students: list[uuid.UUID | None] = []
    seen: set[uuid.UUID] = set()
    for n, entry in enumerate(input.entries):
        student = collect(entry.student_id, errors)
        if student in seen:
            errors.append(Problem(field=f"input.entries.{n}.studentId",
                                    code=ErrorCode.DUPLICATE,
                                    message="the student appears twice"))
        if student:
            seen.add(student)
        students.append(student)
    if errors or lesson_id is None:
        raise DomainError(*errors)
    lesson = (await load_lessons(session, [lesson_id])).get(lesson_id)
    if lesson is None:
        raise DomainError(Problem(field="input.lessonId", code=ErrorCode.NOT_FOUND,
                                       message="no such lesson"))
    school_id = lesson.school_id
    if not check_writer(access, school_id, lesson.group_id, lesson.id, "input.lessonId",
                        "lesson", errors):
        raise DomainError(*errors)
    rules = await deadlines(session, school_id)
    now = datetime.now(UTC)
    if lesson.status == models.LessonStatus.CANCELLED:
        errors.append(Problem(field="input.lessonId", code=ErrorCode.INVALID,
                                message="the lesson was cancelled: it takes no attendance"))
    if lesson.date > rules.local_day(now):
        errors.append(Problem(field="input.lessonId", code=ErrorCode.INVALID,
                                message="the lesson has not happened yet"))
    try:
        require_open_window(access, school_id, rules, lesson.date, now, "input.lessonId")
        await require_period_open(session, access, school_id, lesson.group_id, lesson.date,
                                  "input.lessonId")
    except DomainError as refusal:
        errors.extend(refusal.problems)
    spans = await member_spans(session, school_id, [lesson.group_id], seen)
    existing = {r.student_id: r for r in (await session.execute(
        select(ATTENDANCE).where(ATTENDANCE.c.school_id == school_id,
                                 ATTENDANCE.c.lesson_id == lesson.id,
                                 ATTENDANCE.c.student_id.in_(seen))
        .order_by(ATTENDANCE.c.id).with_for_update())).all()}

    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    removed: list[Row[Any]] = []
    recorded_at: dict[uuid.UUID, datetime | None] = {}
    for n, (entry, student) in enumerate(zip(input.entries, students, strict=True)):
        assert student is not None
        path = f"input.entries.{n}"
        before = len(errors)
        row = existing.get(student)
        problem = membership_error(spans, lesson.group_id, student, lesson.date,
                                   f"{path}.studentId")
        if problem:
            errors.append(problem)
        if entry.expected_version is not None and (row is None
                                                   or row.version != entry.expected_version):
            if row is not None:
                out.conflicts.append(row)
            errors.append(Problem(
                field=f"{path}.expectedVersion", code=ErrorCode.CONFLICT,
                message=conflict_message("entry", describe(row), row.version)
                if row is not None else
                        "the entry changed since it was read: it was removed (present)"))
        recorded = rules.entry_time(entry.recorded_at, now, lesson.date, f"{path}.recordedAt",
                                    errors)
        late = entry.late_minutes
        if entry.kind == models.AttendanceKind.LATE:
            if late is None:
                errors.append(Problem(field=f"{path}.lateMinutes", code=ErrorCode.REQUIRED,
                                        message="how many minutes late?"))
            elif late not in LATE_MINUTES:
                errors.append(Problem(field=f"{path}.lateMinutes",
                                        code=ErrorCode.OUT_OF_RANGE,
                                        message="must be 1 to 45 minutes"))
        elif late is not None:
            errors.append(Problem(field=f"{path}.lateMinutes", code=ErrorCode.INVALID,
                                    message="only a late student has minutes late"))
        if len(errors) > before:
            continue
        if entry.kind is None:
            if row is not None:
                removed.append(row)
        else:
            kind = entry.kind
            if row is None:
                new.append({"student_id": student, "kind": kind.value, "late_minutes": late,
                            "recorded_at": recorded})
            elif (row.kind, row.late_minutes) != (kind.value, late):
                # An excuse's document stays with an excused or ill entry, not with н or оп.
                changed.append({"id": row.id, "kind": kind.value, "late_minutes": late,
                                "excuse_reason": row.excuse_reason if kind in EXCUSES
                                else None, "recorded_at": recorded})
            else:
                continue
        recorded_at[student] = recorded
        if rules.late_for_lesson_day(lesson.date, recorded or now):
            out.warnings.append(late_warning(path, f"attendance of the lesson of "
                                                   f"{lesson.date.isoformat()}",
                                             "the lesson day"))
    if errors:
        raise DomainError(*errors)

    who = actor(school_id)
    inserted = await insert_rows(session, ATTENDANCE, [
        {"school_id": school_id, "id": uuid.uuid4(), "lesson_id": lesson.id, "entered_at": now,
         "entered_by_id": who.person_id, "version": 1, **values} for values in new], who)
    updated = await update_rows(session, ATTENDANCE, school_id, [
        {**values, "entered_at": now, "entered_by_id": who.person_id} for values in changed], who)
    written = {r.student_id: r for r in [*inserted.values(), *updated.values()]}
    await delete_rows(session, ATTENDANCE, school_id,
                      [{"id": r.id, "recorded_at": recorded_at[r.student_id]} for r in removed],
                      who)
    if lesson.attendance_entered_at is None:
        # The first entry of the lesson's attendance, for timeliness reports (flushed by apply).
        before_lesson = audit.snapshot(lesson)
        lesson.attendance_entered_at = now
        await audit.record(session, who, Change(
            school_id=school_id, action="update", entity="lessons", entity_id=lesson.id,
            before=before_lesson, after=audit.snapshot(lesson)))
    gone = {r.student_id for r in removed}
    for student in students:
        assert student is not None
        row = written.get(student) or (None if student in gone else existing.get(student))
        if row is not None:
            out.entries.append(row)
    if key is not None:
        await receipts.store(session, access, school_id, client_key=key,
                             operation="setAttendance", fingerprint=fingerprint, result={
                                 "entries": [row_state(ATTENDANCE, r) for r in out.entries],
                                 "warnings": receipts.warnings_state(out.warnings)})
    return out
