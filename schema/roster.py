"""Inputs and payloads of the roster mutations: classes, groups, splits, enrollments."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from schema.classes import (
    ClassStudent,
    GroupCategory,
    GroupMember,
    SchoolClass,
    Split,
    StudyGroup,
    TeacherAssignment,
)
from schema.errors import UserError

ERRORS_DESCRIPTION = "Why the input was refused; empty on success (nothing written otherwise)."


@strawberry.enum(description="The kinds of group `createStudyGroup` makes; subgroups come from "
                             "`splitClass`.")
class NewGroupKind(enum.Enum):
    WHOLE_CLASS = strawberry.enum_value("whole_class", description="The class studies the "
                                                                   "subject together.")
    CROSS_CLASS = strawberry.enum_value("cross_class", description="A profile group, elective "
                                                                   "or optional course drawn "
                                                                   "from several classes.")


@strawberry.input(description="A new class in an academic year.")
class CreateClassInput:
    academic_year_id: strawberry.ID = strawberry.field(
        description="The academic year (учебный год); the class belongs to its school.")
    grade_level: int = strawberry.field(description="Grade level 1–11 (параллель).")
    letter: str = strawberry.field(description="Letter of the class, e.g. «А»; unique in the "
                                               "grade level and year.")
    class_teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="The class teacher: a person with the teacher role in the "
                                  "school.")


@strawberry.input(description="Changes to a class; omitted fields stay as they are.")
class UpdateClassInput:
    id: strawberry.ID = strawberry.field(description="The class.")
    letter: str | None = strawberry.field(default=strawberry.UNSET,
                                          description="New letter of the class.")
    class_teacher_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New class teacher (a teacher of the school); "
                                              "null removes the class teacher.")


@strawberry.input(description="A new whole-class or cross-class study group.")
class CreateStudyGroupInput:
    kind: NewGroupKind = strawberry.field(description="Whole class or cross-class.")
    subject_id: strawberry.ID = strawberry.field(description="The subject (предмет) studied.")
    name: str = strawberry.field(description="Display name, e.g. «5А Математика».")
    class_id: strawberry.ID | None = strawberry.field(
        default=None, description="The class: required for a whole-class group, must be null "
                                  "for a cross-class group.")
    academic_year_id: strawberry.ID | None = strawberry.field(
        default=None, description="The academic year: required for a cross-class group; for a "
                                  "whole-class group it is the class's year.")
    category: GroupCategory | None = strawberry.field(
        default=None, description="Required for a cross-class group; null for a whole-class "
                                  "group.")
    starts_on: date | None = strawberry.field(
        default=None, description="Whole-class group: the class's students enrolled from this "
                                  "day on become members (default: the first day of the "
                                  "year).")


@strawberry.input(description="One subgroup of a split: its name, students and teacher.")
class SubgroupInput:
    name: str = strawberry.field(description="Display name, e.g. «5А Английский язык, 1 гр.».")
    student_ids: list[strawberry.ID] = strawberry.field(
        description="The students of the subgroup; every student of the class exactly once "
                    "across the subgroups.")
    teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="The teacher of the subgroup, assigned from `startsOn`.")


@strawberry.input(description="Split a class into subgroups for one subject.")
class SplitClassInput:
    class_id: strawberry.ID = strawberry.field(description="The class to split.")
    subject_id: strawberry.ID = strawberry.field(description="The subject studied in subgroups.")
    subgroups: list[SubgroupInput] = strawberry.field(
        description="At least two subgroups that partition the students enrolled on "
                    "`startsOn`.")
    starts_on: date = strawberry.field(description="First day of the subgroup memberships.")


@strawberry.input(description="Assign a teacher to a study group.")
class AssignTeacherInput:
    group_id: strawberry.ID = strawberry.field(description="The group.")
    teacher_id: strawberry.ID = strawberry.field(description="A teacher of the group's school.")
    starts_on: date = strawberry.field(description="First day, inside the group's year.")
    ends_on: date | None = strawberry.field(default=None,
                                            description="Last day; null for open-ended.")


@strawberry.input(description="End a teacher assignment.")
class EndTeacherAssignmentInput:
    id: strawberry.ID = strawberry.field(description="The assignment (`TeacherAssignment`).")
    ends_on: date = strawberry.field(description="Last day the teacher teaches the group.")


@strawberry.input(description="Delete a teacher assignment made by mistake.")
class DeleteTeacherAssignmentInput:
    id: strawberry.ID = strawberry.field(description="The assignment (`TeacherAssignment`).")


@strawberry.input(description="The subgroup chosen for a student in one split of a class.")
class SubgroupChoiceInput:
    split_id: strawberry.ID = strawberry.field(description="A split of the class.")
    group_id: strawberry.ID = strawberry.field(description="One of the split's subgroups.")


@strawberry.input(description="Enroll a student who has no enrollment then into a class.")
class EnrollStudentInput:
    class_id: strawberry.ID = strawberry.field(description="The class.")
    student_id: strawberry.ID = strawberry.field(description="A student of the class's school.")
    starts_on: date = strawberry.field(description="First day in the class, inside its year.")
    subgroup_choices: list[SubgroupChoiceInput] | None = strawberry.field(
        default=None, description="One subgroup for each split of the class (required when "
                                  "the class has splits).")


@strawberry.input(description="Move a student to another class (перевод) from a day on.")
class TransferStudentInput:
    student_id: strawberry.ID = strawberry.field(description="The student.")
    to_class_id: strawberry.ID = strawberry.field(description="The new class.")
    on: date = strawberry.field(description="First day in the new class; the old enrollment "
                                            "and its group memberships end the day before.")
    subgroup_choices: list[SubgroupChoiceInput] | None = strawberry.field(
        default=None, description="One subgroup for each split of the new class (required "
                                  "when it has splits).")


@strawberry.input(description="Move a student from one subgroup of a split to a sibling.")
class MoveToSubgroupInput:
    student_id: strawberry.ID = strawberry.field(description="The student.")
    to_group_id: strawberry.ID = strawberry.field(description="The new subgroup.")
    on: date = strawberry.field(description="First day in the new subgroup; the old "
                                            "membership ends the day before.")


@strawberry.input(description="Add a student to a cross-class group.")
class AddGroupMemberInput:
    group_id: strawberry.ID = strawberry.field(description="A cross-class group.")
    student_id: strawberry.ID = strawberry.field(description="A student of the group's school.")
    starts_on: date = strawberry.field(description="First day in the group.")
    ends_on: date | None = strawberry.field(default=None,
                                            description="Last day; null for open-ended.")


@strawberry.input(description="End a student's membership of a cross-class group: name the "
                              "membership, or the group and the student.")
class EndGroupMembershipInput:
    ends_on: date = strawberry.field(description="Last day in the group.")
    membership_id: strawberry.ID | None = strawberry.field(
        default=None, description="The membership (`GroupMember.membershipId`).")
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The group, with `studentId`, instead of `membershipId`.")
    student_id: strawberry.ID | None = strawberry.field(
        default=None, description="The student, with `groupId`, instead of `membershipId`.")


@strawberry.type(description="Result of `createClass`.")
class CreateClassPayload:
    school_class: SchoolClass | None = strawberry.field(description="The new class.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `updateClass`.")
class UpdateClassPayload:
    school_class: SchoolClass | None = strawberry.field(description="The class as changed.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `createStudyGroup`.")
class CreateStudyGroupPayload:
    study_group: StudyGroup | None = strawberry.field(description="The new group.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `splitClass`.")
class SplitClassPayload:
    split: Split | None = strawberry.field(description="The new split with its subgroups.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `assignTeacher` and `endTeacherAssignment`.")
class TeacherAssignmentPayload:
    assignment: TeacherAssignment | None = strawberry.field(description="The assignment.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `deleteTeacherAssignment`.")
class DeleteTeacherAssignmentPayload:
    deleted_teacher_assignment_id: strawberry.ID | None = strawberry.field(
        description="Global id of the deleted assignment; null when refused.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `enrollStudent` and `transferStudent`.")
class EnrollmentPayload:
    enrollment: ClassStudent | None = strawberry.field(description="The new enrollment.")
    previous_enrollment: ClassStudent | None = strawberry.field(
        description="`transferStudent`: the old enrollment, now closed; null otherwise.")
    school_class: SchoolClass | None = strawberry.field(description="The class enrolled in.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


@strawberry.type(description="Result of `moveToSubgroup`, `addGroupMember` and "
                             "`endGroupMembership`.")
class GroupMembershipPayload:
    membership: GroupMember | None = strawberry.field(
        description="The membership opened (or, for `endGroupMembership`, closed).")
    group: StudyGroup | None = strawberry.field(description="Its group.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)
