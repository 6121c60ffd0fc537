"""Lessons: one occurrence of a group's subject on a date, with topic and homework."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, SmallInteger, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, str_enum, tenant_fk


class LessonStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Lesson(TenantMixin, Base):
    """A lesson (урок). `*_entered_at` record when each part was entered, for timeliness."""

    __tablename__ = "lessons"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("slot_id", "timetable_slots", ondelete="SET NULL"),
        tenant_fk("lesson_type_id", "lesson_types"),
        tenant_fk("scheduled_teacher_id", "persons"),
        tenant_fk("actual_teacher_id", "persons"),
        Index(None, "school_id", "group_id", "date"),
        Index(None, "school_id", "date"),
        Index(None, "school_id", "actual_teacher_id", "date"),
    )

    group_id: Mapped[uuid.UUID]
    slot_id: Mapped[uuid.UUID | None]
    date: Mapped[date] = mapped_column("date", nullable=False)
    lesson_number: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[LessonStatus] = mapped_column(
        str_enum(LessonStatus, "lesson_status"),
        default=LessonStatus.SCHEDULED,
        server_default="scheduled",
    )
    lesson_type_id: Mapped[uuid.UUID | None]
    topic: Mapped[str | None] = mapped_column(Text)
    homework: Mapped[str | None] = mapped_column(Text)
    homework_links: Mapped[list[Any]] = mapped_column(JSONB, default=list, server_default="[]")
    homework_due_on: Mapped[date | None]
    scheduled_teacher_id: Mapped[uuid.UUID | None]
    actual_teacher_id: Mapped[uuid.UUID | None]
    substitution_reason: Mapped[str | None] = mapped_column(Text)
    topic_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    homework_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attendance_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
