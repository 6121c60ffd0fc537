"""Period, year and final grades with their state (итоговые оценки)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, str_enum, tenant_fk


class GradeKind(enum.StrEnum):
    PERIOD = "period"
    YEAR = "year"
    EXAM = "exam"
    FINAL = "final"


class GradeState(enum.StrEnum):
    GRADED = "graded"
    DEFERRED = "deferred"
    NOT_ATTESTED = "not_attested"
    EXEMPT = "exempt"


class Grade(TenantMixin, Base):
    """A student's grade in a subject for a period, the year, an exam or the final grade; the
    suggestion (computed grade) is kept beside it."""

    __tablename__ = "grades"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        tenant_fk("subject_id", "subjects"),
        tenant_fk("period_id", "periods", ondelete="CASCADE"),
        tenant_fk("group_id", "study_groups", ondelete="SET NULL"),
        tenant_fk("value_id", "mark_values"),
        tenant_fk("suggested_value_id", "mark_values"),
        tenant_fk("set_by_id", "persons"),
        tenant_fk("exam_kind_id", "exam_kinds"),
        # one grade per period, one year and one final grade, one result per exam kind
        UniqueConstraint(
            "school_id", "student_id", "subject_id", "academic_year_id", "kind", "period_id",
            "exam_kind_id", postgresql_nulls_not_distinct=True, name="uq_grades_one_per_key",
        ),
        Index(None, "school_id", "group_id", "period_id"),
        CheckConstraint("(kind = 'period') = (period_id IS NOT NULL)", name="period_iff_kind"),
        CheckConstraint("(state = 'graded') = (value_id IS NOT NULL)", name="value_iff_graded"),
        CheckConstraint(
            "(state = 'deferred') = (deferred_until IS NOT NULL)", name="date_iff_deferred"
        ),
        CheckConstraint("(kind = 'exam') = (exam_kind_id IS NOT NULL)", name="exam_iff_kind"),
        CheckConstraint("test_score IS NULL OR (kind = 'exam' AND state = 'graded' "
                        "AND test_score >= 0)", name="test_score_of_graded_exam"),
    )

    academic_year_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID]
    kind: Mapped[GradeKind] = mapped_column(str_enum(GradeKind, "grade_kind"))
    period_id: Mapped[uuid.UUID | None]
    group_id: Mapped[uuid.UUID | None]
    state: Mapped[GradeState] = mapped_column(str_enum(GradeState, "grade_state"))
    value_id: Mapped[uuid.UUID | None]
    suggested_value_id: Mapped[uuid.UUID | None]
    suggested_average: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    deferred_reason: Mapped[str | None] = mapped_column(Text)
    deferred_until: Mapped[date | None] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(String(500))
    set_by_id: Mapped[uuid.UUID | None]
    set_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    exam_kind_id: Mapped[uuid.UUID | None]
    test_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
