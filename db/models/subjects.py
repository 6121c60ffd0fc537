"""Subjects, work types with their weights, and lesson types of a school."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, tenant_fk


class Subject(TenantMixin, Base):
    """A subject (предмет)."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(50))


class WorkType(TenantMixin, Base):
    """A kind of work with its weight in averages (вид работы, вес)."""

    __tablename__ = "work_types"
    __table_args__ = (
        UniqueConstraint("school_id", "name"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))


class LessonType(TenantMixin, Base):
    """A kind of lesson counted against the curriculum (урок, лабораторная, контрольная…)."""

    __tablename__ = "lesson_types"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))


class TeachingWithoutMarks(TenantMixin, Base):
    """A grade level (no subject) or a subject in a grade level taught without marks
    (безотметочное обучение): no marks, no period grades expected, out of the denominators of
    успеваемость and качество (docs/figures.md)."""

    __tablename__ = "teaching_without_marks"
    __table_args__ = (
        tenant_fk("subject_id", "subjects", ondelete="CASCADE"),
        UniqueConstraint("school_id", "grade_level", "subject_id",
                         postgresql_nulls_not_distinct=True),
        CheckConstraint("grade_level BETWEEN 1 AND 11", name="grade_level_range"),
    )

    grade_level: Mapped[int] = mapped_column(SmallInteger)
    subject_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at_column()
