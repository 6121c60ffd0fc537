"""The report card (табель успеваемости): a student's grades of a year per subject
(resolvers/grades/report_card.py holds the rules).

Its rows have no `id` of their own: a client cache keeps them inside the `reportCard` field
that returned them; the grades inside are `Grade` nodes, the same objects `node(id:)` reads.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from db import models
from resolvers.grades import report_card as rules
from resolvers.grading.averages import Average
from schema.calendar import AcademicYear, Period
from schema.classes import StudyGroup
from schema.grades import Grade
from schema.ids import query_id
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.subjects import Subject


@strawberry.type(description="The running weighted average of an open period (средний балл "
                             "на сегодня). NOT a grade: it changes with every mark until the "
                             "period grade is set and the period closed. Computed by the rule "
                             "of `averageExplanation` (docs/results.md) over the student's "
                             "marks in the subject's groups dated inside the period.")
class CurrentAverage:
    average: float | None = strawberry.field(
        description="Σ weight × number / Σ weight in the numbers of the subject's grading "
                    "system (e.g. 4.33), two decimals half up; null without marks or for a "
                    "system without numbers.")
    axis_average: float | None = strawberry.field(
        description="Σ weight × point / Σ weight on the 0–100 axis, two decimals half up; null "
                    "without marks.")
    counted_marks: int = strawberry.field(description="How many marks count (marks excluded "
                                                      "from the average do not).")


@strawberry.type(description="A period of a subject in the report card: its grade and, while "
                             "the period is open, the current average (not a grade).")
class ReportCardPeriod:
    period: Period = strawberry.field(description="The period (четверть, полугодие…) of the "
                                                  "subject's group's own period scheme.")
    grade: Grade | None = strawberry.field(
        description="The period grade with its state (graded with its value, deferred with "
                    "`deferredUntil`, not attested, exempt); null when none is set.")
    closed: bool = strawberry.field(description="Whether the period is closed; an open period "
                                                "is one not closed yet (its grade may still "
                                                "change).")
    current_average: CurrentAverage | None = strawberry.field(
        description="For an open period, the current weighted average: not a grade. Null "
                    "for a closed period.")


@strawberry.type(description="One subject of the report card, whichever groups (subgroups, a "
                             "cross-class group) the student studied it in.")
class ReportCardSubject:
    subject: Subject = strawberry.field(description="The subject (предмет).")
    groups: list[StudyGroup] = strawberry.field(description="The student's groups of the "
                                                            "subject in the year, by name.")
    periods: list[ReportCardPeriod] = strawberry.field(description="The periods of the "
                                                                   "groups' own scheme, by "
                                                                   "start.")
    year_grade: Grade | None = strawberry.field(description="The year grade (годовая); null "
                                                            "when none is set.")
    exam_grades: list[Grade] = strawberry.field(description="The exam grades (экзаменационные: "
                                                            "grades of kind EXAM).")
    final_grade: Grade | None = strawberry.field(description="The final grade (итоговая: kind "
                                                             "FINAL); null when none is set.")


@strawberry.type(description="A student's report card (табель успеваемости) for an academic "
                             "year: per subject each period's grade, the year, exam and final "
                             "grades, and the current average of open periods.")
class ReportCard:
    student: Person = strawberry.field(description="The student.")
    academic_year: AcademicYear = strawberry.field(description="The academic year.")
    subjects: list[ReportCardSubject] = strawberry.field(
        description="The subjects of the student's groups in the year, by name; for a "
                    "teacher only those of the groups they teach the student.")


def _grade(row: models.Grade | None) -> Grade | None:
    return Grade.from_model(row) if row is not None else None


def _average(average: Average | None) -> CurrentAverage | None:
    if average is None:
        return None
    return CurrentAverage(
        average=None if average.native_average is None else float(average.native_average),
        axis_average=None if average.axis_average is None else float(average.axis_average),
        counted_marks=len(average.counted))


def _subject(card: rules.CardSubject) -> ReportCardSubject:
    return ReportCardSubject(
        subject=Subject.from_model(card.subject),
        groups=[StudyGroup.from_model(g) for g in card.groups],
        periods=[ReportCardPeriod(period=Period.from_model(p.period), grade=_grade(p.grade),
                                  closed=p.period.closed_at is not None,
                                  current_average=_average(p.average))
                 for p in card.periods],
        year_grade=_grade(card.year_grade),
        exam_grades=[Grade.from_model(g) for g in card.exam_grades],
        final_grade=_grade(card.final_grade))


async def report_card(
    info: Info,
    student_id: Annotated[strawberry.ID, strawberry.argument(
        description="The student (global id of a `Person`).")],
    academic_year_id: Annotated[strawberry.ID, strawberry.argument(
        description="The academic year (global id of an `AcademicYear`).")],
) -> ReportCard | None:
    student_uuid = query_id(student_id, "Person", "studentId")
    year_uuid = query_id(academic_year_id, "AcademicYear", "academicYearId")
    assert student_uuid is not None and year_uuid is not None
    ctx = info.context
    card = await rules.report_card(ctx.session, ctx.access, ctx.loaders,
                                   student_id=student_uuid, academic_year_id=year_uuid)
    if card is None:
        return None
    return ReportCard(student=Person.from_model(card.student),
                      academic_year=AcademicYear.from_model(card.year),
                      subjects=[_subject(s) for s in card.subjects])


@strawberry.type
class ReportCardQuery:
    report_card: ReportCard | None = strawberry.field(
        resolver=report_card, permission_classes=[IsAuthenticated],
        description="A student's report card (табель успеваемости) for an academic year. For "
                    "the student, their guardians, their class teacher and the school's "
                    "administrators; a teacher sees only the subjects they teach the student. "
                    "Null for anyone else, as for a student or year that does not exist.")
