"""Classes, enrollments, and study groups with dated memberships and teachers."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, str_enum, tenant_fk


def _dated() -> CheckConstraint:
    return CheckConstraint("ends_on IS NULL OR starts_on <= ends_on", name="dates_ordered")


class SchoolClass(TenantMixin, Base):
    """A class (5 «А») of a year, with its class teacher (классный руководитель)."""

    __tablename__ = "classes"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("class_teacher_id", "persons"),
        UniqueConstraint("school_id", "academic_year_id", "grade_level", "letter"),
        Index(None, "school_id", "class_teacher_id"),
        CheckConstraint("grade_level BETWEEN 1 AND 11", name="grade_level_range"),
    )

    academic_year_id: Mapped[uuid.UUID]
    grade_level: Mapped[int] = mapped_column(SmallInteger)
    letter: Mapped[str] = mapped_column(String(8))
    class_teacher_id: Mapped[uuid.UUID | None]


class Enrollment(TenantMixin, Base):
    """A student's membership of a class for a span of dates; a transfer closes one."""

    __tablename__ = "enrollments"
    __table_args__ = (
        tenant_fk("class_id", "classes", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        Index(None, "school_id", "class_id"),
        Index(None, "school_id", "student_id"),
        _dated(),
    )

    class_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Split(TenantMixin, Base):
    """A division of a class into subgroups for one subject (деление класса на группы)."""

    __tablename__ = "splits"
    __table_args__ = (
        tenant_fk("class_id", "classes", ondelete="CASCADE"),
        tenant_fk("subject_id", "subjects"),
        UniqueConstraint("school_id", "class_id", "subject_id"),
    )

    class_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID]


class GroupKind(enum.StrEnum):
    WHOLE_CLASS = "whole_class"
    SUBGROUP = "subgroup"
    CROSS_CLASS = "cross_class"


class StudyGroup(TenantMixin, Base):
    """The students who study one subject together: a class, a subgroup, or a cross-class group."""

    __tablename__ = "study_groups"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("subject_id", "subjects"),
        tenant_fk("class_id", "classes", ondelete="CASCADE"),
        tenant_fk("split_id", "splits", ondelete="CASCADE"),
        Index(None, "school_id", "class_id"),
        Index(None, "school_id", "split_id"),
        CheckConstraint(
            "(kind = 'whole_class' AND class_id IS NOT NULL AND split_id IS NULL)"
            " OR (kind = 'subgroup' AND class_id IS NOT NULL AND split_id IS NOT NULL)"
            " OR (kind = 'cross_class' AND class_id IS NULL AND split_id IS NULL)",
            name="kind_shape",
        ),
    )

    academic_year_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID]
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, "group_kind"))
    class_id: Mapped[uuid.UUID | None]
    split_id: Mapped[uuid.UUID | None]
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(32))


class GroupMembership(TenantMixin, Base):
    """A student's membership of a group for a span of dates."""

    __tablename__ = "group_memberships"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        Index(None, "school_id", "group_id", "starts_on"),
        Index(None, "school_id", "student_id"),
        _dated(),
    )

    group_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class TeacherAssignment(TenantMixin, Base):
    """A teacher who teaches a group, for a span of dates."""

    __tablename__ = "teacher_assignments"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("teacher_id", "persons", ondelete="CASCADE"),
        Index(None, "school_id", "group_id"),
        Index(None, "school_id", "teacher_id"),
        _dated(),
    )

    group_id: Mapped[uuid.UUID]
    teacher_id: Mapped[uuid.UUID]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class CurriculumLine(TenantMixin, Base):
    """Planned hours of a group in a period for one lesson type (учебный план)."""

    __tablename__ = "curriculum_lines"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("period_id", "periods", ondelete="CASCADE"),
        tenant_fk("lesson_type_id", "lesson_types"),
        UniqueConstraint("school_id", "group_id", "period_id", "lesson_type_id"),
        CheckConstraint("planned_hours >= 0", name="hours_nonnegative"),
    )

    group_id: Mapped[uuid.UUID]
    period_id: Mapped[uuid.UUID]
    lesson_type_id: Mapped[uuid.UUID]
    planned_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))


class CurriculumPlan(TenantMixin, Base):
    """Hours a year of a subject in a grade level, by lesson type (учебный план); the school's
    own plan, from which the per-group, per-period `curriculum_lines` are derived."""

    __tablename__ = "curriculum_plans"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("subject_id", "subjects"),
        tenant_fk("lesson_type_id", "lesson_types"),
        UniqueConstraint("school_id", "academic_year_id", "subject_id", "grade_level",
                         "lesson_type_id", name="uq_curriculum_plans_line"),
        CheckConstraint("grade_level BETWEEN 1 AND 11", name="grade_level_range"),
        CheckConstraint("hours_per_year BETWEEN 0 AND 1000", name="hours_range"),
    )

    academic_year_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID]
    grade_level: Mapped[int] = mapped_column(SmallInteger)
    lesson_type_id: Mapped[uuid.UUID]
    hours_per_year: Mapped[Decimal] = mapped_column(Numeric(5, 1))
