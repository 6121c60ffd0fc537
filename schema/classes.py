"""Classes and study groups (класс, подгруппа, профильная группа, элективный курс).

Structure (classes, groups, splits, teacher assignments) is readable by every member of the
school; the people in it (students, teachers) only as tenants/visibility.py allows: a student
the viewer may not see is left out of a list, a teacher shows as null.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.calendar.group_periods import period_on
from schema.calendar import Period
from schema.ids import to_global_id
from schema.people import Person
from schema.structure import structure_nodes

GroupKindEnum = strawberry.enum(
    models.GroupKind, name="GroupKind",
    description="whole_class: the class studies the subject together; subgroup: one part of "
                "a split of a class (деление на подгруппы); cross_class: a profile group, "
                "elective or optional course drawn from several classes.",
)


@strawberry.enum(description="What a cross-class group is: a profile group (профильная "
                             "группа), an elective (элективный курс) or an optional course "
                             "(факультатив).")
class GroupCategory(enum.Enum):
    PROFILE = strawberry.enum_value("profile", description="Профильная группа.")
    ELECTIVE = strawberry.enum_value("elective", description="Элективный курс.")
    OPTIONAL = strawberry.enum_value("optional", description="Факультатив.")


def category_of(value: str | None) -> GroupCategory | None:
    try:
        return GroupCategory(value) if value else None
    except ValueError:
        return None


OnDate = Annotated[
    date | None,
    strawberry.argument(description="The day to look at; null means today in the school's "
                                    "time zone."),
]


async def school_today(info: Info, school_id: uuid.UUID) -> date:
    """Today where the school is: a class in Blagoveshchensk starts its day hours before UTC."""
    school = await info.context.loaders.by_id(models.School).load(school_id)
    zone = ZoneInfo(school.timezone) if school is not None else None
    return datetime.now(zone).date()


def covers(row: Any, day: date) -> bool:
    """Whether a dated row (enrollment, membership, assignment) is in force on `day`."""
    return bool(row.starts_on <= day and (row.ends_on is None or row.ends_on >= day))


async def visible_people(info: Info, rows: Sequence[Any], key: str) -> list[tuple[Any, Person]]:
    """Pair each row with its person, dropping those the viewer may not see; by name."""
    persons = await info.context.loaders.visible_person.load_many([getattr(r, key) for r in rows])
    pairs = [(r, Person.from_model(p)) for r, p in zip(rows, persons, strict=True) if p]
    return sorted(pairs, key=lambda rp: (rp[1].last_name, rp[1].first_name,
                                         rp[1].middle_name or "", str(rp[1].id)))


@strawberry.type(description="A student enrolled in a class (зачисление), with the dates of the "
                             "enrollment.")
class ClassStudent:
    enrollment_id: strawberry.ID = strawberry.field(
        description="Global id of the enrollment (type `Enrollment`).")
    student: Person = strawberry.field(description="The student.")
    starts_on: date = strawberry.field(description="First day in the class.")
    ends_on: date | None = strawberry.field(
        description="Last day in the class; null while the enrollment is open.")

    @classmethod
    def from_model(cls, row: models.Enrollment, student: Person) -> ClassStudent:
        return cls(enrollment_id=strawberry.ID(to_global_id("Enrollment", row.id)),
                   student=student, starts_on=row.starts_on, ends_on=row.ends_on)


@strawberry.type(description="A student's membership of a study group, with its dates.")
class GroupMember:
    membership_id: strawberry.ID = strawberry.field(
        description="Global id of the membership (type `GroupMembership`), for "
                    "`endGroupMembership`.")
    student: Person = strawberry.field(description="The student.")
    starts_on: date = strawberry.field(description="First day in the group.")
    ends_on: date | None = strawberry.field(
        description="Last day in the group; null while the membership is open.")

    @classmethod
    def from_model(cls, row: models.GroupMembership, student: Person) -> GroupMember:
        return cls(membership_id=strawberry.ID(to_global_id("GroupMembership", row.id)),
                   student=student, starts_on=row.starts_on, ends_on=row.ends_on)


@strawberry.type(description="A class (класс), e.g. 5 «А», in one academic year.")
class SchoolClass(relay.Node):
    id: relay.NodeID[uuid.UUID]
    grade_level: int = strawberry.field(description="Grade level 1–11 (параллель).")
    letter: str = strawberry.field(description="Letter of the class, e.g. «А».")
    school_id: strawberry.Private[uuid.UUID]
    academic_year_id: strawberry.Private[uuid.UUID]
    class_teacher_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Display name, e.g. «5А».")
    def name(self) -> str:
        return f"{self.grade_level}{self.letter}"

    @strawberry.field(name="academicYearId",
                      description="Global id of the academic year (учебный год, type "
                                  "`AcademicYear`) the class belongs to.")
    def academic_year_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("AcademicYear", self.academic_year_id))

    @strawberry.field(description="The class teacher (классный руководитель); null when there "
                                  "is none or the viewer may not see them.")
    async def class_teacher(self, info: Info) -> Person | None:
        if self.class_teacher_id is None:
            return None
        row = await info.context.loaders.visible_person.load(self.class_teacher_id)
        return Person.from_model(row) if row else None

    @strawberry.field(description="The students enrolled in the class on a day (список "
                                  "класса), by name; only those the viewer may see.")
    async def students(self, info: Info, on: OnDate = None) -> list[ClassStudent]:
        day = on or await school_today(info, self.school_id)
        rows = await info.context.loaders.many(models.Enrollment.class_id).load(self.id)
        pairs = await visible_people(info, [r for r in rows if covers(r, day)], "student_id")
        return [ClassStudent.from_model(r, p) for r, p in pairs]

    @strawberry.field(description="The study groups of the class: whole-class groups and "
                                  "subgroups of its splits, by name.")
    async def groups(self, info: Info) -> list[StudyGroup]:
        rows = await info.context.loaders.many(models.StudyGroup.class_id).load(self.id)
        return [StudyGroup.from_model(r) for r in sorted(rows, key=lambda r: (r.name, r.id))]

    @classmethod
    def from_model(cls, row: models.SchoolClass) -> SchoolClass:
        return cls(id=row.id, grade_level=row.grade_level, letter=row.letter,
                   school_id=row.school_id, academic_year_id=row.academic_year_id,
                   class_teacher_id=row.class_teacher_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SchoolClass | None]:
        return await structure_nodes(info, node_ids, models.SchoolClass, cls.from_model)


@strawberry.type(description="A split of a class into subgroups for one subject (деление "
                             "класса на подгруппы): each student of the class is in exactly "
                             "one of its subgroups.")
class Split(relay.Node):
    id: relay.NodeID[uuid.UUID]
    school_id: strawberry.Private[uuid.UUID]
    class_id: strawberry.Private[uuid.UUID]
    subject_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="subjectId", description="Global id of the subject (type `Subject`).")
    def subject_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Subject", self.subject_id))

    @strawberry.field(description="The class that is split.")
    async def school_class(self, info: Info) -> SchoolClass:
        row = await info.context.loaders.by_id(models.SchoolClass).load(self.class_id)
        return SchoolClass.from_model(row)

    @strawberry.field(description="The subgroups of the split, by name.")
    async def subgroups(self, info: Info) -> list[StudyGroup]:
        rows = await info.context.loaders.many(models.StudyGroup.split_id).load(self.id)
        return [StudyGroup.from_model(r) for r in sorted(rows, key=lambda r: (r.name, r.id))]

    @classmethod
    def from_model(cls, row: models.Split) -> Split:
        return cls(id=row.id, school_id=row.school_id, class_id=row.class_id,
                   subject_id=row.subject_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Split | None]:
        return await structure_nodes(info, node_ids, models.Split, cls.from_model)


@strawberry.type(description="A teacher assigned to teach a study group for a span of dates.")
class TeacherAssignment(relay.Node):
    id: relay.NodeID[uuid.UUID]
    starts_on: date = strawberry.field(description="First day the teacher teaches the group.")
    ends_on: date | None = strawberry.field(
        description="Last day; null while the assignment is open.")
    school_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID]
    teacher_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The teacher (учитель); null when the viewer may not see "
                                  "people (officers).")
    async def teacher(self, info: Info) -> Person | None:
        row = await info.context.loaders.visible_person.load(self.teacher_id)
        return Person.from_model(row) if row else None

    @strawberry.field(description="The group taught.")
    async def group(self, info: Info) -> StudyGroup:
        row = await info.context.loaders.by_id(models.StudyGroup).load(self.group_id)
        return StudyGroup.from_model(row)

    @classmethod
    def from_model(cls, row: models.TeacherAssignment) -> TeacherAssignment:
        return cls(id=row.id, starts_on=row.starts_on, ends_on=row.ends_on,
                   school_id=row.school_id, group_id=row.group_id, teacher_id=row.teacher_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TeacherAssignment | None]:
        return await structure_nodes(info, node_ids, models.TeacherAssignment, cls.from_model)


@strawberry.type(description="A study group: the students who study one subject together.")
class StudyGroup(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Display name, e.g. «5А Английский язык, 1 гр.».")
    kind: GroupKindEnum = strawberry.field(description="Whole class, subgroup or cross-class.")
    school_id: strawberry.Private[uuid.UUID]
    subject_id: strawberry.Private[uuid.UUID]
    class_id: strawberry.Private[uuid.UUID | None]
    split_id: strawberry.Private[uuid.UUID | None]
    category_: strawberry.Private[str | None]
    academic_year_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="subjectId",
                      description="Global id of the subject studied (type `Subject`).")
    def subject_gid(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Subject", self.subject_id))

    @strawberry.field(description="For a cross-class group: profile group, elective or "
                                  "optional course; null otherwise.")
    def category(self) -> GroupCategory | None:
        return category_of(self.category_)

    @strawberry.field(description="The class of a whole-class group or subgroup; null for a "
                                  "cross-class group.")
    async def school_class(self, info: Info) -> SchoolClass | None:
        if self.class_id is None:
            return None
        row = await info.context.loaders.by_id(models.SchoolClass).load(self.class_id)
        return SchoolClass.from_model(row) if row else None

    @strawberry.field(description="For a subgroup: its split, whose `subgroups` are this group "
                                  "and its siblings; null for other groups.")
    async def split(self, info: Info) -> Split | None:
        if self.split_id is None:
            return None
        row = await info.context.loaders.by_id(models.Split).load(self.split_id)
        return Split.from_model(row) if row else None

    @strawberry.field(description="The students in the group on a day, by name. Only those the "
                                  "viewer may see: administrators, the group's teachers and the "
                                  "class teacher see them all, a student or guardian only "
                                  "themselves or their children.")
    async def members(self, info: Info, on: OnDate = None) -> list[GroupMember]:
        day = on or await school_today(info, self.school_id)
        rows = await info.context.loaders.many(models.GroupMembership.group_id).load(self.id)
        pairs = await visible_people(info, [r for r in rows if covers(r, day)], "student_id")
        return [GroupMember.from_model(r, p) for r, p in pairs]

    @strawberry.field(description="Teachers assigned to the group, by start date.")
    async def teachers(
        self, info: Info,
        on: Annotated[date | None, strawberry.argument(
            description="Only the assignments in force on this day; null: every assignment, "
                        "past and future.")] = None,
    ) -> list[TeacherAssignment]:
        rows = await info.context.loaders.many(models.TeacherAssignment.group_id).load(self.id)
        rows = [r for r in rows if on is None or covers(r, on)]
        return [TeacherAssignment.from_model(r)
                for r in sorted(rows, key=lambda r: (r.starts_on, r.id))]

    @strawberry.field(description="The reporting periods of the group's own period scheme (the "
                                  "scheme its grade level uses in its year; a cross-class "
                                  "group takes its youngest class), by start date: the "
                                  "periods `journal` accepts for the group.")
    async def periods(self, info: Info) -> list[Period]:
        rows = await info.context.loaders.group_periods.load(self.id)
        return [Period.from_model(r) for r in rows]

    @strawberry.field(description="The period of the group's own scheme that holds the day; "
                                  "null when none does (e.g. in the summer).")
    async def current_period(self, info: Info, on: OnDate = None) -> Period | None:
        day = on or await school_today(info, self.school_id)
        row = period_on(await info.context.loaders.group_periods.load(self.id), day)
        return Period.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.StudyGroup) -> StudyGroup:
        return cls(id=row.id, name=row.name, kind=row.kind, school_id=row.school_id,
                   subject_id=row.subject_id, class_id=row.class_id, split_id=row.split_id,
                   category_=row.category, academic_year_id=row.academic_year_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[StudyGroup | None]:
        return await structure_nodes(info, node_ids, models.StudyGroup, cls.from_model)
