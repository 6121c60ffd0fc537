"""Failed logins, kept for 15 minutes of rate limiting (resolvers/auth/ratelimit.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, GlobalMixin


class LoginAttempt(GlobalMixin, Base):
    """One failed login: the login string as typed (lower-cased) and the client's address.

    Rows older than a day are deleted whenever a failure is recorded, and a successful login
    deletes its login's rows, so the table holds only the recent failures."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "login", "attempted_at"),
        Index(None, "client_ip", "attempted_at"),
    )

    login: Mapped[str] = mapped_column(String(200))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
