"""Per-school settings of the journal rules (one row per school)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin


class SchoolSettings(TenantMixin, Base):
    """How a school applies the regulation: deadlines, posting window, rounding, reporting."""

    __tablename__ = "school_settings"
    __table_args__ = (
        UniqueConstraint("school_id"),
        CheckConstraint("posting_window_days IS NULL OR posting_window_days >= 0",
                        name="window_nonnegative"),
        CheckConstraint("mark_deadline_days >= 0", name="deadline_nonnegative"),
        CheckConstraint("rounding_threshold > 0 AND rounding_threshold < 1",
                        name="threshold_fraction"),
        CheckConstraint("min_group_size >= 1", name="group_size_positive"),
        CheckConstraint("offline_window_hours BETWEEN 0 AND 720", name="offline_window_range"),
        CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_range"),
        CheckConstraint("notification_retention_days BETWEEN 1 AND 365",
                        name="retention_range"),
    )

    # Days after a lesson (or work) after which changes need an administrator; null: never.
    posting_window_days: Mapped[int | None] = mapped_column(SmallInteger)
    # Regulation 5.6: marks within one week of the work.
    mark_deadline_days: Mapped[int] = mapped_column(SmallInteger, default=7, server_default="7")
    # The fraction from which an average rounds up to the next grade (0.5: 4.5 → 5; 0.6: 4.6 → 5).
    rounding_threshold: Mapped[Decimal] = mapped_column(
        Numeric(3, 2), default=Decimal("0.5"), server_default="0.5")
    # Aggregates over fewer students than this are suppressed (re-identification).
    min_group_size: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    # How long after the fact an entry may say it was recorded offline (`recordedAt`).
    offline_window_hours: Mapped[int] = mapped_column(SmallInteger, default=72,
                                                      server_default="72")
    # The local hour at which the daily email digest goes out.
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=18, server_default="18")
    # Days delivered notifications (and webhook deliveries) are kept before the worker purges.
    notification_retention_days: Mapped[int] = mapped_column(SmallInteger, default=30,
                                                             server_default="30")
    # How a year grade is derived from period grades.
    year_grade_rule: Mapped[str] = mapped_column(String(32), default="rounded_mean",
                                                 server_default="rounded_mean")
