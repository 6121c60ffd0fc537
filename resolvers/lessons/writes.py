"""Writes to one lesson: add, move, cancel, fill in (topic, homework), substitution.

Who: add, move and cancel belong to the administrator and the group's teachers; filling in a
lesson to `may_write_lesson` (also the substitute of that one lesson); substitutions to the
administrator. A lesson of a school the viewer is not a member of is NOT_FOUND; a member
without the right is FORBIDDEN. Every change increments `version` and is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import ActorFor, Change
from db.models import TokenScope
from resolvers.grades.closing import require_period_open
from resolvers.input_ids import Id, require
from resolvers.timeliness import deadlines, late_warning, require_open_window
from resolvers.timetable import MAX_LESSON_NUMBER, school_teacher
from tenants.access import AccessContext
from tenants.errors import (
    DomainError,
    EntryWarning,
    ErrorCode,
    Problem,
    forbidden,
    not_found,
    refusal,
)
from tenants.rules import is_admin, may_write_lesson, require_admin, teaches, token_may

MAX_TOPIC = 500
MAX_HOMEWORK = 5000
MAX_LINKS = 10
MAX_LINK_LENGTH = 2000
MAX_REASON = 500

# The global id a client knows an object by, for messages (schema/ids.py `to_global_id`).
PublicId = Callable[[str, uuid.UUID], str]


@dataclass(frozen=True)
class LessonChanges:
    """What `updateLesson` fills in; None leaves a field as it is, an empty text clears it."""

    topic: str | None = None
    lesson_type_id: Id = None
    homework: str | None = None
    homework_links: list[str] | None = None
    homework_due_on: date | None = None
    recorded_at: datetime | None = None
    expected_version: int | None = None


async def _lesson(session: AsyncSession, access: AccessContext, lesson_id: uuid.UUID,
                  field: str, *, tokens: bool = False) -> models.Lesson:
    """The lesson, locked for the change, if the viewer is a member of its school (or, when
    `tokens`, an integrator token that may write its journal)."""
    row = await session.scalar(
        select(models.Lesson).where(models.Lesson.id == lesson_id).with_for_update())
    if row is None or (access.membership(row.school_id) is None and not (
            tokens and token_may(access, row.school_id, TokenScope.WRITE_JOURNAL))):
        raise not_found(field, "lesson")
    return row


async def _group(session: AsyncSession, access: AccessContext, group_id: uuid.UUID,
                 field: str) -> models.StudyGroup:
    row = await session.scalar(
        select(models.StudyGroup).where(models.StudyGroup.id == group_id))
    if row is None or access.membership(row.school_id) is None:
        raise not_found(field, "study group")
    return row


def _require_planner(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID,
                     field: str) -> None:
    """Planning a group's lessons: its administrator or one of its teachers."""
    if not (is_admin(access, school_id) or teaches(access, school_id, group_id)):
        raise forbidden(field, "only an administrator or a teacher of the group may plan its "
                               "lessons")


