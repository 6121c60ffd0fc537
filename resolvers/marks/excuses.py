"""Excusing absences (`excuseAbsences`): the class teacher turns a student's н into у or б with
the document that excuses it (a parent's note, a doctor's certificate), on any lesson of the
student, whichever group it belongs to. All or nothing, audited like every journal write; the
posting window does not apply (a note comes when the student is back), closed periods do."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import Actor
from resolvers.grades.closing import period_locks, require_unlocked
from resolvers.input_ids import Id, collect
from resolvers.journal.sql import ATTENDANCE_CODES
from resolvers.marks.targets import MAX_ENTRIES, update_rows
from resolvers.people.writes import visible_person
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found, refusal
from tenants.rules import may_excuse_absences

ATTENDANCE = models.Attendance.__table__
EXCUSES = frozenset({models.AttendanceKind.EXCUSED, models.AttendanceKind.ILL})
MAX_REASON = 500
MAX_DAYS = 366


@dataclass(frozen=True)
class ExcuseToRecord:
    """The input of `excuseAbsences`: the student's absences at the given lessons, or every
    absence (н) of theirs between two days."""

    student_id: Id
    kind: models.AttendanceKind
    reason: str
    lesson_ids: list[Id] | None = None
    from_: date | None = None
    to: date | None = None


def check_input(input: ExcuseToRecord, errors: list[Problem]) -> tuple[str, list[uuid.UUID]]:
    reason = input.reason.strip()
    if not reason:
        errors.append(Problem(field="input.reason", code=ErrorCode.REQUIRED, message=(
            "give the document or reason, e.g. «справка от врача № 12»")))
    elif len(reason) > MAX_REASON:
        errors.append(Problem(field="input.reason", code=ErrorCode.INVALID,
                              message=f"must be at most {MAX_REASON} characters"))
    if input.kind not in EXCUSES:
        errors.append(Problem(field="input.kind", code=ErrorCode.INVALID,
                              message="an excuse makes an absence excused or ill"))
    by_range = input.from_ is not None or input.to is not None
    lesson_ids: list[uuid.UUID] = []
    if (input.lesson_ids is not None) == by_range:
        errors.append(Problem(field="input.lessonIds", code=ErrorCode.INVALID,
                              message="give either lessonIds, or from and to"))
    elif input.lesson_ids is not None:
        if not input.lesson_ids:
            errors.append(Problem(field="input.lessonIds", code=ErrorCode.REQUIRED,
                                  message="give at least one lesson"))
        if len(input.lesson_ids) > MAX_ENTRIES:
            errors.append(Problem(field="input.lessonIds", code=ErrorCode.OUT_OF_RANGE,
                                  message=f"at most {MAX_ENTRIES} lessons at once"))
        for n, ref in enumerate(input.lesson_ids):
            lesson_id = collect(ref, errors)
            if lesson_id is not None and lesson_id in lesson_ids:
                errors.append(Problem(field=f"input.lessonIds.{n}", code=ErrorCode.DUPLICATE,
                                      message="the lesson appears twice"))
            elif lesson_id is not None:
                lesson_ids.append(lesson_id)
    else:
        for name, value in (("from", input.from_), ("to", input.to)):
            if value is None:
                errors.append(Problem(field=f"input.{name}", code=ErrorCode.REQUIRED,
                                      message="give both from and to"))
        if input.from_ is not None and input.to is not None:
            if input.to < input.from_:
                errors.append(Problem(field="input.to", code=ErrorCode.INVALID,
                                      message="must not be before from"))
            elif (input.to - input.from_).days >= MAX_DAYS:
                errors.append(Problem(field="input.to", code=ErrorCode.OUT_OF_RANGE,
                                      message=f"at most {MAX_DAYS} days from from"))
    return reason, lesson_ids


def led_on(access: AccessContext, school_id: uuid.UUID, spans: list[Any], day: date) -> bool:
    """Whether the viewer may excuse the student's absence of `day`: the class teacher of the
    class the student was enrolled in that day (or the administrator)."""
    return may_excuse_absences(access, school_id, {
        s.class_id for s in spans
        if s.starts_on <= day and (s.ends_on is None or day <= s.ends_on)})


async def excuse_absences(session: AsyncSession, access: AccessContext,
                          actor: Callable[[uuid.UUID], Actor],
                          input: ExcuseToRecord) -> list[Any]:
    """The entries excused, in lesson order."""
    errors: list[Problem] = []
    student_id = collect(input.student_id, errors)
    reason, lesson_ids = check_input(input, errors)
    if errors or student_id is None:
        raise DomainError(*errors)
    student = await visible_person(session, access, student_id)
    if student is None:
        raise not_found("input.studentId", "student")
    school_id = student.school_id
    e = models.Enrollment
    spans = (await session.execute(select(e.class_id, e.starts_on, e.ends_on).where(
        e.school_id == school_id, e.student_id == student.id))).all()
    if not may_excuse_absences(access, school_id, {s.class_id for s in spans}):
        raise forbidden("input.studentId", "only the class teacher of the student's class or an "
                                           "administrator may excuse absences")
    lesson = models.Lesson
    stmt = (select(ATTENDANCE, lesson.date.label("lesson_date"), lesson.group_id)
            .join(lesson, (lesson.school_id == ATTENDANCE.c.school_id)
                  & (lesson.id == ATTENDANCE.c.lesson_id))
            .where(ATTENDANCE.c.school_id == school_id,
                   ATTENDANCE.c.student_id == student.id))
    if lesson_ids:
        known = {r.id: r for r in (await session.execute(
            select(lesson.id, lesson.date).where(lesson.school_id == school_id,
                                                 lesson.id.in_(lesson_ids)))).all()}
        stmt = stmt.where(ATTENDANCE.c.lesson_id.in_(lesson_ids))
    else:
        stmt = stmt.where(lesson.date.between(input.from_, input.to),
                          ATTENDANCE.c.kind == models.AttendanceKind.ABSENT.value)
    found = (await session.execute(stmt.order_by(lesson.date, lesson.id)
                                   .with_for_update(of=ATTENDANCE))).all()
    rows = {r.lesson_id: r for r in found}
    targets: list[tuple[Any, str]] = []
    if lesson_ids:
        for n, ref in enumerate(input.lesson_ids or []):
            path = f"input.lessonIds.{n}"
            lesson_id = ref if isinstance(ref, uuid.UUID) else None
            if lesson_id not in known:
                errors.append(Problem(field=path, code=ErrorCode.NOT_FOUND,
                                      message="no such lesson"))
                continue
            row = rows.get(lesson_id)
            day = known[lesson_id].date
            if not led_on(access, school_id, spans, day):
                errors.append(Problem(field=path, code=ErrorCode.FORBIDDEN, message=(
                    f"on {day.isoformat()} the student was not in a class you lead")))
            elif row is None:
                errors.append(Problem(field=path, code=ErrorCode.INVALID, message=(
                    "the student was present at this lesson: there is no absence to excuse")))
            elif row.kind != models.AttendanceKind.ABSENT.value:
                code = ATTENDANCE_CODES[models.AttendanceKind(row.kind)]
                errors.append(Problem(field=path, code=ErrorCode.INVALID, message=(
                    f"the entry is «{code}», not an unexcused absence (н)")))
            else:
                targets.append((row, path))
    else:
        if not found:
            raise refusal("input.from", ErrorCode.INVALID, (
                f"the student has no unexcused absence (н) from {input.from_} to {input.to}"))
        days = sorted({r.lesson_date for r in found
                       if not led_on(access, school_id, spans, r.lesson_date)})
        if days:
            errors.append(Problem(field="input.from", code=ErrorCode.FORBIDDEN, message=(
                "the student was not in a class you lead on "
                + ", ".join(d.isoformat() for d in days))))
        targets = [(r, "input.from") for r in found]
    if errors:
        raise DomainError(*errors)
    # Closed periods and archived years (regulation 5.7, 5.10), as for every journal entry.
    locks = await period_locks(session, school_id, [(r.group_id, r.lesson_date)
                                                    for r, _ in targets])
    require_unlocked(access, school_id, locks, [(r.group_id, r.lesson_date, path)
                                                for r, path in targets])
    who = actor(school_id)
    now = datetime.now(UTC)
    written = await update_rows(session, ATTENDANCE, school_id, [
        {"id": r.id, "kind": input.kind.value, "excuse_reason": reason, "recorded_at": None,
         "entered_at": now, "entered_by_id": who.person_id} for r, _ in targets], who)
    return [written[r.id] for r, _ in targets]

