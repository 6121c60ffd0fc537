"""Per-transaction tenant settings read by the RLS policies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.settings import OFFICER_ROLE

_SET = text(
    "SELECT set_config('zhurnal.school_ids', :school_ids, true),"
    " set_config('zhurnal.account_id', :account_id, true)"
)


def _params(school_ids: Iterable[uuid.UUID], account_id: uuid.UUID | None) -> dict[str, str]:
    return {
        "school_ids": ",".join(str(s) for s in school_ids),
        "account_id": str(account_id) if account_id else "",
    }


def set_tenant(
    session: Session, school_ids: Iterable[uuid.UUID], account_id: uuid.UUID | None = None
) -> None:
    """Scope the current transaction (only it: `is_local`) to these schools."""
    session.execute(_SET, _params(school_ids, account_id))


async def set_tenant_async(
    session: AsyncSession, school_ids: Iterable[uuid.UUID], account_id: uuid.UUID | None = None
) -> None:
    await session.execute(_SET, _params(school_ids, account_id))


async def set_officer_role_async(session: AsyncSession) -> None:
    """The rest of the current transaction (only it) as the officer role, which has no
    privilege on personal-data columns (DESIGN.md): what it reads cannot hold a name."""
    await session.execute(text(f"SET LOCAL ROLE {OFFICER_ROLE}"))
