"""Declarative base and the shape every tenant table shares."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, ForeignKeyConstraint, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class GlobalMixin:
    """Reference data shared by every school (never personal data)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TenantMixin:
    """A row that belongs to one school: key `(school_id, id)`, RLS on `school_id`.

    `school_id` leads the primary key, every unique constraint, index and foreign key to
    another tenant table: the Citus rule for a table distributed by `school_id`.
    """

    @declared_attr
    @classmethod
    def school_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("schools.id"), primary_key=True, sort_order=-2)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-1)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def tenant_fk(column: str, target: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key to another tenant table, always through `school_id`.

    SET NULL names the column, so it never clears `school_id` (PostgreSQL 15+).
    """
    if ondelete == "SET NULL":
        ondelete = f"SET NULL ({column})"
    return ForeignKeyConstraint(
        ["school_id", column], [f"{target}.school_id", f"{target}.id"], ondelete=ondelete
    )


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as text with a CHECK constraint, so new values need no type change."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
