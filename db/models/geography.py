"""Regions, municipalities and schools: global reference data, no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, GlobalMixin, created_at_column


class Region(GlobalMixin, Base):
    """A federal subject (e.g. Амурская область); its officers see every school in it."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Municipality(GlobalMixin, Base):
    """A municipal district or city district whose education office oversees its schools."""

    __tablename__ = "municipalities"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))


class School(GlobalMixin, Base):
    """A general-education school: the tenant."""

    __tablename__ = "schools"

    municipality_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(300), unique=True)
    short_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Yakutsk",
                                          server_default="Asia/Yakutsk")
    created_at: Mapped[datetime] = created_at_column()
