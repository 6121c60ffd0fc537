"""Subjects, work types with their weights, and lesson types of a school."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin


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
