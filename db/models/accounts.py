"""Login accounts, officer roles and tokens: global, holding no names or contacts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, GlobalMixin, created_at_column


class Account(GlobalMixin, Base):
    """One login. The person it belongs to has a row in each school, under that school's RLS."""

    __tablename__ = "accounts"
    # Stored as db/logins.normalize_login gives it; case folding cannot be checked in SQL,
    # but it never leaves an ASCII capital (lower() under "C" touches ASCII alone).
    __table_args__ = (
        CheckConstraint('login = lower(login COLLATE "C")', name="login_folded"),
    )

    login: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccessStamp(Base):
    """When anything an account's access context is built from last changed (its persons,
    roles, teaching, substitutions, classes led, guardianships, officer roles): a value from
    one sequence, set by triggers (migration 0018). A cached access context is used only
    while the stamp it was built under is still the account's (tenants/access.py)."""

    __tablename__ = "access_stamps"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)


class OfficerRole(GlobalMixin, Base):
    """An account's officer role over a municipality or a whole region."""

    __tablename__ = "officer_roles"
    __table_args__ = (
        CheckConstraint(
            "(region_id IS NULL) <> (municipality_id IS NULL)", name="one_reach"
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"), index=True)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("municipalities.id"), index=True
    )
    title: Mapped[str | None] = mapped_column(String(200))


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE_JOURNAL = "write_journal"
    READ_AGGREGATES = "read_aggregates"


class ApiToken(GlobalMixin, Base):
    """An integrator token: scopes and a reach (a school, a municipality or the region)."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(reach_school_id, reach_municipality_id, reach_region_id) = 1",
            name="one_reach",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    # The reach: exactly one of these. Not named `school_id`: this global table is not a
    # tenant table, and the catalog tests treat every `school_id` column as one.
    reach_school_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schools.id"), index=True
    )
    reach_municipality_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("municipalities.id"), index=True
    )
    reach_region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id"), index=True
    )
    issued_by_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(GlobalMixin, Base):
    """A refresh token of a login session, stored hashed; revoked on logout."""

    __tablename__ = "refresh_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    issued_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last rotation (the current token's birth) and how many came before: the earlier
    # tokens of the session are recognised by deriving forward (resolvers/auth/tokens.py).
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rotations: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
