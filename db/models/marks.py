"""Marks (отметки) and attendance entries of students."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, str_enum, tenant_fk


class Mark(TenantMixin, Base):
    """One mark for one piece of work: in a lesson, or for a work with its own date."""

    __tablename__ = "marks"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("lesson_id", "lessons", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        tenant_fk("work_type_id", "work_types"),
        tenant_fk("value_id", "mark_values"),
        tenant_fk("entered_by_id", "persons"),
        Index(None, "school_id", "lesson_id"),
        Index(None, "school_id", "group_id", "work_date"),
        Index(None, "school_id", "student_id", "work_date"),
        UniqueConstraint("school_id", "client_key"),
    )

    group_id: Mapped[uuid.UUID]
    lesson_id: Mapped[uuid.UUID | None]
    student_id: Mapped[uuid.UUID]
    work_date: Mapped[date] = mapped_column(Date)
    work_type_id: Mapped[uuid.UUID]
    value_id: Mapped[uuid.UUID]
    comment: Mapped[str | None] = mapped_column(Text)
    excluded_from_average: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    client_key: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entered_at: Mapped[datetime] = created_at_column()
    entered_by_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class AttendanceKind(enum.StrEnum):
    ABSENT = "absent"
    ILL = "ill"
    EXCUSED = "excused"
    LATE = "late"


class Attendance(TenantMixin, Base):
    """A student's absence or lateness at a lesson (н, б, у/п, оп); presence is no row."""

    __tablename__ = "attendance"
    __table_args__ = (
        tenant_fk("lesson_id", "lessons", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        tenant_fk("entered_by_id", "persons"),
        UniqueConstraint("school_id", "lesson_id", "student_id"),
        Index(None, "school_id", "student_id"),
        CheckConstraint(
            "(kind = 'late') = (late_minutes IS NOT NULL)", name="late_minutes_iff_late"
        ),
        CheckConstraint(
            "excuse_reason IS NULL OR (kind IN ('excused', 'ill') "
            "AND length(excuse_reason) BETWEEN 1 AND 500)", name="excuse_reason_of_excused"
        ),
    )

    lesson_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    kind: Mapped[AttendanceKind] = mapped_column(str_enum(AttendanceKind, "attendance_kind"))
    late_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    # The document or reason of an excused (у) or ill (б) absence, as the class teacher wrote
    # it (`excuseAbsences`); hidden from the officer role.
    excuse_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entered_at: Mapped[datetime] = created_at_column()
    entered_by_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
