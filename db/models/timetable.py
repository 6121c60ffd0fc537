"""The bell schedule and the weekly timetable (расписание)."""

from __future__ import annotations

import uuid
from datetime import date, time

from sqlalchemy import CheckConstraint, Date, Index, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, tenant_fk


class Bell(TenantMixin, Base):
    """When lesson number N starts and ends."""

    __tablename__ = "bells"
    __table_args__ = (
        UniqueConstraint("school_id", "lesson_number"),
        CheckConstraint("starts_at < ends_at", name="times_ordered"),
    )

    lesson_number: Mapped[int] = mapped_column(SmallInteger)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class TimetableSlot(TenantMixin, Base):
    """A weekly slot: weekday, lesson number, group, teacher, room; valid for a span of dates."""

    __tablename__ = "timetable_slots"
    __table_args__ = (
        tenant_fk("group_id", "study_groups", ondelete="CASCADE"),
        tenant_fk("teacher_id", "persons"),
        Index(None, "school_id", "group_id", "weekday"),
        Index(None, "school_id", "teacher_id"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_range"),
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="dates_ordered"),
    )

    group_id: Mapped[uuid.UUID]
    teacher_id: Mapped[uuid.UUID]
    weekday: Mapped[int] = mapped_column(SmallInteger)
    lesson_number: Mapped[int] = mapped_column(SmallInteger)
    room: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
