"""The roster's fields: classes and study groups, and the mutations that change them."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.roster import enrollment as roster_enrollment
from resolvers.roster import queries as roster
from resolvers.roster import writes as roster_writes
from schema.classes import ClassStudent, GroupMember, SchoolClass, Split, StudyGroup
from schema.classes import TeacherAssignment as TeacherAssignmentNode
from schema.ids import query_id
from schema.input_ids import decoded, kept
from schema.mutations import Input, actor, apply
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
    SubgroupChoiceInput,
    TeacherAssignmentPayload,
    TransferStudentInput,
    UpdateClassInput,
    UpdateClassPayload,
)
from tenants.errors import Problem

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
    listing = roster.classes(info.context.access, school, year)
    if listing is None:
        return empty_connection(first)
    return await paginate(info.context.session, listing.stmt, keys=listing.keys,
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
    listing = roster.study_groups(info.context.access, school, klass, year)
    if listing is None:
        return empty_connection(first)
    return await paginate(info.context.session, listing.stmt, keys=listing.keys,
                          first=first, after=after, to_node=StudyGroup.from_model)


@strawberry.type
class RosterQuery:
    classes: relay.Connection[SchoolClass] = strawberry.field(
        resolver=classes, permission_classes=[IsAuthenticated],
        description="The classes of a school (классы), by grade level and letter.")
    study_groups: relay.Connection[StudyGroup] = strawberry.field(
        resolver=study_groups, permission_classes=[IsAuthenticated],
        description="The study groups of a school (учебные группы), by name.")


def choices(values: list[SubgroupChoiceInput] | None
            ) -> list[roster_enrollment.SubgroupChoice] | None:
    if values is None:
        return None
    return [roster_enrollment.SubgroupChoice(
        split=decoded(c.split_id, "Split", f"input.subgroupChoices.{i}.splitId"),
        group=decoded(c.group_id, "StudyGroup", f"input.subgroupChoices.{i}.groupId"))
        for i, c in enumerate(values)]


def new_split(data: SplitClassInput) -> roster_writes.NewSplit:
    return roster_writes.NewSplit(
        school_class=decoded(data.class_id, "SchoolClass", "input.classId"),
        subject=decoded(data.subject_id, "Subject", "input.subjectId"),
        subgroups=[roster_writes.NewSubgroup(
            name=sub.name,
            students=[decoded(s, "Person", f"input.subgroups.{i}.studentIds.{j}")
                      for j, s in enumerate(sub.student_ids)],
            teacher=decoded(sub.teacher_id, "Person", f"input.subgroups.{i}.teacherId"))
            for i, sub in enumerate(data.subgroups)],
        starts_on=data.starts_on)


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
        data = roster_writes.NewClass(
            academic_year=decoded(input.academic_year_id, "AcademicYear", "input.academicYearId"),
            grade_level=input.grade_level, letter=input.letter,
            class_teacher=decoded(input.class_teacher_id, "Person", "input.classTeacherId"))
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.create_class(
            c.session, c.access, data, actor=partial(actor, info)))
        return CreateClassPayload(school_class=SchoolClass.from_model(row) if row else None,
                                  errors=errors)

    @strawberry.mutation(description="Change a class's letter or class teacher (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def update_class(self, info: Info, input: Input[UpdateClassInput]
                           ) -> UpdateClassPayload:
        teacher = kept(input.class_teacher_id)
        data = roster_writes.ClassChanges(
            id=decoded(input.id, "SchoolClass", "input.id"), letter=kept(input.letter),
            class_teacher=decoded(teacher, "Person", "input.classTeacherId")
            if isinstance(teacher, str) else teacher)
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.update_class(
            c.session, c.access, data, actor=partial(actor, info)))
        return UpdateClassPayload(school_class=SchoolClass.from_model(row) if row else None,
                                  errors=errors)

    @strawberry.mutation(description="Create a whole-class group (its members are the class's "
                                     "students) or a cross-class group (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def create_study_group(self, info: Info, input: Input[CreateStudyGroupInput]
                                 ) -> CreateStudyGroupPayload:
        data = roster_writes.NewStudyGroup(
            kind=models.GroupKind(input.kind.value),
            subject=decoded(input.subject_id, "Subject", "input.subjectId"), name=input.name,
            school_class=decoded(input.class_id, "SchoolClass", "input.classId"),
            academic_year=decoded(input.academic_year_id, "AcademicYear",
                                       "input.academicYearId"),
            category=input.category.value if input.category else None,
            starts_on=input.starts_on)
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.create_study_group(
            c.session, c.access, data, actor=partial(actor, info)))
        return CreateStudyGroupPayload(study_group=StudyGroup.from_model(row) if row else None,
                                       errors=errors)

    @strawberry.mutation(description="Split a class into subgroups for a subject; the subgroups "
                                     "must partition the class's students (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def split_class(self, info: Info, input: Input[SplitClassInput]
                          ) -> SplitClassPayload:
        data = new_split(input)
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.split_class(
            c.session, c.access, data, actor=partial(actor, info)))
        return SplitClassPayload(split=Split.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="Assign a teacher to a study group for a span of dates "
                                     "(school administrator).",
                         permission_classes=[IsAuthenticated])
    async def assign_teacher(self, info: Info, input: Input[AssignTeacherInput]
                             ) -> TeacherAssignmentPayload:
        data = roster_writes.NewAssignment(
            group=decoded(input.group_id, "StudyGroup", "input.groupId"),
            teacher=decoded(input.teacher_id, "Person", "input.teacherId"),
            starts_on=input.starts_on, ends_on=input.ends_on)
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.assign_teacher(
            c.session, c.access, data, actor=partial(actor, info)))
        return TeacherAssignmentPayload(
            assignment=TeacherAssignmentNode.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="End a teacher assignment on a day (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def end_teacher_assignment(self, info: Info, input: Input[EndTeacherAssignmentInput]
                                     ) -> TeacherAssignmentPayload:
        assignment = decoded(input.id, "TeacherAssignment", "input.id")
        c = info.context
        row, errors = await apply(info, lambda: roster_writes.end_teacher_assignment(
            c.session, c.access, assignment, input.ends_on, actor=partial(actor, info)))
        return TeacherAssignmentPayload(
            assignment=TeacherAssignmentNode.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="Delete a teacher assignment made by mistake; refused once "
                                     "the journal records the teacher in the group on its days "
                                     "(end it instead) (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def delete_teacher_assignment(
        self, info: Info, input: Input[DeleteTeacherAssignmentInput]
    ) -> DeleteTeacherAssignmentPayload:
        assignment = decoded(input.id, "TeacherAssignment", "input.id")
        c = info.context
        deleted, errors = await apply(info, lambda: roster_writes.delete_teacher_assignment(
            c.session, c.access, assignment, actor=partial(actor, info)))
        # The id as the client sent it.
        return DeleteTeacherAssignmentPayload(
            deleted_teacher_assignment_id=strawberry.ID(input.id) if deleted else None,
            errors=errors)

    @strawberry.mutation(description="Enroll a student with no enrollment then into a class "
                                     "and its whole-class groups (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def enroll_student(self, info: Info, input: Input[EnrollStudentInput]
                             ) -> EnrollmentPayload:
        data = roster_enrollment.NewEnrollment(
            school_class=decoded(input.class_id, "SchoolClass", "input.classId"),
            student=decoded(input.student_id, "Person", "input.studentId"),
            starts_on=input.starts_on, subgroup_choices=choices(input.subgroup_choices))
        c = info.context
        result, errors = await apply(info, lambda: roster_enrollment.enroll_student(
            c.session, c.access, data, actor=partial(actor, info)))
        return await enrollment_payload(info, result, errors)

    @strawberry.mutation(description="Move a student to another class from a day on: the old "
                                     "enrollment and its class's group memberships end the day "
                                     "before, history is kept (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def transfer_student(self, info: Info, input: Input[TransferStudentInput]
                               ) -> EnrollmentPayload:
        data = roster_enrollment.Transfer(
            student=decoded(input.student_id, "Person", "input.studentId"),
            to_class=decoded(input.to_class_id, "SchoolClass", "input.toClassId"),
            on=input.on, subgroup_choices=choices(input.subgroup_choices))
        c = info.context
        result, errors = await apply(info, lambda: roster_enrollment.transfer_student(
            c.session, c.access, data, actor=partial(actor, info)))
        return await enrollment_payload(info, result, errors)

    @strawberry.mutation(description="Move a student to a sibling subgroup of the same split "
                                     "from a day on (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def move_to_subgroup(self, info: Info, input: Input[MoveToSubgroupInput]
                               ) -> GroupMembershipPayload:
        data = roster_enrollment.SubgroupMove(
            student=decoded(input.student_id, "Person", "input.studentId"),
            to_group=decoded(input.to_group_id, "StudyGroup", "input.toGroupId"), on=input.on)
        c = info.context
        result, errors = await apply(info, lambda: roster_enrollment.move_to_subgroup(
            c.session, c.access, data, actor=partial(actor, info)))
        return await membership_payload(info, result, errors)

    @strawberry.mutation(description="Add a student to a cross-class group (school "
                                     "administrator).", permission_classes=[IsAuthenticated])
    async def add_group_member(self, info: Info, input: Input[AddGroupMemberInput]
                               ) -> GroupMembershipPayload:
        data = roster_enrollment.NewMembership(
            group=decoded(input.group_id, "StudyGroup", "input.groupId"),
            student=decoded(input.student_id, "Person", "input.studentId"),
            starts_on=input.starts_on, ends_on=input.ends_on)
        c = info.context
        result, errors = await apply(info, lambda: roster_enrollment.add_group_member(
            c.session, c.access, data, actor=partial(actor, info)))
        return await membership_payload(info, result, errors)

    @strawberry.mutation(description="End a student's membership of a cross-class group on a "
                                     "day (school administrator).",
                         permission_classes=[IsAuthenticated])
    async def end_group_membership(self, info: Info, input: Input[EndGroupMembershipInput]
                                   ) -> GroupMembershipPayload:
        data = roster_enrollment.MembershipEnd(
            ends_on=input.ends_on,
            membership=decoded(input.membership_id, "GroupMembership",
                                    "input.membershipId"),
            group=decoded(input.group_id, "StudyGroup", "input.groupId"),
            student=decoded(input.student_id, "Person", "input.studentId"))
        c = info.context
        result, errors = await apply(info, lambda: roster_enrollment.end_group_membership(
            c.session, c.access, data, actor=partial(actor, info)))
        return await membership_payload(info, result, errors)
