"""The report card (табель успеваемости): a student's period, year, exam and final grades in
each subject of an academic year, with the running average of the periods still open.

Who reads it (regulation 4.3, 6.3; tenants/rules.py `reads_whole_report_card`): the student,
their guardians, the class teacher of a class the student is enrolled in, the school's
administrators (and a read token of the school, as the diary), all of it; a teacher only the
subjects of the groups they teach the student in that year, the others absent. Anyone else,
officers and other schools: None, as for a missing student. The person is read under
`person_filter` (tenants/visibility.py) and RLS, so both layers must let the viewer see the
student.

Subjects come from the student's group memberships in the year (a subject studied in two
groups, e.g. after a move between subgroups, is one subject), by name as subjects are listed
everywhere; the periods of a subject are its groups' own periods
(resolvers/calendar/group_periods.py). A period that is not closed is open
(`closing.is_open`); for it the card gives the current weighted average of the student's marks
in the subject's groups dated inside it, by the one rule of resolvers/grading/averages.py. It
is not a grade.

The statements do not depend on the number of subjects, groups or periods.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.calendar.group_periods import periods_of_groups
from resolvers.grades.closing import is_open
from resolvers.grading.averages import Average, MarkEntry, school_rules, weighted_average
from resolvers.grading.conversion import Scale, ScaleValue, load_scales
from resolvers.grading.uses import systems_for_groups
from resolvers.row_loaders import RowLoaders
from tenants.access import AccessContext
from tenants.rules import reads_only_aggregates, reads_whole_report_card, teaches
from tenants.visibility import person_filter


@dataclass(slots=True)
class CardPeriod:
    period: models.Period
    grade: models.Grade | None  # None: no grade set yet
    average: Average | None  # open periods only: the running average, not a grade


@dataclass(slots=True)
class CardSubject:
    subject: models.Subject
    groups: list[models.StudyGroup]
    system: Scale | None
    periods: list[CardPeriod]
    year_grade: models.Grade | None
    exam_grades: list[models.Grade]
    final_grade: models.Grade | None


@dataclass(slots=True)
class ReportCard:
    student: models.Person
    year: models.AcademicYear
    subjects: list[CardSubject]


async def _student_and_year(session: AsyncSession, access: AccessContext,
                            student_id: uuid.UUID, year_id: uuid.UUID
                            ) -> tuple[models.Person, models.AcademicYear, bool] | None:
    """The student (a person with the student role, visible to the viewer as a diary is), the
    year of their school, and whether the viewer leads a class of the student; one
    statement."""
    p, y, e, r = models.Person, models.AcademicYear, models.Enrollment, models.PersonRole
    led_ids = [c for mb in access.memberships.values() for c in mb.led_class_ids]
    led = (exists().where(e.school_id == p.school_id, e.student_id == p.id,
                          e.class_id.in_(led_ids)) if led_ids else None)
    columns = [p, y] + ([led.label("led")] if led is not None else [])
    row = (await session.execute(
        select(*columns).select_from(p)
        .join(y, and_(y.school_id == p.school_id, y.id == year_id))
        .where(p.id == student_id, person_filter(access, staff=False),
               exists().where(r.school_id == p.school_id, r.person_id == p.id,
                              r.role == models.SchoolRole.STUDENT)))).one_or_none()
    if row is None:
        return None
    return row[0], row[1], bool(row[2]) if led is not None else False


async def _groups(session: AsyncSession, student: models.Person, year: models.AcademicYear
                  ) -> list[tuple[models.StudyGroup, models.Subject]]:
    """The groups of the year the student was ever a member of, with their subjects, by
    subject name (as subjects are listed) and group name."""
    gm, sg, sj = models.GroupMembership, models.StudyGroup, models.Subject
    member = exists().where(gm.school_id == sg.school_id, gm.group_id == sg.id,
                            gm.student_id == student.id)
    rows = await session.execute(
        select(sg, sj)
        .join(sj, and_(sj.school_id == sg.school_id, sj.id == sg.subject_id))
        .where(sg.school_id == student.school_id, sg.academic_year_id == year.id, member)
        .order_by(sj.name, sj.id, sg.name, sg.id))
    return [(g, s) for g, s in rows]


async def _grades(session: AsyncSession, student: models.Person, year: models.AcademicYear
                  ) -> list[models.Grade]:
    g = models.Grade
    return list(await session.scalars(
        select(g).where(g.school_id == student.school_id, g.student_id == student.id,
                        g.academic_year_id == year.id)
        .order_by(g.set_at.nulls_last(), g.id)))


async def _marks(session: AsyncSession, loaders: RowLoaders, student: models.Person,
                 group_ids: list[uuid.UUID]
                 ) -> tuple[dict[uuid.UUID, list[MarkEntry]], set[uuid.UUID]]:
    """The student's marks in the groups as the average reads them, by group, and the
    grading systems of their values."""
    mark, work = models.Mark, models.WorkType
    rows = (await session.execute(
        select(mark.id, mark.group_id, mark.work_date, mark.value_id,
               mark.excluded_from_average, work.name, work.weight)
        .join(work, (work.school_id == mark.school_id) & (work.id == mark.work_type_id))
        .where(mark.school_id == student.school_id, mark.student_id == student.id,
               mark.group_id.in_(group_ids)))).all()
    values = await loaders.by_id(models.MarkValue).load_many([r.value_id for r in rows])
    out: dict[uuid.UUID, list[MarkEntry]] = {}
    for r, v in zip(rows, values, strict=True):
        if v is not None:
            out.setdefault(r.group_id, []).append(MarkEntry(
                id=r.id, work_date=r.work_date, value=ScaleValue.from_model(v),
                work_type=r.name, weight=Decimal(r.weight), excluded=r.excluded_from_average))
    return out, {v.system_id for v in values if v is not None}


async def report_card(session: AsyncSession, access: AccessContext, loaders: RowLoaders, *,
                      student_id: uuid.UUID, academic_year_id: uuid.UUID) -> ReportCard | None:
    """The student's report card for the year as this viewer may see it; None when the viewer
    may see none of it or the student or year does not exist."""
    if reads_only_aggregates(access):
        return None  # no student is theirs, and the officer role may not read persons
    found = await _student_and_year(session, access, student_id, academic_year_id)
    if found is None:
        return None
    student, year, led = found
    groups = await _groups(session, student, year)
    if not reads_whole_report_card(access, student.school_id, student.id,
                                   leads_student_class=led):
        subjects = {g.subject_id for g, _ in groups if teaches(access, g.school_id, g.id)}
        if not subjects:
            return None
        groups = [(g, s) for g, s in groups if s.id in subjects]
    group_rows = [g for g, _ in groups]
    group_ids = [g.id for g in group_rows]
    periods = dict(zip(group_ids, await periods_of_groups(session, group_ids), strict=True))
    systems = await systems_for_groups(session, group_rows)
    grades = await _grades(session, student, year)
    any_open = any(is_open(p) for ps in periods.values() for p in ps)
    marks, mark_systems = (await _marks(session, loaders, student, group_ids)
                           if any_open and group_ids else ({}, set()))
    scales = await load_scales(loaders, {s for s in systems.values() if s} | mark_systems)
    threshold = (await school_rules(session, student.school_id)).rounding_threshold \
        if any_open else Decimal(0)

    by_subject: dict[uuid.UUID, CardSubject] = {}
    for group, subject in groups:
        card = by_subject.get(subject.id)
        if card is None:
            card = by_subject[subject.id] = CardSubject(subject, [], None, [], None, [], None)
        card.groups.append(group)
    for card in by_subject.values():
        card.system = _subject_system(card.groups, systems, scales)
        card.periods = _periods(card, periods, marks, grades, threshold)
        own = [g for g in grades if g.subject_id == card.subject.id]
        card.year_grade = next((g for g in own if g.kind == models.GradeKind.YEAR), None)
        card.exam_grades = [g for g in own if g.kind == models.GradeKind.EXAM]
        card.final_grade = next((g for g in own if g.kind == models.GradeKind.FINAL), None)
    return ReportCard(student, year, list(by_subject.values()))


def _subject_system(groups: list[models.StudyGroup],
                    systems: dict[uuid.UUID, uuid.UUID | None],
                    scales: dict[uuid.UUID, Scale]) -> Scale | None:
    """The grading system the subject's averages are told in: that of its last group by name
    (the groups of one subject share one, unless a cross-class group of another grade level
    has its own)."""
    for group in reversed(groups):
        system_id = systems.get(group.id)
        if system_id is not None and system_id in scales:
            return scales[system_id]
    return None


def _periods(card: CardSubject, periods: dict[uuid.UUID, list[models.Period]],
             marks: dict[uuid.UUID, list[MarkEntry]], grades: list[models.Grade],
             threshold: Decimal) -> list[CardPeriod]:
    """Each period of the subject's groups once, by start; its grade; for an open period the
    average of the subject's marks dated inside it."""
    seen: dict[uuid.UUID, models.Period] = {}
    for group in card.groups:
        for p in periods.get(group.id, []):
            seen.setdefault(p.id, p)
    by_period = {g.period_id: g for g in grades
                 if g.subject_id == card.subject.id and g.kind == models.GradeKind.PERIOD}
    entries = [e for group in card.groups for e in marks.get(group.id, [])]
    out = []
    for p in sorted(seen.values(), key=lambda p: (p.starts_on, p.ordinal, p.id)):
        average = (weighted_average(entries, card.system, period=(p.starts_on, p.ends_on),
                                    threshold=threshold) if is_open(p) else None)
        out.append(CardPeriod(p, by_period.get(p.id), average))
    return out
