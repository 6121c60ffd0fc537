"""The audit log: append-only, each school's rows chained by hashes (regulation 6.3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column


class AuditEntry(TenantMixin, Base):
    """One change: who (person or token), when (server and client time), what, before and after.

    A row is inserted unsealed (`seq`, `prev_hash`, `hash` null) and sealed into its school's
    chain after its transaction commits, by `zhurnal_audit_seal()` (migration 0018): writers
    of one school never wait for each other, and one sealer at a time per school keeps the
    chain from forking (db/audit.py, docs/audit.md).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("school_id", "seq"),
        Index(None, "school_id", "entity", "entity_id"),
        Index(None, "school_id", "occurred_at"),
        # the sealer's queue: what is not sealed yet, per school, in the order it is sealed
        Index("ix_audit_log_unsealed", "school_id", "occurred_at", "id",
              postgresql_where=text("seq IS NULL")),
    )

    seq: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = created_at_column()
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor_account_id: Mapped[uuid.UUID | None]
    actor_person_id: Mapped[uuid.UUID | None]
    actor_token_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    hash: Mapped[bytes | None] = mapped_column(LargeBinary)
