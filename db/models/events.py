"""The diary event log: every change a `diaryEvents` subscriber may be told of, kept for a
bounded time so a subscriber can resume from a cursor (replay) without losing an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin


class DiaryEventEntry(TenantMixin, Base):
    """One change of a mark, an attendance entry, a lesson or a grade, written by the trigger
    of its table in the same transaction (never by the application). `cursor` comes from a
    sequence (not IDENTITY ALWAYS), so a restore can put rows back as they were. One sequence
    serves every school; within a school a deferred trigger hands out its values as each
    writer commits, in commit order (db/rls.py DIARY_EVENT_LOG), which makes "every event
    after cursor N" exact without making writers of a school wait for each other's
    transactions."""

    __tablename__ = "diary_events"
    __table_args__ = (
        Index(None, "school_id", "student_id", "cursor"),
        Index(None, "school_id", "cursor"),
    )

    # Null until the writer's commit numbers the row (only the writer ever sees it so).
    cursor: Mapped[int | None] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(20))  # marks | attendance | lessons | grades
    op: Mapped[str] = mapped_column(String(10))  # insert | update | delete
    entity_id: Mapped[uuid.UUID]
    # Set for marks, attendance and grades; null for a lesson (its members are read at replay).
    student_id: Mapped[uuid.UUID | None]
    lesson_id: Mapped[uuid.UUID | None]
    group_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
