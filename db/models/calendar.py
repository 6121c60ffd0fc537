"""The school calendar: academic years, period schemes with periods and holidays."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, str_enum, tenant_fk


class YearStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class AcademicYear(TenantMixin, Base):
    """An academic year of one school (учебный год), e.g. 2015/2016."""

    __tablename__ = "academic_years"
    __table_args__ = (
        UniqueConstraint("school_id", "name"),
        CheckConstraint("starts_on < ends_on", name="dates_ordered"),
    )

    name: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[YearStatus] = mapped_column(
        str_enum(YearStatus, "year_status"), default=YearStatus.OPEN, server_default="open"
    )


class SchemeKind(enum.StrEnum):
    QUARTERS = "quarters"
    TRIMESTERS = "trimesters"
    HALF_YEARS = "half_years"
    MODULES = "modules"


class PeriodScheme(TenantMixin, Base):
    """How a year is cut into reporting periods (четверти, триместры, полугодия, модули)."""

    __tablename__ = "period_schemes"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        UniqueConstraint("school_id", "academic_year_id", "name"),
    )

    academic_year_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[SchemeKind] = mapped_column(str_enum(SchemeKind, "scheme_kind"))


class Period(TenantMixin, Base):
    """One reporting period of a scheme; `closed_at` locks its marks and grades."""

    __tablename__ = "periods"
    __table_args__ = (
        tenant_fk("scheme_id", "period_schemes", ondelete="CASCADE"),
        UniqueConstraint("school_id", "scheme_id", "ordinal"),
        CheckConstraint("starts_on <= ends_on", name="dates_ordered"),
    )

    scheme_id: Mapped[uuid.UUID]
    ordinal: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Holiday(TenantMixin, Base):
    """Days without lessons: holidays of a scheme (каникулы), or of the whole school."""

    __tablename__ = "holidays"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("scheme_id", "period_schemes", ondelete="CASCADE"),
        Index(None, "school_id", "academic_year_id", "starts_on"),
        CheckConstraint("starts_on <= ends_on", name="dates_ordered"),
    )

    academic_year_id: Mapped[uuid.UUID]
    scheme_id: Mapped[uuid.UUID | None]
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class GradeLevelScheme(TenantMixin, Base):
    """Which period scheme a grade level (1–11) uses in a year."""

    __tablename__ = "grade_level_schemes"
    __table_args__ = (
        tenant_fk("academic_year_id", "academic_years", ondelete="CASCADE"),
        tenant_fk("scheme_id", "period_schemes", ondelete="CASCADE"),
        UniqueConstraint("school_id", "academic_year_id", "grade_level"),
        CheckConstraint("grade_level BETWEEN 1 AND 11", name="grade_level_range"),
    )

    academic_year_id: Mapped[uuid.UUID]
    grade_level: Mapped[int] = mapped_column(SmallInteger)
    scheme_id: Mapped[uuid.UUID]
