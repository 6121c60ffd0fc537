"""Queries and mutations of the roster: classes, study groups, splits, enrollments.

Reading classes and groups is reading the school's structure (any member, officers over the
school, read tokens); the students in them are filtered by tenants/visibility.py. Writing is
the school administrator's job; the write functions live in roster_writes / roster_enrollment.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.roster_enrollment import (
    add_group_member,
    end_group_membership,
    enroll_student,
    move_to_subgroup,
    transfer_student,
)
from resolvers.roster_writes import (
    assign_teacher,
    create_class,
    create_study_group,
    delete_teacher_assignment,
    end_teacher_assignment,
    split_class,
    update_class,
)
from schema.classes import ClassStudent, GroupMember, SchoolClass, Split, StudyGroup
from schema.classes import TeacherAssignment as TeacherAssignmentNode
from schema.ids import query_id
from schema.mutations import Input, apply
from schema.pagination import After, First, empty_connection, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.roster import (
    AddGroupMemberInput,
    AssignTeacherInput,
    CreateClassInput,
    CreateClassPayload,
    CreateStudyGroupInput,
    CreateStudyGroupPayload,
    DeleteTeacherAssignmentInput,
    DeleteTeacherAssignmentPayload,
    EndGroupMembershipInput,
    EndTeacherAssignmentInput,
    EnrollmentPayload,
    EnrollStudentInput,
    GroupMembershipPayload,
    MoveToSubgroupInput,
    SplitClassInput,
    SplitClassPayload,
    TeacherAssignmentPayload,
    TransferStudentInput,
    UpdateClassInput,
    UpdateClassPayload,
)
from tenants.errors import Problem
from tenants.rules import can_read_structure

SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="The school (global id of a `School`); a school the viewer may not read gives "
                "an empty list.")]


async def classes(
    info: Info, *, school_id: SchoolIdArg,
    academic_year_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the classes of this academic year.")] = None,
    first: First = None, after: After = None,
) -> relay.Connection[SchoolClass]:
    school = query_id(school_id, "School", "schoolId")
    year = query_id(academic_year_id, "AcademicYear", "academicYearId")
    assert school is not None
    if not can_read_structure(info.context.access, school):
        return empty_connection(first)
    stmt = select(models.SchoolClass).where(models.SchoolClass.school_id == school)
    if year is not None:
        stmt = stmt.where(models.SchoolClass.academic_year_id == year)
    c = models.SchoolClass
    return await paginate(info.context.session, stmt, keys=[c.grade_level, c.letter, c.id],
                          first=first, after=after, to_node=SchoolClass.from_model)


async def study_groups(
    info: Info, *, school_id: SchoolIdArg,
    class_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the groups of this class (whole-class groups and subgroups).")] = None,
    academic_year_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the groups of this academic year.")] = None,
    first: First = None, after: After = None,
) -> relay.Connection[StudyGroup]:
    school = query_id(school_id, "School", "schoolId")
    klass = query_id(class_id, "SchoolClass", "classId")
    year = query_id(academic_year_id, "AcademicYear", "academicYearId")
    assert school is not None
    if not can_read_structure(info.context.access, school):
        return empty_connection(first)
    g = models.StudyGroup
    stmt = select(g).where(g.school_id == school)
    if klass is not None:
        stmt = stmt.where(g.class_id == klass)
    if year is not None:
        stmt = stmt.where(g.academic_year_id == year)
    return await paginate(info.context.session, stmt, keys=[g.name, g.id], first=first,
                          after=after, to_node=StudyGroup.from_model)


@strawberry.type
class RosterQuery:
    classes: relay.Connection[SchoolClass] = strawberry.field(
        resolver=classes, permission_classes=[IsAuthenticated],
        description="The classes of a school (классы), by grade level and letter.")
    study_groups: relay.Connection[StudyGroup] = strawberry.field(
        resolver=study_groups, permission_classes=[IsAuthenticated],
        description="The study groups of a school (учебные группы), by name.")


async def student_of(info: Info, student_id: uuid.UUID) -> Person | None:
    row = await info.context.loaders.visible_person.load(student_id)
    return Person.from_model(row) if row else None


async def enrollment_payload(info: Info, result: Any, errors: list[Problem]
                             ) -> EnrollmentPayload:
    if result is None:
        return EnrollmentPayload(enrollment=None, previous_enrollment=None, school_class=None,
                                 errors=errors)
    new, old, school_class = result
    student = await student_of(info, new.student_id)
    return EnrollmentPayload(
        enrollment=ClassStudent.from_model(new, student) if student else None,
        previous_enrollment=ClassStudent.from_model(old, student) if student and old else None,
        school_class=SchoolClass.from_model(school_class), errors=errors)


async def membership_payload(info: Info, result: Any, errors: list[Problem]
                             ) -> GroupMembershipPayload:
    if result is None:
        return GroupMembershipPayload(membership=None, group=None, errors=errors)
    membership, group = result
    student = await student_of(info, membership.student_id)
    return GroupMembershipPayload(
        membership=GroupMember.from_model(membership, student) if student else None,
        group=StudyGroup.from_model(group), errors=errors)


@strawberry.type
class RosterMutation:
    @strawberry.mutation(description="Create a class in an academic year (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def create_class(self, info: Info, input: Input[CreateClassInput]
                           ) -> CreateClassPayload:
        row, errors = await apply(info, lambda: create_class(info, input))
        return CreateClassPayload(school_class=SchoolClass.from_model(row) if row else None,
                                  errors=errors)

    @strawberry.mutation(description="Change a class's letter or class teacher (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def update_class(self, info: Info, input: Input[UpdateClassInput]
                           ) -> UpdateClassPayload:
        row, errors = await apply(info, lambda: update_class(info, input))
        return UpdateClassPayload(school_class=SchoolClass.from_model(row) if row else None,
                                  errors=errors)

    @strawberry.mutation(description="Create a whole-class group (its members are the class's "
                                     "students) or a cross-class group (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def create_study_group(self, info: Info, input: Input[CreateStudyGroupInput]
                                 ) -> CreateStudyGroupPayload:
        row, errors = await apply(info, lambda: create_study_group(info, input))
        return CreateStudyGroupPayload(study_group=StudyGroup.from_model(row) if row else None,
                                       errors=errors)

    @strawberry.mutation(description="Split a class into subgroups for a subject; the subgroups "
                                     "must partition the class's students (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def split_class(self, info: Info, input: Input[SplitClassInput]
                          ) -> SplitClassPayload:
        row, errors = await apply(info, lambda: split_class(info, input))
        return SplitClassPayload(split=Split.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="Assign a teacher to a study group for a span of dates "
                                     "(school administrator).",
                         permission_classes=[IsAuthenticated])
    async def assign_teacher(self, info: Info, input: Input[AssignTeacherInput]
                             ) -> TeacherAssignmentPayload:
        row, errors = await apply(info, lambda: assign_teacher(info, input))
        return TeacherAssignmentPayload(
            assignment=TeacherAssignmentNode.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="End a teacher assignment on a day (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def end_teacher_assignment(self, info: Info, input: Input[EndTeacherAssignmentInput]
                                     ) -> TeacherAssignmentPayload:
        row, errors = await apply(info, lambda: end_teacher_assignment(info, input))
        return TeacherAssignmentPayload(
            assignment=TeacherAssignmentNode.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="Delete a teacher assignment made by mistake; refused once "
                                     "the journal records the teacher in the group on its days "
                                     "(end it instead) (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def delete_teacher_assignment(
        self, info: Info, input: Input[DeleteTeacherAssignmentInput]
    ) -> DeleteTeacherAssignmentPayload:
        deleted, errors = await apply(info, lambda: delete_teacher_assignment(info, input))
        return DeleteTeacherAssignmentPayload(
            deleted_teacher_assignment_id=strawberry.ID(deleted) if deleted else None,
            errors=errors)

    @strawberry.mutation(description="Enroll a student with no enrollment then into a class "
                                     "and its whole-class groups (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def enroll_student(self, info: Info, input: Input[EnrollStudentInput]
                             ) -> EnrollmentPayload:
        result, errors = await apply(info, lambda: enroll_student(info, input))
        return await enrollment_payload(info, result, errors)

    @strawberry.mutation(description="Move a student to another class from a day on: the old "
                                     "enrollment and its class's group memberships end the day "
                                     "before, history is kept (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def transfer_student(self, info: Info, input: Input[TransferStudentInput]
                               ) -> EnrollmentPayload:
        result, errors = await apply(info, lambda: transfer_student(info, input))
        return await enrollment_payload(info, result, errors)

    @strawberry.mutation(description="Move a student to a sibling subgroup of the same split "
                                     "from a day on (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def move_to_subgroup(self, info: Info, input: Input[MoveToSubgroupInput]
                               ) -> GroupMembershipPayload:
        result, errors = await apply(info, lambda: move_to_subgroup(info, input))
        return await membership_payload(info, result, errors)

    @strawberry.mutation(description="Add a student to a cross-class group (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def add_group_member(self, info: Info, input: Input[AddGroupMemberInput]
                               ) -> GroupMembershipPayload:
        result, errors = await apply(info, lambda: add_group_member(info, input))
        return await membership_payload(info, result, errors)

    @strawberry.mutation(description="End a student's membership of a cross-class group on a "
                                     "day (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def end_group_membership(self, info: Info, input: Input[EndGroupMembershipInput]
                                   ) -> GroupMembershipPayload:
        result, errors = await apply(info, lambda: end_group_membership(info, input))
        return await membership_payload(info, result, errors)
