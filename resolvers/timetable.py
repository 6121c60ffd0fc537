"""The bell schedule and the weekly timetable: reads for every member, writes for administrators.

A timetable changes mid-year by ending a slot (its last day) and creating its successor from
the next day; slots are never edited in place, so the lessons already generated from the old
slot keep pointing at what was in force on their day.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db import audit, models
from db.audit import Change
from schema.ids import from_global_id, to_global_id
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from schema.timetable import (
    Bell,
    CreateTimetableSlotInput,
    EndTimetableSlotInput,
    SetBellsInput,
    SetBellsPayload,
    TimetableSlot,
    TimetableSlotPayload,
)
from tenants.errors import DomainError, ErrorCode, Problem, bad_argument, not_found

MAX_LESSON_NUMBER = 20
SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(description="The School.")]


def _optional_id(value: str | None, type_name: str, argument: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return from_global_id(value, type_name, argument)
    except DomainError:
        raise bad_argument(argument, f"is not the id of a {type_name}") from None


async def bells(info: Info, school_id: SchoolIdArg) -> list[Bell]:
    school = readable_school(info, school_id)
    if school is None:
        return []
    rows = await info.context.session.scalars(
        select(models.Bell).where(models.Bell.school_id == school)
        .order_by(models.Bell.lesson_number))
    return [Bell.from_model(r) for r in rows]


async def timetable(
    info: Info, school_id: SchoolIdArg,
    on: Annotated[date, strawberry.argument(description="The day: slots in force on it.")],
    group_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the slots of this study group.")] = None,
    teacher_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the slots of this teacher (a Person id).")] = None,
    class_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the slots of this class: its whole-class groups and subgroups, and "
                    "the cross-class groups with a member enrolled in it on the day.")] = None,
) -> list[TimetableSlot]:
    school = readable_school(info, school_id)
    group = _optional_id(group_id, "StudyGroup", "groupId")
    teacher = _optional_id(teacher_id, "Person", "teacherId")
    klass = _optional_id(class_id, "SchoolClass", "classId")
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
    rows = await info.context.session.scalars(
        stmt.order_by(slot.weekday, slot.lesson_number, slot.id))
    return [TimetableSlot.from_model(r) for r in rows]


async def _lock_timetable(session: AsyncSession, school_id: uuid.UUID) -> None:
    """Serialise timetable writes of a school, so two concurrent slots cannot both pass the
    double-booking check."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                          {"k": f"timetable:{school_id}"})


async def set_bells(info: Info, input: SetBellsInput) -> list[models.Bell]:
    school_id = admin_school_by_global_id(info.context.access, input.school_id, "input.schoolId")
    errors: list[Problem] = []
    seen: dict[int, int] = {}
    for i, bell in enumerate(input.bells):
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
        if input.bells[i].starts_at < input.bells[prev].ends_at:
            errors.append(Problem(
                field=f"input.bells.{i}.startsAt", code=ErrorCode.OVERLAP,
                message=f"lesson {number} must start after lesson "
                        f"{input.bells[prev].lesson_number} ends"))
    if errors:
        raise DomainError(*errors)
    session = info.context.session
    old = list(await session.scalars(select(models.Bell).where(models.Bell.school_id == school_id)))
    changes = [Change(school_id=school_id, action="delete", entity="bells", entity_id=b.id,
                      before=audit.snapshot(b)) for b in old]
    await session.execute(delete(models.Bell).where(models.Bell.school_id == school_id))
    new = [models.Bell(school_id=school_id, id=uuid.uuid4(), lesson_number=b.lesson_number,
                       starts_at=b.starts_at, ends_at=b.ends_at)
           for b in sorted(input.bells, key=lambda b: b.lesson_number)]
    session.add_all(new)
    await session.flush()
    changes += [Change(school_id=school_id, action="create", entity="bells", entity_id=b.id,
                       after=audit.snapshot(b)) for b in new]
    await audit.record(session, actor(info, school_id), *changes)
    return new


async def _group_for_admin(info: Info, value: str, field: str) -> models.StudyGroup:
    return await access_for_admin(info, models.StudyGroup, value, "StudyGroup", field,
                                  "study group")


async def school_teacher(session: AsyncSession, school_id: uuid.UUID, value: str, field: str,
                         errors: list[Problem]) -> uuid.UUID | None:
    """A person of the school with the teacher role; another school's person is NOT_FOUND."""
    person_id = from_global_id(value, "Person", field)
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


async def _double_booking(session: AsyncSession, slot: models.TimetableSlot) -> list[Problem]:
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
                    f"{slot.lesson_number} in slot {to_global_id('TimetableSlot', other.id)} "
                    f"(from {other.valid_from.isoformat()}"
                    f"{' to ' + other.valid_to.isoformat() if other.valid_to else ''})"))
    return errors


