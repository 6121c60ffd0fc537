"""People of a school, their roles in it, and guardian–student links."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, str_enum, tenant_fk


class Person(TenantMixin, Base):
    """A person as one school knows them; personal data lives only here, under RLS."""

    __tablename__ = "persons"
    __table_args__ = (
        UniqueConstraint("school_id", "external_id"),
        UniqueConstraint("school_id", "account_id"),
        Index(None, "school_id", "last_name", "first_name"),
    )

    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    external_id: Mapped[str | None] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()


class SchoolRole(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    TEACHER = "teacher"
    STUDENT = "student"
    GUARDIAN = "guardian"


class PersonRole(TenantMixin, Base):
    """A role a person holds in their school."""

    __tablename__ = "person_roles"
    __table_args__ = (
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "person_id", "role"),
        Index(None, "school_id", "role"),
    )

    person_id: Mapped[uuid.UUID]
    role: Mapped[SchoolRole] = mapped_column(str_enum(SchoolRole, "school_role"))


class Guardianship(TenantMixin, Base):
    """A guardian (parent or legal representative) of a student in the same school."""

    __tablename__ = "guardianships"
    __table_args__ = (
        tenant_fk("guardian_id", "persons", ondelete="CASCADE"),
        tenant_fk("student_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "guardian_id", "student_id"),
        Index(None, "school_id", "student_id"),
    )

    guardian_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    relation: Mapped[str | None] = mapped_column(String(32))
