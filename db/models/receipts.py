"""Receipts of bulk mutations, so a retry with the same client key applies nothing twice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column


class MutationReceipt(TenantMixin, Base):
    """The response of a mutation that carried a client key; replayed on retry."""

    __tablename__ = "mutation_receipts"
    __table_args__ = (UniqueConstraint("school_id", "client_key"),)

    client_key: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[uuid.UUID | None]
    token_id: Mapped[uuid.UUID | None]
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()
