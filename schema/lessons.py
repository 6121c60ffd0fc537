"""Lessons (урок): the node type, its status, and the inputs and payloads of lesson writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.lessons.queries import may_read_lesson
from schema.classes import StudyGroup
from schema.errors import UserError, UserWarning
from schema.ids import try_uuid
from schema.people import Person
from schema.subjects import LessonType

LessonStatusEnum = strawberry.enum(
    models.LessonStatus, name="LessonStatus",
    description="scheduled: planned (from the timetable or added); held: taken place; "
                "cancelled: will not take place (отменён).",
)


@strawberry.type(description="A lesson (урок) of a study group on a date: topic, lesson type, "
                             "homework, and the teacher who actually taught it (замена).")
class Lesson(relay.Node):
    id: relay.NodeID[uuid.UUID]
    date: date = strawberry.field(description="The day of the lesson.")
    lesson_number: int | None = strawberry.field(
        description="Number of the lesson in the day (номер урока, see `bells`); null when "
                    "not placed in the bell schedule.")
    status: LessonStatusEnum = strawberry.field(description="Scheduled, held or cancelled.")
    topic: str | None = strawberry.field(description="Topic of the lesson (тема урока), as "
                                                     "entered; plain text.")
    homework: str | None = strawberry.field(description="Homework (домашнее задание), as "
                                                        "entered; plain text.")
    homework_links: list[str] = strawberry.field(description="Links (http/https) that go with "
                                                             "the homework.")
    homework_due_on: date | None = strawberry.field(
        description="When the homework is due; by default the group's next lesson.")
    substitution_reason: str | None = strawberry.field(
        description="Why another teacher taught the lesson (причина замены); null when not a "
                    "substitution.")
    topic_entered_at: datetime | None = strawberry.field(
        description="When the topic was last entered or changed (server time).")
    homework_entered_at: datetime | None = strawberry.field(
        description="When the homework was last entered or changed (server time).")
    version: int = strawberry.field(description="Incremented by every change; pass it as "
                                                "`expectedVersion` to detect conflicts.")
    school_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID]
    lesson_type_id: strawberry.Private[uuid.UUID | None]
    scheduled_teacher_id: strawberry.Private[uuid.UUID | None]
    actual_teacher_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="True when the lesson was (or will be) taught by someone "
                                  "other than the scheduled teacher.")
    def is_substitution(self) -> bool:
        return (self.actual_teacher_id is not None
                and self.actual_teacher_id != self.scheduled_teacher_id)

    @strawberry.field(description="The kind of lesson (тип занятия); null when not set.")
    async def lesson_type(self, info: Info) -> LessonType | None:
        if self.lesson_type_id is None:
            return None
        row = await info.context.loaders.by_id(models.LessonType).load(self.lesson_type_id)
        return LessonType.from_model(row) if row else None

    @strawberry.field(description="The study group the lesson belongs to.")
    async def group(self, info: Info) -> StudyGroup:
        row = await info.context.loaders.by_id(models.StudyGroup).load(self.group_id)
        return StudyGroup.from_model(row)

    @strawberry.field(description="The teacher of the timetable slot (or who was assigned when "
                                  "the lesson was added); null when unknown or not visible.")
    async def scheduled_teacher(self, info: Info) -> Person | None:
        return await _person(info, self.scheduled_teacher_id)

    @strawberry.field(description="The teacher who actually teaches the lesson: the substitute "
                                  "during a substitution, else the scheduled teacher; null when "
                                  "unknown or not visible.")
    async def actual_teacher(self, info: Info) -> Person | None:
        return await _person(info, self.actual_teacher_id or self.scheduled_teacher_id)

    @classmethod
    def from_model(cls, row: models.Lesson) -> Lesson:
        return cls(
            id=row.id, date=row.date, lesson_number=row.lesson_number, status=row.status,
            topic=row.topic, homework=row.homework,
            homework_links=[str(x) for x in (row.homework_links or [])],
            homework_due_on=row.homework_due_on, substitution_reason=row.substitution_reason,
            topic_entered_at=row.topic_entered_at, homework_entered_at=row.homework_entered_at,
            version=row.version, school_id=row.school_id, group_id=row.group_id,
            lesson_type_id=row.lesson_type_id, scheduled_teacher_id=row.scheduled_teacher_id,
            actual_teacher_id=row.actual_teacher_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Lesson | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.by_id(models.Lesson).load_many([i for i in ids if i])
        rows = [r for r in rows if r is not None]
        groups = await info.context.loaders.by_id(models.StudyGroup).load_many(
            [r.group_id for r in rows])
        found = {r.id: cls.from_model(r) for r, g in zip(rows, groups, strict=True)
                 if may_read_lesson(info.context.access, r, g)}
        return [found.get(i) if i else None for i in ids]


async def _person(info: Info, person_id: uuid.UUID | None) -> Person | None:
    if person_id is None:
        return None
    row = await info.context.loaders.visible_person.load(person_id)
    return Person.from_model(row) if row else None


@strawberry.input(description="A lesson outside the timetable (дополнительный урок).")
class AddLessonInput:
    group_id: strawberry.ID = strawberry.field(description="The study group (a StudyGroup id).")
    date: date = strawberry.field(description="The day of the lesson; inside the group's "
                                              "academic year.")
    lesson_number: int | None = strawberry.field(
        default=None, description="Number of the lesson in the day (1–20); null: not placed.")
    lesson_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="The kind of lesson (a LessonType id of the same school).")


@strawberry.input(description="Move a lesson to another day or lesson number (перенос урока).")
class MoveLessonInput:
    id: strawberry.ID = strawberry.field(description="The lesson to move.")
    date: date = strawberry.field(description="The new day; inside the group's academic year.")
    lesson_number: int | None = strawberry.field(
        default=None, description="The new lesson number; null keeps the current one.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version the client last read; a different current "
                                  "version gives CONFLICT.")


@strawberry.input(description="Cancel a lesson (отмена урока).")
class CancelLessonInput:
    id: strawberry.ID = strawberry.field(description="The lesson to cancel.")
    reason: str | None = strawberry.field(default=None, description="Why it is cancelled "
                                                                    "(recorded in the audit "
                                                                    "log).")


@strawberry.input(description="Fill in a lesson: topic, lesson type, homework; omitted fields "
                              "stay as they are, an empty string clears a text.")
class UpdateLessonInput:
    id: strawberry.ID = strawberry.field(description="The lesson to change.")
    topic: str | None = strawberry.field(default=None, description="Topic (тема урока), at "
                                                                   "most 500 characters.")
    lesson_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="The kind of lesson (a LessonType id of the same school).")
    homework: str | None = strawberry.field(default=None, description="Homework text, at most "
                                                                      "5000 characters.")
    homework_links: list[str] | None = strawberry.field(
        default=None, description="Links for the homework: http or https URLs, at most 10; "
                                  "replaces the current list.")
    homework_due_on: date | None = strawberry.field(
        default=None, description="When the homework is due; when homework is set and this is "
                                  "omitted, the date of the group's next lesson.")
    recorded_at: datetime | None = strawberry.field(
        default=None, description="When the teacher wrote it offline in class, with a time "
                                  "zone offset. Timeliness is judged on it when it lies within "
                                  "the school's offline window (72 hours by default) before "
                                  "now and not before the lesson day; any other value is "
                                  "refused. Omitted: the server's time.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version the client last read; a different current "
                                  "version gives CONFLICT.")


@strawberry.input(description="Record that another teacher teaches a lesson (замена).")
class SetSubstitutionInput:
    lesson_id: strawberry.ID = strawberry.field(description="The lesson.")
    teacher_id: strawberry.ID = strawberry.field(description="The substitute: a teacher (Person "
                                                             "id) of the same school.")
    reason: str = strawberry.field(description="Why (болезнь, курсы…); required.")


@strawberry.input(description="Undo a substitution: the scheduled teacher teaches again.")
class ClearSubstitutionInput:
    lesson_id: strawberry.ID = strawberry.field(description="The lesson.")


@strawberry.type(description="Result of a change to a lesson.")
class LessonPayload:
    lesson: Lesson | None = strawberry.field(description="The lesson; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")
    warnings: list[UserWarning] = strawberry.field(
        default_factory=list,
        description="Accepted but flagged, e.g. a topic entered after the lesson day.")


@strawberry.input(description="Generate the lessons of a span of dates from the timetable.")
class GenerateLessonsInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    from_: date = strawberry.field(name="from", description="First day (inclusive).")
    to: date = strawberry.field(description="Last day (inclusive); at most 400 days after "
                                            "`from`.")
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this study group; null: every group.")


@strawberry.type(description="Result of generating lessons.")
class GenerateLessonsPayload:
    created: int = strawberry.field(description="Lessons created.")
    skipped: int = strawberry.field(description="Lessons that already existed (same group, "
                                                "date and lesson number) and were left alone.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")
