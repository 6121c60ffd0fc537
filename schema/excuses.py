"""Excusing absences (`excuseAbsences`): the class teacher's у and б, with the note behind them."""

from __future__ import annotations

import enum
from datetime import date
from functools import partial

import strawberry
from strawberry.types import Info

from db import models
from resolvers.marks.excuses import ExcuseToRecord, excuse_absences
from schema.errors import UserError
from schema.input_ids import decoded
from schema.marks import AttendanceEntry
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated


@strawberry.enum(description="What an excused absence becomes.")
class ExcuseKind(enum.Enum):
    EXCUSED = strawberry.enum_value("excused", description="Excused (у/п, уважительная "
                                                           "причина).")
    ILL = strawberry.enum_value("ill", description="Ill (б, болезнь).")


@strawberry.input(description="A student's absences (н) to excuse: at the given lessons, or "
                              "every one between two days; all or nothing.")
class ExcuseAbsencesInput:
    student_id: strawberry.ID = strawberry.field(description="The student (a Person id) of a "
                                                             "class the viewer leads.")
    kind: ExcuseKind = strawberry.field(description="Excused (у) or ill (б).")
    reason: str = strawberry.field(description="The document or reason, at most 500 characters, "
                                               "e.g. «справка от врача № 12»; required.")
    lesson_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The lessons (Lesson ids, at most 1000), of any group of the "
                                  "student; each must hold an absence (н) of the student. Or "
                                  "give `from` and `to`.")
    from_: date | None = strawberry.field(
        default=None, name="from", description="With `to`: the first day whose absences (н) are "
                                               "excused.")
    to: date | None = strawberry.field(default=None, description="With `from`: the last day "
                                                                 "(inclusive), at most 366 days "
                                                                 "after `from`.")


@strawberry.type(description="Result of excusing absences.")
class ExcuseAbsencesPayload:
    entries: list[AttendanceEntry] = strawberry.field(description="The entries excused, by "
                                                                  "lesson date; empty when "
                                                                  "refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


def excuse_to_record(input: ExcuseAbsencesInput) -> ExcuseToRecord:
    return ExcuseToRecord(
        student_id=decoded(input.student_id, "Person", "input.studentId"),
        kind=models.AttendanceKind(input.kind.value), reason=input.reason,
        lesson_ids=None if input.lesson_ids is None else [
            decoded(i, "Lesson", f"input.lessonIds.{n}") for n, i in enumerate(input.lesson_ids)],
        from_=input.from_, to=input.to)


async def excuse_absences_field(info: Info, input: Input[ExcuseAbsencesInput]
                                ) -> ExcuseAbsencesPayload:
    rows, errors = await apply(info, lambda: excuse_absences(
        info.context.session, info.context.access, partial(actor, info),
        excuse_to_record(input)))
    return ExcuseAbsencesPayload(entries=[AttendanceEntry.from_model(r) for r in rows or []],
                                 errors=errors)


@strawberry.type
class ExcusesMutation:
    excuse_absences: ExcuseAbsencesPayload = strawberry.field(
        resolver=excuse_absences_field, permission_classes=[IsAuthenticated],
        description="Turn a student's absences (н) into excused (у) or ill (б) with the "
                    "document or reason, on any lesson of the student whichever group it is "
                    "in: for the class teacher of the student's class and the administrator; "
                    "audited. The posting window does not apply; closed periods do.")
