"""The bell schedule and the weekly timetable: reads for every member, writes for administrators.

A timetable changes mid-year by ending a slot (its last day) and creating its successor from
the next day; slots are never edited in place, so the lessons already generated from the old
slot keep pointing at what was in force on their day.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from tenants.errors import DomainError, ErrorCode, Problem, not_found

MAX_LESSON_NUMBER = 20

# How the client names a slot in a message (its global id, which schema/ knows how to write).
SlotName = Callable[[uuid.UUID], str]


@dataclass(frozen=True)
class BellTimes:
    """One bell as given: lesson number N starts and ends at these school-local times."""

    lesson_number: int
    starts_at: time
    ends_at: time


async def bells(session: AsyncSession, school_id: uuid.UUID | None) -> list[models.Bell]:
    """A school's bell schedule by lesson number; none for a school the viewer may not read."""
    if school_id is None:
        return []
    return list(await session.scalars(
        select(models.Bell).where(models.Bell.school_id == school_id)
        .order_by(models.Bell.lesson_number)))


async def timetable(session: AsyncSession, school: uuid.UUID | None, on: date, *,
                    group: uuid.UUID | None, teacher: uuid.UUID | None,
                    klass: uuid.UUID | None) -> list[models.TimetableSlot]:
    """The slots in force on a day, optionally of one group, teacher or class; none for a
    school the viewer may not read."""
    if school is None:
        return []
    slot = models.TimetableSlot
    stmt = select(slot).where(slot.school_id == school, slot.valid_from <= on,
                              or_(slot.valid_to.is_(None), slot.valid_to >= on))
    if group is not None:
        stmt = stmt.where(slot.group_id == group)
    if teacher is not None:
        stmt = stmt.where(slot.teacher_id == teacher)
    if klass is not None:
        g, gm, e = models.StudyGroup, models.GroupMembership, models.Enrollment
        own = select(g.id).where(g.school_id == school, g.class_id == klass)
        # A cross-class group belongs to every class one of its members is enrolled in.
        shared = (select(gm.group_id)
                  .join(e, and_(e.school_id == gm.school_id, e.student_id == gm.student_id))
                  .where(gm.school_id == school, e.class_id == klass,
                         gm.starts_on <= on, or_(gm.ends_on.is_(None), gm.ends_on >= on),
                         e.starts_on <= on, or_(e.ends_on.is_(None), e.ends_on >= on)))
        stmt = stmt.where(or_(slot.group_id.in_(own), slot.group_id.in_(shared)))
    return list(await session.scalars(stmt.order_by(slot.weekday, slot.lesson_number, slot.id)))


async def _lock_timetable(session: AsyncSession, school_id: uuid.UUID) -> None:
    """Serialise timetable writes of a school, so two concurrent slots cannot both pass the
    double-booking check."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                          {"k": f"timetable:{school_id}"})


async def set_bells(session: AsyncSession, actor: Actor, school_id: uuid.UUID,
                    given: Sequence[BellTimes]) -> list[models.Bell]:
    """Replace the bell schedule of a school the caller administers."""
    errors: list[Problem] = []
    seen: dict[int, int] = {}
    for i, bell in enumerate(given):
        field = f"input.bells.{i}"
        if not 1 <= bell.lesson_number <= MAX_LESSON_NUMBER:
            errors.append(Problem(field=f"{field}.lessonNumber", code=ErrorCode.OUT_OF_RANGE,
                                    message=f"must be between 1 and {MAX_LESSON_NUMBER}"))
        elif bell.lesson_number in seen:
            errors.append(Problem(field=f"{field}.lessonNumber", code=ErrorCode.DUPLICATE,
                                    message=f"lesson {bell.lesson_number} is already given at "
                                            f"input.bells.{seen[bell.lesson_number]}"))
        else:
            seen[bell.lesson_number] = i
        if bell.starts_at >= bell.ends_at:
            errors.append(Problem(field=f"{field}.endsAt", code=ErrorCode.INVALID,
                                    message="must be after startsAt"))
    ordered = sorted(seen.items())
    for (_, prev), (number, i) in itertools.pairwise(ordered):
        if given[i].starts_at < given[prev].ends_at:
            errors.append(Problem(
                field=f"input.bells.{i}.startsAt", code=ErrorCode.OVERLAP,
                message=f"lesson {number} must start after lesson "
                        f"{given[prev].lesson_number} ends"))
    if errors:
        raise DomainError(*errors)
    old = list(await session.scalars(select(models.Bell).where(models.Bell.school_id == school_id)))
    changes = [Change(school_id=school_id, action="delete", entity="bells", entity_id=b.id,
                      before=audit.snapshot(b)) for b in old]
    await session.execute(delete(models.Bell).where(models.Bell.school_id == school_id))
    new = [models.Bell(school_id=school_id, id=uuid.uuid4(), lesson_number=b.lesson_number,
                       starts_at=b.starts_at, ends_at=b.ends_at)
           for b in sorted(given, key=lambda b: b.lesson_number)]
    session.add_all(new)
    await session.flush()
    changes += [Change(school_id=school_id, action="create", entity="bells", entity_id=b.id,
                       after=audit.snapshot(b)) for b in new]
    await audit.record(session, actor, *changes)
    return new


async def school_teacher(session: AsyncSession, school_id: uuid.UUID, person_id: uuid.UUID,
                         field: str, errors: list[Problem]) -> uuid.UUID | None:
    """A person of the school with the teacher role; another school's person is NOT_FOUND."""
    roles = (await session.execute(
        select(models.Person.id, models.PersonRole.role)
        .outerjoin(models.PersonRole, and_(models.PersonRole.school_id == models.Person.school_id,
                                           models.PersonRole.person_id == models.Person.id))
        .where(models.Person.school_id == school_id, models.Person.id == person_id))).all()
    if not roles:
        errors.append(not_found(field, "person").problems[0])
        return None
    if not any(r.role == models.SchoolRole.TEACHER for r in roles):
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message="is not a teacher of the school"))
        return None
    return person_id


