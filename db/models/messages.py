"""Messages: threads about one student between a staff member and the student's guardians
(or the student), their read receipts, and class announcements (docs/notifications.md
"Messages"). Officers and tokens never read them (no grant, no access rule)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, TenantMixin, tenant_fk

BODY_MAX = 4000


class MessageThread(TenantMixin, Base):
    """A conversation about one student; `staff_id` is the teacher, class teacher or
    administrator on the school's side."""

    __tablename__ = "message_threads"
    __table_args__ = (
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        tenant_fk("staff_id", "persons", ondelete="CASCADE"),
        tenant_fk("started_by_id", "persons", ondelete="CASCADE"),
    )

    student_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID]
    started_by_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class MessageParticipant(TenantMixin, Base):
    """One person of a thread and when they last read it (`read_at`, null: never)."""

    __tablename__ = "message_participants"
    __table_args__ = (
        tenant_fk("thread_id", "message_threads", ondelete="CASCADE"),
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "thread_id", "person_id"),
        Index(None, "school_id", "person_id", "created_at"),
    )

    thread_id: Mapped[uuid.UUID]
    person_id: Mapped[uuid.UUID]
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
    # read with the participant in one statement: a list of threads is one query
    thread: Mapped[MessageThread] = relationship(lazy="joined", viewonly=True)


class Message(TenantMixin, Base):
    """One message of a thread; text only (no attachments)."""

    __tablename__ = "messages"
    __table_args__ = (
        tenant_fk("thread_id", "message_threads", ondelete="CASCADE"),
        tenant_fk("author_id", "persons", ondelete="CASCADE"),
        Index(None, "school_id", "thread_id", "created_at"),
        CheckConstraint(f"char_length(body) BETWEEN 1 AND {BODY_MAX}", name="body_length"),
    )

    thread_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class Announcement(TenantMixin, Base):
    """A class teacher's announcement to the class's students and their guardians."""

    __tablename__ = "announcements"
    __table_args__ = (
        tenant_fk("class_id", "classes", ondelete="CASCADE"),
        tenant_fk("author_id", "persons", ondelete="CASCADE"),
        Index(None, "school_id", "class_id", "created_at"),
        CheckConstraint(f"char_length(body) BETWEEN 1 AND {BODY_MAX}", name="body_length"),
    )

    class_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class AnnouncementRead(TenantMixin, Base):
    """A read receipt: one person (a student or guardian of the class) read an announcement."""

    __tablename__ = "announcement_reads"
    __table_args__ = (
        tenant_fk("announcement_id", "announcements", ondelete="CASCADE"),
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "announcement_id", "person_id"),
    )

    announcement_id: Mapped[uuid.UUID]
    person_id: Mapped[uuid.UUID]
    read_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
