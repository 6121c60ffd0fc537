"""The bell schedule (расписание звонков) and weekly timetable slots (расписание уроков)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, time

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.classes import StudyGroup
from schema.errors import UserError
from schema.people import Person
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
