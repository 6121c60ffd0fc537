"""Writes of who is where: enrollments in classes and memberships of study groups.

History is kept: moving a student closes the old row the day before the move (or deletes a
row that would only have started on or after it) and opens a new one; every row opened,
closed or deleted gets its audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import ActorFor, snapshot
from resolvers.input_ids import Id, required
from resolvers.roster.access import (
    Audit,
    Errors,
    access_in_school,
    access_person,
    check_in_year,
    check_span,
    row_in_school,
    year_of,
)
from resolvers.school_config import admin_row
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, refusal

DAY = timedelta(days=1)


@dataclass(frozen=True)
class SubgroupChoice:
    split: Id
    group: Id


@dataclass(frozen=True)
class NewEnrollment:
    school_class: Id
    student: Id
    starts_on: date
    subgroup_choices: list[SubgroupChoice] | None


@dataclass(frozen=True)
class Transfer:
    student: Id
    to_class: Id
    on: date
    subgroup_choices: list[SubgroupChoice] | None


@dataclass(frozen=True)
class SubgroupMove:
    student: Id
    to_group: Id
    on: date


@dataclass(frozen=True)
class NewMembership:
    group: Id
    student: Id
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class MembershipEnd:
    """The membership by its id, or by its group and student."""

    ends_on: date
    membership: Id
    group: Id
    student: Id


async def choose_subgroups(
    session: AsyncSession, errors: Errors, school_class: models.SchoolClass,
    choices: list[SubgroupChoice] | None,
) -> list[models.StudyGroup]:
    """One subgroup per split of the class, so every split stays a partition of the class."""
    subgroups = list(await session.scalars(select(models.StudyGroup).where(
        models.StudyGroup.school_id == school_class.school_id,
        models.StudyGroup.class_id == school_class.id,
        models.StudyGroup.kind == models.GroupKind.SUBGROUP).order_by(models.StudyGroup.name)))
    by_split: dict[uuid.UUID, list[models.StudyGroup]] = {}
    for g in subgroups:
        by_split.setdefault(g.split_id, []).append(g)  # type: ignore[arg-type]
    chosen: dict[uuid.UUID, models.StudyGroup] = {}
    for i, choice in enumerate(choices or []):
        path = f"input.subgroupChoices.{i}"
        try:
            split_id = required(choice.split)
            group_id = required(choice.group)
        except DomainError as e:
            errors.items.extend(e.problems)
            continue
        if split_id not in by_split:
            errors.add(f"{path}.splitId", ErrorCode.NOT_FOUND, "no such split of the class")
        elif split_id in chosen:
            errors.add(f"{path}.splitId", ErrorCode.DUPLICATE,
                       "a subgroup of this split is already chosen")
        else:
            group = next((g for g in by_split[split_id] if g.id == group_id), None)
            if group is None:
                errors.add(f"{path}.groupId", ErrorCode.NOT_FOUND,
                           "no such subgroup of the split")
            else:
                chosen[split_id] = group
    for split_id, groups in by_split.items():
        if split_id not in chosen:
            names = ", ".join(f"«{g.name}»" for g in groups)
            errors.add("input.subgroupChoices", ErrorCode.REQUIRED,
                       f"the class is split into subgroups: choose one of {names}")
    return list(chosen.values())


async def open_in_class(
    session: AsyncSession, audit: Audit, school_class: models.SchoolClass, student_id: uuid.UUID,
    on: date, subgroups: list[models.StudyGroup],
) -> models.Enrollment:
    """A new enrollment from `on`, with memberships of the whole-class groups and the chosen
    subgroups."""
    school_id = school_class.school_id
    enrollment = models.Enrollment(school_id=school_id, id=uuid.uuid4(),
                                   class_id=school_class.id, student_id=student_id,
                                   starts_on=on, ends_on=None)
    session.add(enrollment)
    audit.created(enrollment)
    whole = await session.scalars(select(models.StudyGroup).where(
        models.StudyGroup.school_id == school_id, models.StudyGroup.class_id == school_class.id,
        models.StudyGroup.kind == models.GroupKind.WHOLE_CLASS))
    for group in [*whole, *subgroups]:
        membership = models.GroupMembership(school_id=school_id, id=uuid.uuid4(),
                                            group_id=group.id, student_id=student_id,
                                            starts_on=on, ends_on=None)
        session.add(membership)
        audit.created(membership)
    return enrollment


async def close_from(
    session: AsyncSession, audit: Audit, row: models.Enrollment | models.GroupMembership, on: date
) -> None:
    """End a dated row the day before `on`; a row that would only start then is deleted."""
    before = snapshot(row)
    if row.starts_on >= on:
        audit.deleted(row, before)
        await session.delete(row)
    else:
        row.ends_on = on - DAY
        audit.updated(row, before)


async def enrollments_from(
    session: AsyncSession, school_id: uuid.UUID, student_id: uuid.UUID, on: date
) -> list[models.Enrollment]:
    """The student's enrollments in force on `on` or later, in any class of the school."""
    return list(await session.scalars(select(models.Enrollment).where(
        models.Enrollment.school_id == school_id, models.Enrollment.student_id == student_id,
        or_(models.Enrollment.ends_on.is_(None), models.Enrollment.ends_on >= on)
    ).order_by(models.Enrollment.starts_on)))