def _check_version(row: models.Lesson, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        raise refusal("input.expectedVersion", ErrorCode.CONFLICT,
                         f"the lesson was changed since it was read: its current version is "
                         f"{row.version} (expected {expected})")


async def _year_bounds(session: AsyncSession, group: models.StudyGroup | None,
                       group_id: uuid.UUID) -> tuple[date, date]:
    year_id = group.academic_year_id if group is not None else await session.scalar(
        select(models.StudyGroup.academic_year_id).where(models.StudyGroup.id == group_id))
    year = await session.scalar(select(models.AcademicYear)
                                .where(models.AcademicYear.id == year_id))
    assert year is not None
    return year.starts_on, year.ends_on


async def _date_errors(session: AsyncSession, group_id: uuid.UUID, day: date,
                       number: int | None, exclude: uuid.UUID | None, public_id: PublicId
                       ) -> list[Problem]:
    errors: list[Problem] = []
    start, end = await _year_bounds(session, None, group_id)
    if not start <= day <= end:
        errors.append(Problem(field="input.date", code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be inside the academic year ({start.isoformat()} "
                                        f"– {end.isoformat()})"))
    if number is not None and not 1 <= number <= MAX_LESSON_NUMBER:
        errors.append(Problem(field="input.lessonNumber", code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between 1 and {MAX_LESSON_NUMBER}"))
    elif number is not None:
        clash = await session.scalar(
            select(models.Lesson.id).where(
                models.Lesson.group_id == group_id, models.Lesson.date == day,
                models.Lesson.lesson_number == number,
                models.Lesson.status != models.LessonStatus.CANCELLED,
                models.Lesson.id != (exclude or uuid.UUID(int=0))).limit(1))
        if clash is not None:
            errors.append(Problem(field="input.lessonNumber", code=ErrorCode.OVERLAP,
                                    message=f"the group already has lesson {number} on "
                                            f"{day.isoformat()}: "
                                            f"{public_id('Lesson', clash)}"))
    return errors


async def _lesson_type(session: AsyncSession, school_id: uuid.UUID, value: Id,
                       errors: list[Problem]) -> uuid.UUID | None:
    type_id = require(value)
    if type_id is None:
        return None
    found = await session.scalar(select(models.LessonType.id).where(
        models.LessonType.school_id == school_id, models.LessonType.id == type_id))
    if found is None:
        errors.append(not_found("input.lessonTypeId", "lesson type").problems[0])
    return found


async def _has_entries(session: AsyncSession, lesson_id: uuid.UUID) -> tuple[int, int]:
    marks = await session.scalar(select(func.count()).select_from(models.Mark)
                                 .where(models.Mark.lesson_id == lesson_id))
    visits = await session.scalar(select(func.count()).select_from(models.Attendance)
                                  .where(models.Attendance.lesson_id == lesson_id))
    return int(marks or 0), int(visits or 0)


async def _refuse_with_entries(session: AsyncSession, row: models.Lesson, verb: str) -> None:
    # Marks and attendance belong to the day the lesson took place: cancelling or moving the
    # lesson under them would make the journal lie. Remove them first (audited), then retry.
    marks, visits = await _has_entries(session, row.id)
    if marks or visits:
        raise refusal("input.id", ErrorCode.INVALID,
                         f"the lesson has {marks} mark(s) and {visits} attendance entr(ies); "
                         f"remove them before you {verb} it")


async def _save(session: AsyncSession, actor: ActorFor, row: models.Lesson,
                before: dict[str, Any] | None, *, action: str | None = None,
                extra: dict[str, Any] | None = None, recorded_at: datetime | None = None
                ) -> None:
    if before is not None:
        row.version += 1
    session.add(row)
    await session.flush()
    after = audit.snapshot(row)
    if after is not None and extra:
        after = {**after, **extra}
    await audit.record(session, actor(row.school_id), Change(
        school_id=row.school_id, action=action or ("update" if before else "create"),
        entity="lessons", entity_id=row.id, before=before, after=after,
        recorded_at=recorded_at))


async def _assigned_teacher(session: AsyncSession, group_id: uuid.UUID, day: date
                            ) -> uuid.UUID | None:
    a = models.TeacherAssignment
    return await session.scalar(
        select(a.teacher_id).where(a.group_id == group_id, a.starts_on <= day,
                                   or_(a.ends_on.is_(None), a.ends_on >= day))
        .order_by(a.starts_on, a.id).limit(1))


async def add_lesson(session: AsyncSession, access: AccessContext, actor: ActorFor,
                     group_id: uuid.UUID, day: date, lesson_number: int | None,
                     lesson_type_id: Id, public_id: PublicId) -> models.Lesson:
    group = await _group(session, access, group_id, "input.groupId")
    _require_planner(access, group.school_id, group.id, "input.groupId")
    rules = await deadlines(session, group.school_id)
    now = datetime.now(UTC)
    require_open_window(access, group.school_id, rules, day, now, "input.date")
    await require_period_open(session, access, group.school_id, group.id, day, "input.date")
    errors = await _date_errors(session, group.id, day, lesson_number, None, public_id)
    type_id = await _lesson_type(session, group.school_id, lesson_type_id, errors)
    if errors:
        raise DomainError(*errors)
    me = access.person_id(group.school_id)
    teacher = me if teaches(access, group.school_id, group.id) else \
        await _assigned_teacher(session, group.id, day)
    row = models.Lesson(school_id=group.school_id, id=uuid.uuid4(), group_id=group.id,
                        date=day, lesson_number=lesson_number,
                        lesson_type_id=type_id, status=models.LessonStatus.SCHEDULED,
                        scheduled_teacher_id=teacher, actual_teacher_id=teacher,
                        homework_links=[], version=1)
    await _save(session, actor, row, None)
    return row


async def move_lesson(session: AsyncSession, access: AccessContext, actor: ActorFor,
                      lesson_id: uuid.UUID, to_day: date, lesson_number: int | None,
                      expected_version: int | None, public_id: PublicId) -> models.Lesson:
    row = await _lesson(session, access, lesson_id, "input.id")
    _require_planner(access, row.school_id, row.group_id, "input.id")
    _check_version(row, expected_version)
    rules = await deadlines(session, row.school_id)
    now = datetime.now(UTC)
    require_open_window(access, row.school_id, rules, row.date, now, "input.id")
    for day, field in ((row.date, "input.id"), (to_day, "input.date")):
        await require_period_open(session, access, row.school_id, row.group_id, day, field)
    number = lesson_number if lesson_number is not None else row.lesson_number
    errors = await _date_errors(session, row.group_id, to_day, number, row.id, public_id)
    if errors:
        raise DomainError(*errors)
    await _refuse_with_entries(session, row, "move")
    before = audit.snapshot(row)
    row.date = to_day
    row.lesson_number = number
    await _save(session, actor, row, before)
    return row


async def cancel_lesson(session: AsyncSession, access: AccessContext, actor: ActorFor,
                        lesson_id: uuid.UUID, reason: str | None) -> models.Lesson:
    row = await _lesson(session, access, lesson_id, "input.id")
    _require_planner(access, row.school_id, row.group_id, "input.id")
    rules = await deadlines(session, row.school_id)
    require_open_window(access, row.school_id, rules, row.date, datetime.now(UTC), "input.id")
    await require_period_open(session, access, row.school_id, row.group_id, row.date,
                              "input.id")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise refusal("input.reason", ErrorCode.INVALID,
                         f"must be at most {MAX_REASON} characters")
    if row.status == models.LessonStatus.CANCELLED:
        raise refusal("input.id", ErrorCode.INVALID, "the lesson is already cancelled")
    await _refuse_with_entries(session, row, "cancel")
    before = audit.snapshot(row)
    row.status = models.LessonStatus.CANCELLED
    # The lesson has no column for the reason: the audit entry of the cancellation keeps it.
    await _save(session, actor, row, before, action="cancel",
                extra={"cancel_reason": reason})
    return row


def _links(values: list[str], errors: list[Problem]) -> list[str]:
    if len(values) > MAX_LINKS:
        errors.append(Problem(field="input.homeworkLinks", code=ErrorCode.INVALID,
                                message=f"at most {MAX_LINKS} links"))
        return []
    out = []
    for i, raw in enumerate(values):
        link = raw.strip()
        try:
            parts = urlsplit(link)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok or len(link) > MAX_LINK_LENGTH or any(c.isspace() for c in link):
            errors.append(Problem(field=f"input.homeworkLinks.{i}", code=ErrorCode.INVALID,
                                    message="must be an http or https URL of at most "
                                            f"{MAX_LINK_LENGTH} characters"))
        out.append(link)
    return out


def _text(value: str, field: str, limit: int, errors: list[Problem]) -> str | None:
    text = value.strip()
    if len(text) > limit:
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message=f"must be at most {limit} characters"))
    return text or None


async def _next_lesson_day(session: AsyncSession, row: models.Lesson) -> date | None:
    after = (models.Lesson.date > row.date) | (
        (models.Lesson.date == row.date)
        & (models.Lesson.lesson_number > func.coalesce(row.lesson_number, MAX_LESSON_NUMBER)))
    return await session.scalar(
        select(models.Lesson.date).where(
            models.Lesson.group_id == row.group_id, models.Lesson.id != row.id,
            models.Lesson.status != models.LessonStatus.CANCELLED, after)
        .order_by(models.Lesson.date, models.Lesson.lesson_number).limit(1))


async def update_lesson(session: AsyncSession, access: AccessContext, actor: ActorFor,
                        lesson_id: uuid.UUID, input: LessonChanges
                        ) -> tuple[models.Lesson, list[EntryWarning]]:
    row = await _lesson(session, access, lesson_id, "input.id", tokens=True)
    if not may_write_lesson(access, row.school_id, row.group_id, row.id):
        raise forbidden("input.id", "only a teacher of the group, the substitute of this "
                                    "lesson or an administrator may fill it in")
    _check_version(row, input.expected_version)
    rules = await deadlines(session, row.school_id)
    now = datetime.now(UTC)
    require_open_window(access, row.school_id, rules, row.date, now, "input.id")
    await require_period_open(session, access, row.school_id, row.group_id, row.date,
                              "input.id")
    if row.status == models.LessonStatus.CANCELLED:
        raise refusal("input.id", ErrorCode.INVALID, "the lesson is cancelled")
    errors: list[Problem] = []
    changes: dict[str, Any] = {}
    if input.topic is not None:
        changes["topic"] = _text(input.topic, "input.topic", MAX_TOPIC, errors)
    if input.homework is not None:
        changes["homework"] = _text(input.homework, "input.homework", MAX_HOMEWORK, errors)
    if input.homework_links is not None:
        changes["homework_links"] = _links(input.homework_links, errors)
    if input.lesson_type_id is not None:
        changes["lesson_type_id"] = await _lesson_type(session, row.school_id,
                                                       input.lesson_type_id, errors)
    if input.homework_due_on is not None:
        if input.homework_due_on < row.date:
            errors.append(Problem(field="input.homeworkDueOn", code=ErrorCode.INVALID,
                                    message="must not be before the lesson day"))
        changes["homework_due_on"] = input.homework_due_on
    recorded_at = rules.entry_time(input.recorded_at, now, row.date, "input.recordedAt", errors)
    if errors:
        raise DomainError(*errors)
    judged = recorded_at or now
    before = audit.snapshot(row)
    warnings: list[EntryWarning] = []
    topic_changed = "topic" in changes and changes["topic"] != row.topic
    homework_changed = (("homework" in changes and changes["homework"] != row.homework)
                        or ("homework_links" in changes
                            and changes["homework_links"] != list(row.homework_links or [])))
    for key, value in changes.items():
        setattr(row, key, value)
    if topic_changed:
        row.topic_entered_at = now
        if row.topic and rules.late_for_lesson_day(row.date, judged):
            warnings.append(late_warning("input.topic", "the topic", "the lesson day"))
        # Regulation 5.4: the topic is written on the day the lesson is given.
        if row.topic and row.status == models.LessonStatus.SCHEDULED \
                and row.date <= rules.local_day(now):
            row.status = models.LessonStatus.HELD
    if homework_changed:
        row.homework_entered_at = now
        if (row.homework or row.homework_links) and rules.late_for_lesson_day(row.date, judged):
            warnings.append(late_warning("input.homework", "the homework", "the lesson day"))
    if (row.homework or row.homework_links) and row.homework_due_on is None:
        row.homework_due_on = await _next_lesson_day(session, row)
    await _save(session, actor, row, before, recorded_at=recorded_at)
    return row, warnings


async def set_substitution(session: AsyncSession, access: AccessContext, actor: ActorFor,
                           lesson_id: uuid.UUID, teacher_id: Id, reason: str
                           ) -> models.Lesson:
    row = await _lesson(session, access, lesson_id, "input.lessonId")
    require_admin(access, row.school_id, "input.lessonId")
    errors: list[Problem] = []
    teacher_uuid = require(teacher_id)
    assert teacher_uuid is not None
    teacher = await school_teacher(session, row.school_id, teacher_uuid, "input.teacherId",
                                   errors)
    reason = reason.strip()
    if not reason:
        errors.append(Problem(field="input.reason", code=ErrorCode.REQUIRED,
                                message="is required"))
    elif len(reason) > MAX_REASON:
        errors.append(Problem(field="input.reason", code=ErrorCode.INVALID,
                                message=f"must be at most {MAX_REASON} characters"))
    if teacher is not None and teacher == row.scheduled_teacher_id:
        errors.append(Problem(field="input.teacherId", code=ErrorCode.INVALID,
                                message="is the scheduled teacher; use clearSubstitution"))
    if row.status == models.LessonStatus.CANCELLED:
        errors.append(Problem(field="input.lessonId", code=ErrorCode.INVALID,
                                message="the lesson is cancelled"))
    if errors:
        raise DomainError(*errors)
    before = audit.snapshot(row)
    row.actual_teacher_id = teacher
    row.substitution_reason = reason
    await _save(session, actor, row, before, action="substitute")
    return row


async def clear_substitution(session: AsyncSession, access: AccessContext, actor: ActorFor,
                             lesson_id: uuid.UUID) -> models.Lesson:
    row = await _lesson(session, access, lesson_id, "input.lessonId")
    require_admin(access, row.school_id, "input.lessonId")
    before = audit.snapshot(row)
    row.actual_teacher_id = row.scheduled_teacher_id
    row.substitution_reason = None
    await _save(session, actor, row, before)
    return row
