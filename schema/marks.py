"""Marks (отметки) and attendance (посещаемость): node types, inputs and payloads.

A mark or an attendance entry is readable with its group's journal page (tenants/rules.py
`may_read_journal`), by the substitute who taught its lesson, and with the student's diary:
the student themselves, their guardians, and staff who may see the student.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.grading.conversion import convert_value
from schema.errors import UserError, UserWarning
from schema.grading import MarkValue
from schema.ids import from_global_id, to_global_id, try_uuid
from schema.people import Person
from schema.subjects import WorkType
from tenants.errors import DomainError, bad_argument
from tenants.rules import is_staff, may_read_journal

AttendanceKindEnum = strawberry.enum(
    models.AttendanceKind, name="AttendanceKind",
    description="Why a student missed (part of) a lesson: absent (н, without a reason given), "
                "ill (б, болезнь), excused (у/п, уважительная причина), late (оп, опоздание).",
)


@strawberry.enum(description="What to record for a student at a lesson: an attendance kind, "
                             "or PRESENT to clear an entry (presence is the absence of an "
                             "entry).")
class AttendanceInputKind(enum.Enum):
    ABSENT = strawberry.enum_value("absent", description="Absent (н).")
    ILL = strawberry.enum_value("ill", description="Ill (б).")
    EXCUSED = strawberry.enum_value("excused", description="Excused (у/п).")
    LATE = strawberry.enum_value("late", description="Late (оп); needs `lateMinutes`.")
    PRESENT = strawberry.enum_value("present", description="Present: removes the entry.")


async def readable_rows(info: Info, rows: Sequence[Any], lesson_ids: Sequence[uuid.UUID | None],
                        group_ids: Sequence[uuid.UUID | None]) -> list[bool]:
    """Per row (with `school_id` and `student_id`): whether the viewer may read it — the
    group's journal, the substitute of its lesson, or the student's diary."""
    access = info.context.access
    loaded = await info.context.loaders.by_id(models.StudyGroup).load_many(
        [g for g in group_ids if g is not None])
    by_id = {g.id: g for g in loaded if g is not None}
    groups = [by_id.get(g) if g is not None else None for g in group_ids]
    out: list[bool] = []
    diary: list[int] = []
    for n, (row, lesson_id, group) in enumerate(zip(rows, lesson_ids, groups, strict=True)):
        m = access.membership(row.school_id)
        journal = group is not None and may_read_journal(access, row.school_id, group.id,
                                                         group.class_id)
        substitute = m is not None and lesson_id is not None and \
            lesson_id in m.substitute_lesson_ids
        own = m is not None and (row.student_id == m.person_id or row.student_id in m.child_ids)
        out.append(journal or substitute or own)
        if not out[-1] and is_staff(access, row.school_id):
            diary.append(n)
    if diary:
        # Staff read a diary exactly when they may see the student (tenants/visibility.py).
        persons = await info.context.loaders.visible_person.load_many(
            [rows[n].student_id for n in diary])
        for n, person in zip(diary, persons, strict=True):
            out[n] = person is not None
    return out


def target_system(system_id: str) -> uuid.UUID:
    """The `systemId` argument of a `valueIn` field (marks and grades)."""
    try:
        return from_global_id(system_id, "GradingSystem", "systemId")
    except DomainError:
        raise bad_argument("systemId", "is not the id of a GradingSystem") from None


async def value_in_system(info: Info, value_ref: uuid.UUID, target: uuid.UUID, day: date
                          ) -> MarkValue | None:
    """A value read in another grading system of its school on `day`
    (resolvers/grading/conversion.py);
    null for a system of another school."""
    row = await convert_value(info.context.loaders, value_ref, target, day)
    return MarkValue.from_model(row) if row else None


async def person_or_none(info: Info, person_id: uuid.UUID | None) -> Person | None:
    if person_id is None:
        return None
    row = await info.context.loaders.visible_person.load(person_id)
    return Person.from_model(row) if row else None


@strawberry.type(description="A mark (отметка) of a student for one piece of work: in a lesson, "
                             "or for a work with its own date.")
class Mark(relay.Node):
    id: relay.NodeID[uuid.UUID]
    work_date: date = strawberry.field(description="The day of the work (the lesson's date for "
                                                   "a mark in a lesson); deadlines count from "
                                                   "it.")
    comment: str | None = strawberry.field(description="The teacher's comment, if any.")
    excluded_from_average: bool = strawberry.field(
        description="True when the mark does not count in averages.")
    recorded_at: datetime | None = strawberry.field(
        description="When the teacher recorded the mark (e.g. offline in class), as the client "
                    "said; null when not given.")
    entered_at: datetime = strawberry.field(description="When the server stored the mark (or "
                                                        "its last change).")
    version: int = strawberry.field(description="Version for optimistic concurrency: send it as "
                                                "`expectedVersion` when changing the mark.")
    school_id: strawberry.Private[uuid.UUID]
    group_ref: strawberry.Private[uuid.UUID]
    lesson_ref: strawberry.Private[uuid.UUID | None]
    student_id: strawberry.Private[uuid.UUID]
    value_ref: strawberry.Private[uuid.UUID]
    work_type_ref: strawberry.Private[uuid.UUID]
    entered_by_ref: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The mark as written, the label of its grading-system value, "
                                  "e.g. «5».")
    async def value(self, info: Info) -> str:
        row = await info.context.loaders.by_id(models.MarkValue).load(self.value_ref)
        return row.label if row else ""

    @strawberry.field(description="The mark read in another grading system of the school (a "
                                  "pinned conversion table valid on the work date, otherwise "
                                  "the 0–100 axis).")
    async def value_in(
        self, info: Info,
        system_id: Annotated[strawberry.ID, strawberry.argument(
            description="The target grading system (global id of a `GradingSystem`).")],
    ) -> MarkValue | None:
        target = target_system(system_id)
        return await value_in_system(info, self.value_ref, target, self.work_date)

    @strawberry.field(name="valueId", description="Global id of the value (type `MarkValue`).")
    def value_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("MarkValue", self.value_ref))

    @strawberry.field(description="The kind of work (вид работы), which gives the mark its "
                                  "weight.")
    async def work_type(self, info: Info) -> WorkType | None:
        row = await info.context.loaders.by_id(models.WorkType).load(self.work_type_ref)
        return WorkType.from_model(row) if row else None

    @strawberry.field(description="The student; null when the viewer may not see them.")
    async def student(self, info: Info) -> Person | None:
        return await person_or_none(info, self.student_id)

    @strawberry.field(description="Who entered the mark (or its last change); null for an "
                                  "integrator token or when the viewer may not see them.")
    async def entered_by(self, info: Info) -> Person | None:
        return await person_or_none(info, self.entered_by_ref)

    @strawberry.field(name="lessonId", description="Global id of the lesson (type `Lesson`); "
                                                   "null for a work with its own date.")
    def lesson_gid(self) -> strawberry.ID | None:
        return strawberry.ID(to_global_id("Lesson", self.lesson_ref)) if self.lesson_ref \
            else None

    @strawberry.field(name="groupId", description="Global id of the study group (type "
                                                  "`StudyGroup`) whose journal holds the "
                                                  "mark.")
    def group_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("StudyGroup", self.group_ref))

    @classmethod
    def from_model(cls, row: Any) -> Mark:
        """From a `marks` row: an ORM object, a Core row or a stored receipt's namespace."""
        return cls(id=row.id, work_date=row.work_date, comment=row.comment,
                   excluded_from_average=row.excluded_from_average, recorded_at=row.recorded_at,
                   entered_at=row.entered_at, version=row.version, school_id=row.school_id,
                   group_ref=row.group_id, lesson_ref=row.lesson_id, student_id=row.student_id,
                   value_ref=row.value_id, work_type_ref=row.work_type_id,
                   entered_by_ref=row.entered_by_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mark | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = [r for r in await info.context.loaders.by_id(models.Mark).load_many(
            [i for i in ids if i]) if r is not None]
        ok = await readable_rows(info, rows, [r.lesson_id for r in rows],
                                 [r.group_id for r in rows])
        found = {r.id: cls.from_model(r) for r, yes in zip(rows, ok, strict=True) if yes}
        return [found.get(i) if i else None for i in ids]


@strawberry.type(description="A student's absence or lateness at a lesson (пропуск: н, б, у/п, "
                             "оп). A student without an entry was present.")
class AttendanceEntry(relay.Node):
    id: relay.NodeID[uuid.UUID]
    kind: AttendanceKindEnum = strawberry.field(description="Absent, ill, excused or late.")
    late_minutes: int | None = strawberry.field(description="Minutes late (1–45) when late; "
                                                            "else null.")
    excuse_reason: str | None = strawberry.field(
        description="For an excused or ill entry recorded with `excuseAbsences`: the document "
                    "or reason the class teacher gave (e.g. «справка от врача № 12»); else "
                    "null.")
    recorded_at: datetime | None = strawberry.field(
        description="When the teacher recorded it (e.g. offline in class), as the client said.")
    entered_at: datetime = strawberry.field(description="When the server stored the entry (or "
                                                        "its last change).")
    version: int = strawberry.field(description="Version for optimistic concurrency "
                                                "(`expectedVersion`).")
    school_id: strawberry.Private[uuid.UUID]
    lesson_ref: strawberry.Private[uuid.UUID]
    student_id: strawberry.Private[uuid.UUID]
    entered_by_ref: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The student; null when the viewer may not see them.")
    async def student(self, info: Info) -> Person | None:
        return await person_or_none(info, self.student_id)

    @strawberry.field(description="Who entered it; null for a token or when not visible.")
    async def entered_by(self, info: Info) -> Person | None:
        return await person_or_none(info, self.entered_by_ref)

    @strawberry.field(name="lessonId", description="Global id of the lesson (type `Lesson`).")
    def lesson_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Lesson", self.lesson_ref))

    @classmethod
    def from_model(cls, row: Any) -> AttendanceEntry:
        return cls(id=row.id, kind=models.AttendanceKind(row.kind), late_minutes=row.late_minutes,
                   excuse_reason=row.excuse_reason, recorded_at=row.recorded_at,
                   entered_at=row.entered_at, version=row.version,
                   school_id=row.school_id, lesson_ref=row.lesson_id, student_id=row.student_id,
                   entered_by_ref=row.entered_by_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AttendanceEntry | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = [r for r in await info.context.loaders.by_id(models.Attendance).load_many(
            [i for i in ids if i]) if r is not None]
        lessons = await info.context.loaders.by_id(models.Lesson).load_many(
            [r.lesson_id for r in rows])
        pairs = [(r, les) for r, les in zip(rows, lessons, strict=True) if les is not None]
        ok = await readable_rows(info, [r for r, _ in pairs], [r.lesson_id for r, _ in pairs],
                                 [les.group_id for _, les in pairs])
        found = {r.id: cls.from_model(r) for (r, _), yes in zip(pairs, ok, strict=True) if yes}
        return [found.get(i) if i else None for i in ids]


@strawberry.input(description="One mark to create, change or remove.")
class MarkEntryInput:
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id); a "
                                                             "member of the group on the work "
                                                             "date.")
    value: str | None = strawberry.field(
        default=None, description="The mark: a label of the grading system that applies to the "
                                  "group, e.g. «5». Required for a new mark; omitted on a "
                                  "change keeps the value.")
    work_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="The kind of work (a WorkType id of the same school). "
                                  "Required for a new mark; omitted on a change keeps it.")
    lesson_id: strawberry.ID | None = strawberry.field(
        default=None, description="The lesson of this mark, when a journal page holds marks of "
                                  "several lessons; defaults to the input's `lessonId`.")
    comment: str | None = strawberry.field(
        default=strawberry.UNSET, description="A comment; on a change, omitted keeps it and "
                                              "null clears it.")
    mark_id: strawberry.ID | None = strawberry.field(
        default=None, description="The mark to change or remove (a Mark id); omitted: a new "
                                  "mark (several marks per lesson and student are allowed).")
    expected_version: int | None = strawberry.field(
        default=None, description="With `markId`: the version the client last read; when the "
                                  "mark has changed since, nothing is written and the error is "
                                  "CONFLICT.")
    remove: bool | None = strawberry.field(default=None, description="True removes the mark "
                                                                     "given by `markId`.")
    excluded_from_average: bool | None = strawberry.field(
        default=None, description="Leave the mark out of averages; omitted: false for a new "
                                  "mark, unchanged on a change.")
    recorded_at: datetime | None = strawberry.field(
        default=None, description="When the mark was recorded in class (offline clients), with "
                                  "a time zone offset. Lateness counts from it when it lies "
                                  "within the school's offline window (72 hours by default) "
                                  "before now and not before the work's day; any other value "
                                  "is refused. Omitted: the server's time.")