async def class_name(session: AsyncSession, school_id: uuid.UUID, class_id: uuid.UUID) -> str:
    row = await session.scalar(select(models.SchoolClass).where(
        models.SchoolClass.school_id == school_id, models.SchoolClass.id == class_id))
    return f"{row.grade_level}{row.letter}" if row else "?"


async def enroll_student(
    session: AsyncSession, access: AccessContext, data: NewEnrollment, *, actor: ActorFor
) -> tuple[models.Enrollment, None, models.SchoolClass]:
    school_class = await admin_row(session, access, models.SchoolClass, required(data.school_class),
                                   "input.classId", "class")
    school_id = school_class.school_id
    year = await year_of(session, school_id, school_class.academic_year_id)
    errors = Errors()
    student = await errors.attempt(access_person(
        session, school_id, data.student, "input.studentId", models.SchoolRole.STUDENT))
    check_in_year(errors, year, data.starts_on, "input.startsOn")
    if student is not None:
        for e in await enrollments_from(session, school_id, student.id, data.starts_on):
            errors.add("input.studentId", ErrorCode.OVERLAP,
                       f"already enrolled in {await class_name(session, school_id, e.class_id)} "
                       f"from {e.starts_on}; use transferStudent to move the student")
    subgroups = await choose_subgroups(session, errors, school_class, data.subgroup_choices)
    errors.raise_any()
    assert student is not None
    audit = Audit(session, actor, school_id)
    enrollment = await open_in_class(session, audit, school_class, student.id, data.starts_on,
                                     subgroups)
    await audit.write()
    return enrollment, None, school_class


