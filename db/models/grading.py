"""Grading systems, their values on the common 0–100 axis, and conversion tables."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, GlobalMixin, TenantMixin, str_enum, tenant_fk

AXIS = Numeric(5, 2)


class GradingKind(enum.StrEnum):
    NUMERIC = "numeric"
    PASS_FAIL = "pass_fail"
    LETTER = "letter"
    PERCENT = "percent"


def _axis_order() -> CheckConstraint:
    return CheckConstraint(
        "0 <= range_low AND range_low <= point AND point <= range_high AND range_high <= 100",
        name="axis_order",
    )


class GradingTemplate(GlobalMixin, Base):
    """A common Russian scale (5-point, 10-point, 100-point, зачёт) that a school can copy."""

    __tablename__ = "grading_templates"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[GradingKind] = mapped_column(str_enum(GradingKind, "grading_kind"))


class GradingTemplateValue(GlobalMixin, Base):
    __tablename__ = "grading_template_values"
    __table_args__ = (UniqueConstraint("template_id", "label"), _axis_order())

    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grading_templates.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(32))
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    range_low: Mapped[Decimal] = mapped_column(AXIS)
    range_high: Mapped[Decimal] = mapped_column(AXIS)
    point: Mapped[Decimal] = mapped_column(AXIS)
    counts_as_pass: Mapped[bool] = mapped_column(Boolean)
    numeric_value: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))


class GradingSystem(TenantMixin, Base):
    """A scale a school uses (система оценивания)."""

    __tablename__ = "grading_systems"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[GradingKind] = mapped_column(str_enum(GradingKind, "grading_kind"))
    template_code: Mapped[str | None] = mapped_column(String(32))


class MarkValue(TenantMixin, Base):
    """One value of a scale: its label, its range and representative point on 0–100."""

    __tablename__ = "mark_values"
    __table_args__ = (
        tenant_fk("system_id", "grading_systems", ondelete="CASCADE"),
        UniqueConstraint("school_id", "system_id", "label"),
        UniqueConstraint("school_id", "system_id", "ordinal"),
        _axis_order(),
    )

    system_id: Mapped[uuid.UUID]
    label: Mapped[str] = mapped_column(String(32))
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    range_low: Mapped[Decimal] = mapped_column(AXIS)
    range_high: Mapped[Decimal] = mapped_column(AXIS)
    point: Mapped[Decimal] = mapped_column(AXIS)
    counts_as_pass: Mapped[bool] = mapped_column(Boolean)
    numeric_value: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))


class ConversionTable(TenantMixin, Base):
    """An explicit conversion pinned by the school between two of its scales."""

    __tablename__ = "conversion_tables"
    __table_args__ = (
        tenant_fk("from_system_id", "grading_systems", ondelete="CASCADE"),
        tenant_fk("to_system_id", "grading_systems", ondelete="CASCADE"),
        CheckConstraint("from_system_id <> to_system_id", name="two_systems"),
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="dates_ordered"),
        UniqueConstraint("school_id", "from_system_id", "to_system_id", "valid_from"),
    )

    from_system_id: Mapped[uuid.UUID]
    to_system_id: Mapped[uuid.UUID]
    provenance: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ConversionRow(TenantMixin, Base):
    """One line of a conversion table: this value of X becomes that value of Y."""

    __tablename__ = "conversion_rows"
    __table_args__ = (
        tenant_fk("table_id", "conversion_tables", ondelete="CASCADE"),
        tenant_fk("from_value_id", "mark_values", ondelete="CASCADE"),
        tenant_fk("to_value_id", "mark_values", ondelete="CASCADE"),
        UniqueConstraint("school_id", "table_id", "from_value_id"),
    )

    table_id: Mapped[uuid.UUID]
    from_value_id: Mapped[uuid.UUID]
    to_value_id: Mapped[uuid.UUID]


class GradingSystemUse(TenantMixin, Base):
    """Which scale applies to a subject and grade level in a year (null = any)."""

    __tablename__ = "grading_system_uses"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("subject_id", "subjects", ondelete="CASCADE"),
        tenant_fk("system_id", "grading_systems"),
        UniqueConstraint(
            "school_id", "academic_year_id", "subject_id", "grade_level",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("grade_level BETWEEN 1 AND 11", name="grade_level_range"),
    )

    academic_year_id: Mapped[uuid.UUID]
    subject_id: Mapped[uuid.UUID | None]
    grade_level: Mapped[int | None] = mapped_column(SmallInteger)
    system_id: Mapped[uuid.UUID]
