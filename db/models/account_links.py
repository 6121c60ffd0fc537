"""One-time codes by which an existing account's holder lets a school bind it to a person."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, created_at_column, tenant_fk


class AccountLinkCode(TenantMixin, Base):
    """A code a school administrator issued for one person, stored as its SHA-256 only.

    The account's holder redeems it while logged in; it is then spent (`redeemed_at`), and it
    is useless after `expires_at` whether spent or not.
    """

    __tablename__ = "account_link_codes"
    __table_args__ = (
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "code_hash"),
    )

    person_id: Mapped[uuid.UUID]
    code_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redeemed_by_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
