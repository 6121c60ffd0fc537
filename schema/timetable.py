"""The bell schedule (расписание звонков) and weekly timetable slots (расписание уроков):
types, inputs, payloads, and the fields that read and write them (rules in
resolvers/timetable.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, time
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import timetable as rules
from schema.classes import StudyGroup
from schema.errors import UserError
from schema.ids import SchoolIdArg, from_global_id, query_id, to_global_id
from schema.mutations import Input, actor, apply
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.school_access import access_for_admin, admin_school_by_global_id, readable_school
from schema.structure import structure_nodes


@strawberry.type(description="When lesson number N starts and ends (звонок).")
class Bell:
    lesson_number: int = strawberry.field(description="Number of the lesson in the day.")
    starts_at: time = strawberry.field(description="Start, school local time.")
    ends_at: time = strawberry.field(description="End, school local time.")

    @classmethod
    def from_model(cls, row: models.Bell) -> Bell:
        return cls(lesson_number=row.lesson_number, starts_at=row.starts_at, ends_at=row.ends_at)


@strawberry.type(description="A weekly timetable slot: a group has a lesson with a teacher on "
                             "a weekday at a lesson number, for a span of dates.")
class TimetableSlot(relay.Node):
    id: relay.NodeID[uuid.UUID]
    weekday: int = strawberry.field(description="Day of the week, 1 = Monday … 7 = Sunday.")
    lesson_number: int = strawberry.field(description="Number of the lesson in the day.")
    room: str | None = strawberry.field(description="Room (кабинет); null when not set.")
    valid_from: date = strawberry.field(description="First day the slot is in force.")
    valid_to: date | None = strawberry.field(description="Last day the slot is in force; null: "
                                                         "until further notice.")
    school_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID]
    teacher_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The study group taught.")
    async def group(self, info: Info) -> StudyGroup:
        row = await info.context.loaders.by_id(models.StudyGroup).load(self.group_id)
        return StudyGroup.from_model(row)

    @strawberry.field(description="The teacher; null when the viewer may not see people.")
    async def teacher(self, info: Info) -> Person | None:
        row = await info.context.loaders.visible_person.load(self.teacher_id)
        return Person.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.TimetableSlot) -> TimetableSlot:
        return cls(id=row.id, weekday=row.weekday, lesson_number=row.lesson_number,
                   room=row.room, valid_from=row.valid_from, valid_to=row.valid_to,
                   school_id=row.school_id, group_id=row.group_id, teacher_id=row.teacher_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TimetableSlot | None]:
        return await structure_nodes(info, node_ids, models.TimetableSlot, cls.from_model)


@strawberry.input(description="One bell of the schedule.")
class BellInput:
    lesson_number: int = strawberry.field(description="Number of the lesson, 1–20; unique in "
                                                      "the schedule.")
    starts_at: time = strawberry.field(description="Start, school local time.")
    ends_at: time = strawberry.field(description="End, after the start and before the next "
                                                 "lesson starts.")


@strawberry.input(description="Replace a school's bell schedule.")
class SetBellsInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    bells: list[BellInput] = strawberry.field(description="The whole new schedule; lesson "
                                                          "numbers unique, times not "
                                                          "overlapping.")


@strawberry.type(description="Result of replacing the bell schedule.")
class SetBellsPayload:
    bells: list[Bell] = strawberry.field(description="The schedule now in force, by lesson "
                                                     "number; empty when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="A new weekly timetable slot.")
class CreateTimetableSlotInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (its school is the "
                                                           "slot's school).")
    teacher_id: strawberry.ID = strawberry.field(description="The teacher (a Person with the "
                                                             "teacher role in the school).")
    weekday: int = strawberry.field(description="Day of the week, 1 = Monday … 7 = Sunday.")
    lesson_number: int = strawberry.field(description="Number of the lesson in the day, 1–20.")
    valid_from: date = strawberry.field(description="First day the slot is in force.")
    valid_to: date | None = strawberry.field(default=None, description="Last day; null: until "
                                                                       "further notice.")
    room: str | None = strawberry.field(default=None, description="Room, at most 32 "
                                                                  "characters.")


@strawberry.input(description="End a slot: it is in force up to and including `validTo` (for "
                              "a change from date D, end the old slot on D − 1).")
class EndTimetableSlotInput:
    id: strawberry.ID = strawberry.field(description="The slot.")
    valid_to: date = strawberry.field(description="Its last day; not before its first day.")


@strawberry.type(description="Result of creating or ending a timetable slot.")
class TimetableSlotPayload:
    slot: TimetableSlot | None = strawberry.field(description="The slot; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


# Fields ------------------------------------------------------------------------------------

async def bells(info: Info, school_id: SchoolIdArg) -> list[Bell]:
    rows = await rules.bells(info.context.session, readable_school(info, school_id))
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
    rows = await rules.timetable(
        info.context.session, school, on,
        group=query_id(group_id, "StudyGroup", "groupId"),
        teacher=query_id(teacher_id, "Person", "teacherId"),
        klass=query_id(class_id, "SchoolClass", "classId"))
    return [TimetableSlot.from_model(r) for r in rows]


def _slot_name(slot_id: uuid.UUID) -> str:
    return to_global_id("TimetableSlot", slot_id)


async def set_bells_field(info: Info, input: Input[SetBellsInput]) -> SetBellsPayload:
    async def write() -> list[models.Bell]:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        return await rules.set_bells(
            info.context.session, actor(info, school_id), school_id,
            [rules.BellTimes(b.lesson_number, b.starts_at, b.ends_at) for b in input.bells])

    rows, errors = await apply(info, write)
    return SetBellsPayload(bells=[Bell.from_model(r) for r in rows or []], errors=errors)


async def create_timetable_slot_field(info: Info, input: Input[CreateTimetableSlotInput]
                                      ) -> TimetableSlotPayload:
    async def write() -> models.TimetableSlot:
        group = await access_for_admin(info, models.StudyGroup, input.group_id, "StudyGroup",
                                       "input.groupId", "study group")
        teacher = from_global_id(input.teacher_id, "Person", "input.teacherId")
        return await rules.create_timetable_slot(
            info.context.session, actor(info, group.school_id), group, teacher=teacher,
            weekday=input.weekday, lesson_number=input.lesson_number,
            valid_from=input.valid_from, valid_to=input.valid_to, room=input.room,
            slot_name=_slot_name)

    row, errors = await apply(info, write)
    return TimetableSlotPayload(slot=TimetableSlot.from_model(row) if row else None,
                                errors=errors)


async def end_timetable_slot_field(info: Info, input: Input[EndTimetableSlotInput]
                                   ) -> TimetableSlotPayload:
    async def write() -> models.TimetableSlot:
        row = await access_for_admin(info, models.TimetableSlot, input.id, "TimetableSlot",
                                     "input.id", "timetable slot")
        return await rules.end_timetable_slot(info.context.session,
                                              actor(info, row.school_id), row, input.valid_to,
                                              _slot_name)

    row, errors = await apply(info, write)
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
