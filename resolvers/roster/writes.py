"""Writes of the roster's structure: classes, study groups, splits and teacher assignments.

Each `verb_noun(session, access, data, actor=...)` runs inside schema/'s `apply` (one
savepoint), checks the whole input first and raises every problem together, then writes its
rows and their audit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from db import models
from db.audit import ActorFor, snapshot
from resolvers.input_ids import KEEP, Id, Keep, required
from resolvers.roster.access import (
    Audit,
    Errors,
    access_in_school,
    access_person,
    check_span,
    full_name,
    row_in_school,
    year_of,
)
from resolvers.school_config import admin_row
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem

LETTER_MAX = 8
NAME_MAX = 120


@dataclass(frozen=True)
class NewClass:
    academic_year: Id
    grade_level: int
    letter: str
    class_teacher: Id


@dataclass(frozen=True)
class ClassChanges:
    """`letter` None is refused (a class has one); `class_teacher` None removes the teacher."""

    id: Id
    letter: str | Keep | None
    class_teacher: Id | Keep | None


@dataclass(frozen=True)
class NewStudyGroup:
    kind: models.GroupKind  # WHOLE_CLASS or CROSS_CLASS
    subject: Id
    name: str
    school_class: Id
    academic_year: Id
    category: str | None
    starts_on: date | None


@dataclass(frozen=True)
class NewSubgroup:
    name: str
    students: list[Id]
    teacher: Id


@dataclass(frozen=True)
class NewSplit:
    school_class: Id
    subject: Id
    subgroups: list[NewSubgroup]
    starts_on: date


@dataclass(frozen=True)
class NewAssignment:
    group: Id
    teacher: Id
    starts_on: date
    ends_on: date | None


def clean_letter(errors: Errors, letter: str, field: str) -> str:
    value = letter.strip()
    if not value:
        errors.add(field, ErrorCode.REQUIRED, "the letter of the class is required")
    elif len(value) > LETTER_MAX:
        errors.add(field, ErrorCode.INVALID, f"must be at most {LETTER_MAX} characters")
    return value


def clean_name(errors: Errors, name: str, field: str) -> str:
    value = name.strip()
    if not value:
        errors.add(field, ErrorCode.REQUIRED, "a name is required")
    elif len(value) > NAME_MAX:
        errors.add(field, ErrorCode.INVALID, f"must be at most {NAME_MAX} characters")
    return value


async def letter_taken(session: AsyncSession, school_class: models.SchoolClass) -> bool:
    other = await session.scalar(
        select(models.SchoolClass.id).where(
            models.SchoolClass.school_id == school_class.school_id,
            models.SchoolClass.academic_year_id == school_class.academic_year_id,
            models.SchoolClass.grade_level == school_class.grade_level,
            models.SchoolClass.letter == school_class.letter,
            models.SchoolClass.id != school_class.id))
    return other is not None


async def create_class(session: AsyncSession, access: AccessContext, data: NewClass, *,
                       actor: ActorFor) -> models.SchoolClass:
    year = await admin_row(session, access, models.AcademicYear, required(data.academic_year),
                           "input.academicYearId", "academic year")
    errors = Errors()
    if not 1 <= data.grade_level <= 11:
        errors.add("input.gradeLevel", ErrorCode.OUT_OF_RANGE, "must be between 1 and 11")
    letter = clean_letter(errors, data.letter, "input.letter")
    teacher = None
    if data.class_teacher is not None:
        teacher = await errors.attempt(access_person(
            session, year.school_id, data.class_teacher, "input.classTeacherId",
            models.SchoolRole.TEACHER))
    row = models.SchoolClass(school_id=year.school_id, id=uuid.uuid4(),
                             academic_year_id=year.id, grade_level=data.grade_level,
                             letter=letter, class_teacher_id=teacher.id if teacher else None)
    if not errors.items and await letter_taken(session, row):
        errors.add("input.letter", ErrorCode.DUPLICATE,
                   f"class {row.grade_level}{row.letter} already exists in {year.name}")
    errors.raise_any()
    session.add(row)
    audit = Audit(session, actor, row.school_id)
    audit.created(row)
    await audit.write()
    return row


async def update_class(session: AsyncSession, access: AccessContext, data: ClassChanges, *,
                       actor: ActorFor) -> models.SchoolClass:
    row = await admin_row(session, access, models.SchoolClass, required(data.id), "input.id",
                          "class")
    before = snapshot(row)
    errors = Errors()
    if data.letter is None:
        errors.add("input.letter", ErrorCode.REQUIRED, "the letter of the class is required")
    elif data.letter is not KEEP:
        row.letter = clean_letter(errors, data.letter, "input.letter")
    if data.class_teacher is None:
        row.class_teacher_id = None
    elif data.class_teacher is not KEEP:
        teacher = await errors.attempt(access_person(
            session, row.school_id, data.class_teacher, "input.classTeacherId",
            models.SchoolRole.TEACHER))
        if teacher is not None:
            row.class_teacher_id = teacher.id
    if not errors.items and await letter_taken(session, row):
        errors.add("input.letter", ErrorCode.DUPLICATE,
                   f"class {row.grade_level}{row.letter} already exists in the year")
    errors.raise_any()
    audit = Audit(session, actor, row.school_id)
    audit.updated(row, before)
    await audit.write()
    return row


async def class_subject_taken(
    session: AsyncSession, school_class: models.SchoolClass, subject_id: uuid.UUID
) -> str | None:
    """Why the class cannot get another group for the subject: it already studies it as a
    whole or in subgroups."""
    whole = await session.scalar(select(models.StudyGroup.name).where(
        models.StudyGroup.school_id == school_class.school_id,
        models.StudyGroup.class_id == school_class.id,
        models.StudyGroup.subject_id == subject_id,
        models.StudyGroup.kind == models.GroupKind.WHOLE_CLASS))
    if whole is not None:
        return f"the class already studies this subject as a whole (group «{whole}»)"
    split = await session.scalar(select(models.Split.id).where(
        models.Split.school_id == school_class.school_id,
        models.Split.class_id == school_class.id, models.Split.subject_id == subject_id))
    if split is not None:
        return "the class is already split into subgroups for this subject"
    return None


async def open_enrollments(
    session: AsyncSession, school_class: models.SchoolClass, on: date
) -> list[models.Enrollment]:
    """Enrollments of the class in force on `on` or later."""
    return list(await session.scalars(select(models.Enrollment).where(
        models.Enrollment.school_id == school_class.school_id,
        models.Enrollment.class_id == school_class.id,
        or_(models.Enrollment.ends_on.is_(None), models.Enrollment.ends_on >= on))))


async def create_study_group(session: AsyncSession, access: AccessContext,
                             data: NewStudyGroup, *, actor: ActorFor) -> models.StudyGroup:
    errors = Errors()
    whole = data.kind is models.GroupKind.WHOLE_CLASS
    school_class: models.SchoolClass | None = None
    if whole:
        if data.school_class is None:
            errors.add("input.classId", ErrorCode.REQUIRED, "a whole-class group needs a class")
            errors.raise_any()
        assert data.school_class is not None
        school_class = await admin_row(session, access, models.SchoolClass,
                                       required(data.school_class), "input.classId", "class")
        school_id, year_id = school_class.school_id, school_class.academic_year_id
        if data.academic_year is not None and required(data.academic_year) != year_id:
            errors.add("input.academicYearId", ErrorCode.INVALID,
                       "a whole-class group belongs to the year of its class")
        if data.category is not None:
            errors.add("input.category", ErrorCode.INVALID,
                       "only a cross-class group has a category")
    else:
        if data.academic_year is None:
            errors.add("input.academicYearId", ErrorCode.REQUIRED,
                       "a cross-class group needs an academic year")
            errors.raise_any()
        assert data.academic_year is not None
        year_row = await admin_row(session, access, models.AcademicYear,
                                   required(data.academic_year), "input.academicYearId",
                                   "academic year")
        school_id, year_id = year_row.school_id, year_row.id
        if data.school_class is not None:
            errors.add("input.classId", ErrorCode.INVALID,
                       "a cross-class group has no class; add its members one by one")
        if data.category is None:
            errors.add("input.category", ErrorCode.REQUIRED,
                       "a cross-class group is a profile group, an elective or an optional "
                       "course")
        if data.starts_on is not None:
            errors.add("input.startsOn", ErrorCode.INVALID,
                       "a cross-class group gets its members with addGroupMember")
    year = await year_of(session, school_id, year_id)
    name = clean_name(errors, data.name, "input.name")
    subject = await errors.attempt(access_in_school(
        session, models.Subject, school_id, data.subject, "input.subjectId", "subject"))
    starts_on = data.starts_on or year.starts_on
    check_span(errors, year, starts_on, None, "input.startsOn", "input.startsOn")
    if school_class is not None and subject is not None:
        reason = await class_subject_taken(session, school_class, subject.id)
        if reason:
            errors.add("input.subjectId", ErrorCode.DUPLICATE, reason)
    errors.raise_any()
    assert subject is not None
    group = models.StudyGroup(
        school_id=school_id, id=uuid.uuid4(), academic_year_id=year_id, subject_id=subject.id,
        kind=models.GroupKind.WHOLE_CLASS if whole else models.GroupKind.CROSS_CLASS,
        class_id=school_class.id if school_class else None, split_id=None, name=name,
        category=data.category)
    session.add(group)
    await session.flush()
    audit = Audit(session, actor, school_id)
    audit.created(group)
    if school_class is not None:
        for e in await open_enrollments(session, school_class, starts_on):
            membership = models.GroupMembership(
                school_id=school_id, id=uuid.uuid4(), group_id=group.id,
                student_id=e.student_id, starts_on=max(starts_on, e.starts_on),
                ends_on=e.ends_on)
            session.add(membership)
            audit.created(membership)
    await audit.write()
    return group


async def split_class(session: AsyncSession, access: AccessContext, data: NewSplit, *,
                      actor: ActorFor) -> models.Split:
    school_class = await admin_row(session, access, models.SchoolClass,
                                   required(data.school_class), "input.classId", "class")
    school_id = school_class.school_id
    year = await year_of(session, school_id, school_class.academic_year_id)
    errors = Errors()
    check_span(errors, year, data.starts_on, None, "input.startsOn", "input.startsOn")
    subject = await errors.attempt(access_in_school(
        session, models.Subject, school_id, data.subject, "input.subjectId", "subject"))
    if subject is not None:
        reason = await class_subject_taken(session, school_class, subject.id)
        if reason:
            errors.add("input.subjectId", ErrorCode.DUPLICATE, reason)
    if len(data.subgroups) < 2:
        errors.add("input.subgroups", ErrorCode.INVALID, "a split has at least two subgroups")
    enrolled = {e.student_id: e for e in await open_enrollments(session, school_class,
                                                                 data.starts_on)
                if e.starts_on <= data.starts_on}
    names: set[str] = set()
    placed: dict[uuid.UUID, str] = {}  # student -> path of their first mention
    plan: list[tuple[str, list[uuid.UUID], uuid.UUID | None]] = []
    mentioned: list[tuple[str, uuid.UUID]] = []
    for i, sub in enumerate(data.subgroups):
        path = f"input.subgroups.{i}"
        name = clean_name(errors, sub.name, f"{path}.name")
        if name and name.casefold() in names:
            errors.add(f"{path}.name", ErrorCode.DUPLICATE, "two subgroups have this name")
        names.add(name.casefold())
        teacher_id = None
        if sub.teacher is not None:
            teacher = await errors.attempt(access_person(
                session, school_id, sub.teacher, f"{path}.teacherId",
                models.SchoolRole.TEACHER))
            teacher_id = teacher.id if teacher else None
        students: list[uuid.UUID] = []
        for j, ref in enumerate(sub.students):
            field = f"{path}.studentIds.{j}"
            try:
                student_id = required(ref)
            except DomainError as e:
                errors.items.extend(e.problems)
                continue
            mentioned.append((field, student_id))
            students.append(student_id)
        plan.append((name, students, teacher_id))
    persons = {p.id: p for p in await session.scalars(select(models.Person).where(
        models.Person.school_id == school_id,
        models.Person.id.in_([sid for _, sid in mentioned] + list(enrolled))))}
    for field, student_id in mentioned:
        person = persons.get(student_id)
        if person is None:
            errors.add(field, ErrorCode.NOT_FOUND, "no such student")
        elif student_id not in enrolled:
            errors.add(field, ErrorCode.INVALID,
                       f"{full_name(person)} is not a student of class "
                       f"{school_class.grade_level}{school_class.letter} on {data.starts_on}")
        elif student_id in placed:
            errors.add(field, ErrorCode.DUPLICATE,
                       f"{full_name(person)} is already placed at {placed[student_id]}")
        else:
            placed[student_id] = field
    for student_id in sorted(set(enrolled) - set(placed),
                             key=lambda s: full_name(persons[s]) if s in persons else ""):
        who = full_name(persons[student_id]) if student_id in persons else str(student_id)
        errors.add("input.subgroups", ErrorCode.REQUIRED,
                   f"{who}, a student of the class on {data.starts_on}, is in no subgroup")
    errors.raise_any()
    assert subject is not None
    split = models.Split(school_id=school_id, id=uuid.uuid4(), class_id=school_class.id,
                         subject_id=subject.id)
    session.add(split)
    await session.flush()
    audit = Audit(session, actor, school_id)
    audit.created(split)
    groups = []
    for name, _, _ in plan:
        group = models.StudyGroup(
            school_id=school_id, id=uuid.uuid4(), academic_year_id=year.id,
            subject_id=subject.id, kind=models.GroupKind.SUBGROUP, class_id=school_class.id,
            split_id=split.id, name=name)
        session.add(group)
        audit.created(group)
        groups.append(group)
    await session.flush()
    for group, (_, students, teacher_id) in zip(groups, plan, strict=True):
        for student_id in students:
            membership = models.GroupMembership(
                school_id=school_id, id=uuid.uuid4(), group_id=group.id, student_id=student_id,
                starts_on=data.starts_on, ends_on=enrolled[student_id].ends_on)
            session.add(membership)
            audit.created(membership)
        if teacher_id is not None:
            assignment = models.TeacherAssignment(
                school_id=school_id, id=uuid.uuid4(), group_id=group.id, teacher_id=teacher_id,
                starts_on=data.starts_on)
            session.add(assignment)
            audit.created(assignment)
    await audit.write()
    return split


async def overlapping_assignment(
    session: AsyncSession, group_id: uuid.UUID, teacher_id: uuid.UUID, starts_on: date,
    ends_on: date | None, school_id: uuid.UUID, except_id: uuid.UUID | None = None,
) -> bool:
    stmt = select(models.TeacherAssignment.id).where(
        models.TeacherAssignment.school_id == school_id,
        models.TeacherAssignment.group_id == group_id,
        models.TeacherAssignment.teacher_id == teacher_id,
        or_(models.TeacherAssignment.ends_on.is_(None),
            models.TeacherAssignment.ends_on >= starts_on))
    if ends_on is not None:
        stmt = stmt.where(models.TeacherAssignment.starts_on <= ends_on)
    if except_id is not None:
        stmt = stmt.where(models.TeacherAssignment.id != except_id)
    return await session.scalar(stmt.limit(1)) is not None


async def assign_teacher(session: AsyncSession, access: AccessContext, data: NewAssignment, *,
                         actor: ActorFor) -> models.TeacherAssignment:
    group = await admin_row(session, access, models.StudyGroup, required(data.group),
                            "input.groupId", "study group")
    year = await year_of(session, group.school_id, group.academic_year_id)
    errors = Errors()
    teacher = await errors.attempt(access_person(
        session, group.school_id, data.teacher, "input.teacherId", models.SchoolRole.TEACHER))
    check_span(errors, year, data.starts_on, data.ends_on, "input.startsOn", "input.endsOn")
    if teacher is not None and not errors.items and await overlapping_assignment(
            session, group.id, teacher.id, data.starts_on, data.ends_on, group.school_id):
        errors.add("input.startsOn", ErrorCode.OVERLAP,
                   "the teacher is already assigned to the group on some of these days")
    errors.raise_any()
    assert teacher is not None
    row = models.TeacherAssignment(school_id=group.school_id, id=uuid.uuid4(),
                                   group_id=group.id, teacher_id=teacher.id,
                                   starts_on=data.starts_on, ends_on=data.ends_on)
    session.add(row)
    audit = Audit(session, actor, group.school_id)
    audit.created(row)
    await audit.write()
    return row


async def end_teacher_assignment(
    session: AsyncSession, access: AccessContext, assignment: Id, ends_on: date, *,
    actor: ActorFor,
) -> models.TeacherAssignment:
    row = await admin_row(session, access, models.TeacherAssignment, required(assignment),
                          "input.id", "teacher assignment")
    group = await row_in_school(session, models.StudyGroup, row.school_id, row.group_id)
    assert group is not None
    year = await year_of(session, row.school_id, group.academic_year_id)
    errors = Errors()
    check_span(errors, year, row.starts_on, ends_on, "input.id", "input.endsOn")
    errors.raise_any()
    before = snapshot(row)
    row.ends_on = ends_on
    audit = Audit(session, actor, row.school_id)
    audit.updated(row, before)
    await audit.write()
    return row


async def journal_entries_under(session: AsyncSession, row: models.TeacherAssignment
                                ) -> tuple[int, int]:
    """What the journal records of the teacher in the group on the assignment's days: lessons
    they were scheduled for or taught, and marks and attendance they entered."""
    lesson, mark, visit = models.Lesson, models.Mark, models.Attendance
    last = row.ends_on or date.max

    def on_its_days(day: InstrumentedAttribute[date]) -> ColumnElement[bool]:
        return and_(day >= row.starts_on, day <= last)

    lessons = (select(func.count()).select_from(lesson).where(
        lesson.school_id == row.school_id, lesson.group_id == row.group_id,
        on_its_days(lesson.date),
        or_(lesson.scheduled_teacher_id == row.teacher_id,
            lesson.actual_teacher_id == row.teacher_id))).scalar_subquery()
    marks = (select(func.count()).select_from(mark).where(
        mark.school_id == row.school_id, mark.group_id == row.group_id,
        mark.entered_by_id == row.teacher_id, on_its_days(mark.work_date))).scalar_subquery()
    visits = (select(func.count()).select_from(visit).join(
        lesson, and_(lesson.school_id == visit.school_id, lesson.id == visit.lesson_id)).where(
        visit.school_id == row.school_id, lesson.group_id == row.group_id,
        visit.entered_by_id == row.teacher_id, on_its_days(lesson.date))).scalar_subquery()
    counts = (await session.execute(select(lessons, marks + visits))).one()
    return int(counts[0]), int(counts[1])


async def delete_teacher_assignment(
    session: AsyncSession, access: AccessContext, assignment: Id, *, actor: ActorFor
) -> uuid.UUID:
    """An assignment made by mistake. Once the journal records the teacher in the group on its
    days, it was no mistake: deleting it would rewrite who was responsible for those lessons
    and marks, so it is refused and the assignment must be ended instead."""
    row = await admin_row(session, access, models.TeacherAssignment, required(assignment),
                          "input.id", "teacher assignment")
    lessons, entries = await journal_entries_under(session, row)
    if lessons or entries:
        raise DomainError(Problem(
            field="input.id", code=ErrorCode.INVALID,
            message=f"the journal records this teacher in the group on the assignment's days "
                    f"({lessons} lesson(s), {entries} mark(s) or attendance entr(ies)); end "
                    f"the assignment with endTeacherAssignment instead"))
    before = snapshot(row)
    await session.delete(row)
    audit = Audit(session, actor, row.school_id)
    audit.deleted(row, before)
    await audit.write()
    return row.id