async def transfer_student(
    session: AsyncSession, access: AccessContext, data: Transfer, *, actor: ActorFor
) -> tuple[models.Enrollment, models.Enrollment, models.SchoolClass]:
    school_class = await admin_row(session, access, models.SchoolClass, required(data.to_class),
                                   "input.toClassId", "class")
    school_id = school_class.school_id
    year = await year_of(session, school_id, school_class.academic_year_id)
    errors = Errors()
    student = await errors.attempt(access_person(
        session, school_id, data.student, "input.studentId", models.SchoolRole.STUDENT))
    check_in_year(errors, year, data.on, "input.on")
    old: models.Enrollment | None = None
    if student is not None:
        rows = await enrollments_from(session, school_id, student.id, data.on)
        current = [e for e in rows if e.starts_on < data.on]
        later = [e for e in rows if e.starts_on >= data.on]
        if not current:
            errors.add("input.studentId", ErrorCode.INVALID,
                       f"the student is not enrolled in any class on {data.on}; use "
                       "enrollStudent")
        else:
            old = current[0]
            if old.class_id == school_class.id:
                errors.add("input.toClassId", ErrorCode.INVALID,
                           "the student is already in this class")
        for e in later:
            errors.add("input.on", ErrorCode.OVERLAP,
                       f"the student has an enrollment in "
                       f"{await class_name(session, school_id, e.class_id)} from {e.starts_on}")
    subgroups = await choose_subgroups(session, errors, school_class, data.subgroup_choices)
    errors.raise_any()
    assert student is not None and old is not None
    audit = Audit(session, actor, school_id)
    memberships = list(await session.scalars(
        select(models.GroupMembership)
        .join(models.StudyGroup, (models.StudyGroup.school_id == models.GroupMembership.school_id)
              & (models.StudyGroup.id == models.GroupMembership.group_id))
        .where(models.GroupMembership.school_id == school_id,
               models.GroupMembership.student_id == student.id,
               models.StudyGroup.class_id == old.class_id,
               or_(models.GroupMembership.ends_on.is_(None),
                   models.GroupMembership.ends_on >= data.on))))
    for membership in memberships:
        await close_from(session, audit, membership, data.on)
    await close_from(session, audit, old, data.on)
    enrollment = await open_in_class(session, audit, school_class, student.id, data.on, subgroups)
    await audit.write()
    return enrollment, old, school_class


async def move_to_subgroup(
    session: AsyncSession, access: AccessContext, data: SubgroupMove, *, actor: ActorFor
) -> tuple[models.GroupMembership, models.StudyGroup]:
    group = await admin_row(session, access, models.StudyGroup, required(data.to_group),
                            "input.toGroupId", "study group")
    if group.kind is not models.GroupKind.SUBGROUP:
        raise refusal("input.toGroupId", ErrorCode.INVALID,
                         "is not a subgroup of a split; use transferStudent or addGroupMember")
    school_id = group.school_id
    year = await year_of(session, school_id, group.academic_year_id)
    errors = Errors()
    student = await errors.attempt(access_person(
        session, school_id, data.student, "input.studentId", models.SchoolRole.STUDENT))
    check_in_year(errors, year, data.on, "input.on")
    enrollment: models.Enrollment | None = None
    moving: list[models.GroupMembership] = []
    if student is not None:
        enrollment = next((e for e in await enrollments_from(session, school_id, student.id,
                                                              data.on)
                           if e.class_id == group.class_id and e.starts_on <= data.on), None)
        if enrollment is None:
            errors.add("input.studentId", ErrorCode.INVALID,
                       f"the student is not in the subgroup's class on {data.on}")
        moving = list(await session.scalars(
            select(models.GroupMembership)
            .join(models.StudyGroup,
                  (models.StudyGroup.school_id == models.GroupMembership.school_id)
                  & (models.StudyGroup.id == models.GroupMembership.group_id))
            .where(models.GroupMembership.school_id == school_id,
                   models.GroupMembership.student_id == student.id,
                   models.StudyGroup.split_id == group.split_id,
                   or_(models.GroupMembership.ends_on.is_(None),
                       models.GroupMembership.ends_on >= data.on))))
        if any(m.group_id == group.id and m.starts_on <= data.on for m in moving):
            errors.add("input.toGroupId", ErrorCode.INVALID,
                       f"the student is already in this subgroup on {data.on}")
    errors.raise_any()
    assert student is not None and enrollment is not None
    audit = Audit(session, actor, school_id)
    for m in moving:
        await close_from(session, audit, m, data.on)
    membership = models.GroupMembership(school_id=school_id, id=uuid.uuid4(), group_id=group.id,
                                        student_id=student.id, starts_on=data.on,
                                        ends_on=enrollment.ends_on)
    session.add(membership)
    audit.created(membership)
    await audit.write()
    return membership, group