async def create_timetable_slot(info: Info, input: CreateTimetableSlotInput
                                ) -> models.TimetableSlot:
    session = info.context.session
    group = await _group_for_admin(info, input.group_id, "input.groupId")
    errors: list[Problem] = []
    teacher_id = await school_teacher(session, group.school_id, input.teacher_id,
                                      "input.teacherId", errors)
    if not 1 <= input.weekday <= 7:
        errors.append(Problem(field="input.weekday", code=ErrorCode.OUT_OF_RANGE,
                                message="must be between 1 (Monday) and 7 (Sunday)"))
    if not 1 <= input.lesson_number <= MAX_LESSON_NUMBER:
        errors.append(Problem(field="input.lessonNumber", code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between 1 and {MAX_LESSON_NUMBER}"))
    if input.valid_to is not None and input.valid_to < input.valid_from:
        errors.append(Problem(field="input.validTo", code=ErrorCode.INVALID,
                                message="must not be before validFrom"))
    room = input.room.strip() if input.room is not None else None
    if room is not None and len(room) > 32:
        errors.append(Problem(field="input.room", code=ErrorCode.INVALID,
                                message="must be at most 32 characters"))
    if errors:
        raise DomainError(*errors)
    assert teacher_id is not None
    await _lock_timetable(session, group.school_id)
    row = models.TimetableSlot(
        school_id=group.school_id, id=uuid.uuid4(), group_id=group.id, teacher_id=teacher_id,
        weekday=input.weekday, lesson_number=input.lesson_number, room=room or None,
        valid_from=input.valid_from, valid_to=input.valid_to)
    overlap = await _double_booking(session, row)
    if overlap:
        raise DomainError(*overlap)
    session.add(row)
    await session.flush()
    await audit.record(session, actor(info, row.school_id), Change(
        school_id=row.school_id, action="create", entity="timetable_slots", entity_id=row.id,
        after=audit.snapshot(row)))
    return row


async def end_timetable_slot(info: Info, input: EndTimetableSlotInput) -> models.TimetableSlot:
    session = info.context.session
    row = await access_for_admin(info, models.TimetableSlot, input.id, "TimetableSlot",
                                 "input.id", "timetable slot")
    if input.valid_to < row.valid_from:
        raise DomainError(Problem(field="input.validTo", code=ErrorCode.INVALID,
                                       message="must not be before the slot's validFrom "
                                               f"({row.valid_from.isoformat()})"))
    await _lock_timetable(session, row.school_id)
    before = audit.snapshot(row)
    probe = models.TimetableSlot(**{**{k: getattr(row, k) for k in (
        "school_id", "id", "group_id", "teacher_id", "weekday", "lesson_number",
        "valid_from")}, "valid_to": input.valid_to})
    # Moving the end later may run into a successor slot.
    overlap = await _double_booking(session, probe)
    if overlap:
        raise DomainError(*[Problem(field="input.validTo", code=e.code, message=e.message)
                               for e in overlap])
    row.valid_to = input.valid_to
    await session.flush()
    await audit.record(session, actor(info, row.school_id), Change(
        school_id=row.school_id, action="update", entity="timetable_slots", entity_id=row.id,
        before=before, after=audit.snapshot(row)))
    return row


async def set_bells_field(info: Info, input: Input[SetBellsInput]) -> SetBellsPayload:
    rows, errors = await apply(info, lambda: set_bells(info, input))
    return SetBellsPayload(bells=[Bell.from_model(r) for r in rows or []], errors=errors)


async def create_timetable_slot_field(info: Info, input: Input[CreateTimetableSlotInput]
                                      ) -> TimetableSlotPayload:
    row, errors = await apply(info, lambda: create_timetable_slot(info, input))
    return TimetableSlotPayload(slot=TimetableSlot.from_model(row) if row else None,
                                errors=errors)


async def end_timetable_slot_field(info: Info, input: Input[EndTimetableSlotInput]
                                   ) -> TimetableSlotPayload:
    row, errors = await apply(info, lambda: end_timetable_slot(info, input))
    return TimetableSlotPayload(slot=TimetableSlot.from_model(row) if row else None,
                                errors=errors)


@strawberry.type
class TimetableQuery:
    bells: list[Bell] = strawberry.field(
        resolver=bells, permission_classes=[IsAuthenticated],
        description="The bell schedule of a school (расписание звонков), by lesson number; "
                    "empty for a school the viewer may not read.")
    timetable: list[TimetableSlot] = strawberry.field(
        resolver=timetable, permission_classes=[IsAuthenticated],
        description="The weekly timetable slots in force on a day (расписание), by weekday and "
                    "lesson number; empty for a school the viewer may not read.")


@strawberry.type
class TimetableMutation:
    set_bells: SetBellsPayload = strawberry.field(
        resolver=set_bells_field, permission_classes=[IsAuthenticated],
        description="Replace the bell schedule of a school (administrator).")
    create_timetable_slot: TimetableSlotPayload = strawberry.field(
        resolver=create_timetable_slot_field, permission_classes=[IsAuthenticated],
        description="Add a weekly slot; refused with OVERLAP when the group or the teacher is "
                    "already booked at that weekday and lesson number on a shared day "
                    "(administrator).")
    end_timetable_slot: TimetableSlotPayload = strawberry.field(
        resolver=end_timetable_slot_field, permission_classes=[IsAuthenticated],
        description="Set the last day of a slot, e.g. the day before its successor starts "
                    "(administrator). Lessons already generated are left alone.")