@strawberry.input(description="Marks of a lesson, or of a whole journal page, written at once: "
                              "all or nothing.")
class SetMarksInput:
    marks: list[MarkEntryInput] = strawberry.field(description="The marks, at most 1000.")
    lesson_id: strawberry.ID | None = strawberry.field(
        default=None, description="The lesson the marks belong to (a Lesson id), unless each "
                                  "entry names its own.")
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="For marks of a work with its own date (not in a lesson): the "
                                  "study group; with `workDate`.")
    work_date: date | None = strawberry.field(default=None, description="With `groupId`: the "
                                                                        "day of the work.")
    client_key: str | None = strawberry.field(
        default=None, description="A key chosen by the client (e.g. a UUID), at most 100 "
                                  "characters: a retry with the same key and input returns the "
                                  "first result and writes nothing again.")


@strawberry.type(description="Result of writing marks.")
class SetMarksPayload:
    marks: list[Mark] = strawberry.field(description="The marks created or changed, in input "
                                                     "order; empty when refused.")
    removed_mark_ids: list[strawberry.ID] = strawberry.field(description="Ids of the marks "
                                                                         "removed.")
    conflicts: list[Mark] = strawberry.field(
        description="With a CONFLICT error: the current state of each mark that changed since "
                    "the client read it.")
    warnings: list[UserWarning] = strawberry.field(description="Accepted but flagged entries, "
                                                               "e.g. late marks.")
    replayed: bool = strawberry.field(description="True when this is the stored result of an "
                                                  "earlier request with the same `clientKey`.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="Removing one mark.")
class DeleteMarkInput:
    id: strawberry.ID = strawberry.field(description="The mark (a Mark id).")
    expected_version: int | None = strawberry.field(
        default=None, description="The version the client last read; CONFLICT when it changed.")


@strawberry.type(description="Result of removing a mark.")
class DeleteMarkPayload:
    deleted_mark_id: strawberry.ID | None = strawberry.field(description="The removed mark's id; "
                                                                         "null when refused.")
    conflicts: list[Mark] = strawberry.field(description="With a CONFLICT error: the mark as it "
                                                         "is now.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="The attendance of one student at the lesson.")
class AttendanceEntryInput:
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id); a "
                                                             "member of the group on the lesson "
                                                             "day.")
    kind: AttendanceInputKind = strawberry.field(description="What to record; PRESENT removes "
                                                             "an entry.")
    late_minutes: int | None = strawberry.field(default=None, description="With LATE: minutes "
                                                                          "late, 1–45.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version of the student's entry the client last read; "
                                  "CONFLICT when it changed (or was removed).")
    recorded_at: datetime | None = strawberry.field(
        default=None, description="When it was recorded in class (offline clients), with a "
                                  "time zone offset. Lateness counts from it when it lies "
                                  "within the school's offline window (72 hours by default) "
                                  "before now and not before the lesson day; any other value "
                                  "is refused. Omitted: the server's time.")


@strawberry.input(description="The attendance of a lesson, written at once: all or nothing.")
class SetAttendanceInput:
    lesson_id: strawberry.ID = strawberry.field(description="The lesson (a Lesson id).")
    entries: list[AttendanceEntryInput] = strawberry.field(description="One entry per student, "
                                                                       "at most 1000.")
    client_key: str | None = strawberry.field(
        default=None, description="A key chosen by the client, at most 100 characters: a retry "
                                  "with the same key and input returns the first result and "
                                  "writes nothing again.")


@strawberry.type(description="Result of writing attendance.")
class SetAttendancePayload:
    entries: list[AttendanceEntry] = strawberry.field(
        description="The entries of the students in the input after the write (a student "
                    "marked PRESENT has none); empty when refused.")
    conflicts: list[AttendanceEntry] = strawberry.field(
        description="With a CONFLICT error: the current entries that changed since read.")
    warnings: list[UserWarning] = strawberry.field(description="Accepted but flagged entries, "
                                                               "e.g. entered after the lesson "
                                                               "day.")
    replayed: bool = strawberry.field(description="True when this is the stored result of an "
                                                  "earlier request with the same `clientKey`.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")