async def _double_booking(session: AsyncSession, slot: models.TimetableSlot,
                          slot_name: SlotName) -> list[Problem]:
    """The group or the teacher already has a slot at that weekday and lesson number on some
    day the new validity shares."""
    s = models.TimetableSlot
    overlapping = and_(
        s.school_id == slot.school_id, s.id != slot.id, s.weekday == slot.weekday,
        s.lesson_number == slot.lesson_number,
        or_(s.valid_to.is_(None), s.valid_to >= slot.valid_from),
        s.valid_from <= func.coalesce(slot.valid_to, date.max),
        or_(s.group_id == slot.group_id, s.teacher_id == slot.teacher_id))
    errors = []
    for other in await session.scalars(select(s).where(overlapping).order_by(s.valid_from)):
        who = ("input.groupId", "the group") if other.group_id == slot.group_id else \
            ("input.teacherId", "the teacher")
        errors.append(Problem(
            field=who[0], code=ErrorCode.OVERLAP,
            message=f"{who[1]} already has a lesson at weekday {slot.weekday}, lesson "
                    f"{slot.lesson_number} in slot {slot_name(other.id)} "
                    f"(from {other.valid_from.isoformat()}"
                    f"{' to ' + other.valid_to.isoformat() if other.valid_to else ''})"))
    return errors


async def create_timetable_slot(session: AsyncSession, actor: Actor, group: models.StudyGroup,
                                *, teacher: uuid.UUID, weekday: int, lesson_number: int,
                                valid_from: date, valid_to: date | None, room: str | None,
                                slot_name: SlotName) -> models.TimetableSlot:
    """A weekly slot of a group the caller administers, unless the group or the teacher is
    booked then already."""
    errors: list[Problem] = []
    teacher_id = await school_teacher(session, group.school_id, teacher, "input.teacherId",
                                      errors)
    if not 1 <= weekday <= 7:
        errors.append(Problem(field="input.weekday", code=ErrorCode.OUT_OF_RANGE,
                                message="must be between 1 (Monday) and 7 (Sunday)"))
    if not 1 <= lesson_number <= MAX_LESSON_NUMBER:
        errors.append(Problem(field="input.lessonNumber", code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between 1 and {MAX_LESSON_NUMBER}"))
    if valid_to is not None and valid_to < valid_from:
        errors.append(Problem(field="input.validTo", code=ErrorCode.INVALID,
                                message="must not be before validFrom"))
    room = room.strip() if room is not None else None
    if room is not None and len(room) > 32:
        errors.append(Problem(field="input.room", code=ErrorCode.INVALID,
                                message="must be at most 32 characters"))
    if errors:
        raise DomainError(*errors)
    assert teacher_id is not None
    await _lock_timetable(session, group.school_id)
    row = models.TimetableSlot(
        school_id=group.school_id, id=uuid.uuid4(), group_id=group.id, teacher_id=teacher_id,
        weekday=weekday, lesson_number=lesson_number, room=room or None,
        valid_from=valid_from, valid_to=valid_to)
    overlap = await _double_booking(session, row, slot_name)
    if overlap:
        raise DomainError(*overlap)
    session.add(row)
    await session.flush()
    await audit.record(session, actor, Change(
        school_id=row.school_id, action="create", entity="timetable_slots", entity_id=row.id,
        after=audit.snapshot(row)))
    return row


async def end_timetable_slot(session: AsyncSession, actor: Actor, row: models.TimetableSlot,
                             valid_to: date, slot_name: SlotName) -> models.TimetableSlot:
    """Set a slot's last day, unless that runs it into a slot booking its group or teacher."""
    if valid_to < row.valid_from:
        raise DomainError(Problem(field="input.validTo", code=ErrorCode.INVALID,
                                       message="must not be before the slot's validFrom "
                                               f"({row.valid_from.isoformat()})"))
    await _lock_timetable(session, row.school_id)
    before = audit.snapshot(row)
    probe = models.TimetableSlot(**{**{k: getattr(row, k) for k in (
        "school_id", "id", "group_id", "teacher_id", "weekday", "lesson_number",
        "valid_from")}, "valid_to": valid_to})
    # Moving the end later may run into a successor slot.
    overlap = await _double_booking(session, probe, slot_name)
    if overlap:
        raise DomainError(*[Problem(field="input.validTo", code=e.code, message=e.message)
                               for e in overlap])
    row.valid_to = valid_to
    await session.flush()
    await audit.record(session, actor, Change(
        school_id=row.school_id, action="update", entity="timetable_slots", entity_id=row.id,
        before=before, after=audit.snapshot(row)))
    return row
