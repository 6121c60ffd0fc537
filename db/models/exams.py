"""Exam kinds of a school (промежуточная и государственная итоговая аттестация): ОГЭ, ЕГЭ,
переводной экзамен. A student's result is a `grades` row of kind EXAM naming its kind."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, CheckConstraint, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, str_enum, tenant_fk


class ExamLevel(enum.StrEnum):
    INTERMEDIATE = "intermediate"  # промежуточная аттестация (ПА): переводной экзамен
    STATE = "state"  # государственная итоговая аттестация (ГИА): ОГЭ, ЕГЭ, ГВЭ


class ExamKind(TenantMixin, Base):
    """A kind of exam the school holds, with the grading system its grades are in."""

    __tablename__ = "exam_kinds"
    __table_args__ = (
        tenant_fk("system_id", "grading_systems"),
        UniqueConstraint("school_id", "name"),
        CheckConstraint("max_test_score IS NULL OR max_test_score BETWEEN 1 AND 1000",
                        name="max_test_score_range"),
        CheckConstraint("grade_levels <@ ARRAY[1,2,3,4,5,6,7,8,9,10,11]::smallint[]",
                        name="grade_levels_range"),
    )

    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(20))
    level: Mapped[ExamLevel] = mapped_column(str_enum(ExamLevel, "exam_level"))
    system_id: Mapped[uuid.UUID]
    max_test_score: Mapped[int | None] = mapped_column(SmallInteger)
    # Empty: the exam may be held in any grade level.
    grade_levels: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default="{}")
    counts_in_final: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = created_at_column()