def require_cross_class(group: models.StudyGroup, field: str) -> None:
    if group.kind is not models.GroupKind.CROSS_CLASS:
        raise refusal(field, ErrorCode.INVALID,
                         "is not a cross-class group: its members follow the class "
                         "(enrollStudent, transferStudent, moveToSubgroup)")


async def add_group_member(
    session: AsyncSession, access: AccessContext, data: NewMembership, *, actor: ActorFor
) -> tuple[models.GroupMembership, models.StudyGroup]:
    group = await admin_row(session, access, models.StudyGroup, required(data.group),
                            "input.groupId", "study group")
    require_cross_class(group, "input.groupId")
    year = await year_of(session, group.school_id, group.academic_year_id)
    errors = Errors()
    student = await errors.attempt(access_person(
        session, group.school_id, data.student, "input.studentId", models.SchoolRole.STUDENT))
    check_span(errors, year, data.starts_on, data.ends_on, "input.startsOn", "input.endsOn")
    if student is not None:
        stmt = select(models.GroupMembership.id).where(
            models.GroupMembership.school_id == group.school_id,
            models.GroupMembership.group_id == group.id,
            models.GroupMembership.student_id == student.id,
            or_(models.GroupMembership.ends_on.is_(None),
                models.GroupMembership.ends_on >= data.starts_on))
        if data.ends_on is not None:
            stmt = stmt.where(models.GroupMembership.starts_on <= data.ends_on)
        if await session.scalar(stmt.limit(1)) is not None:
            errors.add("input.startsOn", ErrorCode.OVERLAP,
                       "the student is already in the group on some of these days")
    errors.raise_any()
    assert student is not None
    membership = models.GroupMembership(school_id=group.school_id, id=uuid.uuid4(),
                                        group_id=group.id, student_id=student.id,
                                        starts_on=data.starts_on, ends_on=data.ends_on)
    session.add(membership)
    audit = Audit(session, actor, group.school_id)
    audit.created(membership)
    await audit.write()
    return membership, group


async def end_group_membership(
    session: AsyncSession, access: AccessContext, data: MembershipEnd, *, actor: ActorFor
) -> tuple[models.GroupMembership, models.StudyGroup]:
    if data.membership is not None:
        membership = await admin_row(session, access, models.GroupMembership,
                                     required(data.membership), "input.membershipId",
                                     "group membership")
        parent = await row_in_school(session, models.StudyGroup, membership.school_id,
                                     membership.group_id)
        assert parent is not None  # a foreign key guarantees it
        group = parent
    elif data.group is not None and data.student is not None:
        group = await admin_row(session, access, models.StudyGroup, required(data.group),
                                "input.groupId", "study group")
        student = await access_in_school(session, models.Person, group.school_id, data.student,
                                         "input.studentId", "student")
        found = await session.scalar(select(models.GroupMembership).where(
            models.GroupMembership.school_id == group.school_id,
            models.GroupMembership.group_id == group.id,
            models.GroupMembership.student_id == student.id,
            models.GroupMembership.starts_on <= data.ends_on,
            or_(models.GroupMembership.ends_on.is_(None),
                models.GroupMembership.ends_on >= data.ends_on)
        ).order_by(models.GroupMembership.starts_on.desc()).limit(1))
        if found is None:
            raise refusal("input.studentId", ErrorCode.NOT_FOUND,
                             f"the student is not in the group on {data.ends_on}")
        membership = found
    else:
        raise refusal("input.membershipId", ErrorCode.REQUIRED,
                         "give membershipId, or groupId and studentId")
    require_cross_class(group, "input.groupId" if data.group else "input.membershipId")
    year = await year_of(session, group.school_id, group.academic_year_id)
    errors = Errors()
    check_span(errors, year, membership.starts_on, data.ends_on, "input.membershipId",
               "input.endsOn")
    errors.raise_any()
    before = snapshot(membership)
    membership.ends_on = data.ends_on
    audit = Audit(session, actor, group.school_id)
    audit.updated(membership, before)
    await audit.write()
    return membership, group

