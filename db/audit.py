"""Writing the audit log: one row per change, in the transaction of the change.

The database fills `seq`, `occurred_at`, `prev_hash` and `hash` (a trigger serialises each
school's chain); the application role may insert but never update or delete.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, Base

# Never copied into the log, whatever table they appear in.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person (through their account) or an integrator token."""

    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    token_id: uuid.UUID | None
    request_id: str | None


def jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(row: Base | None) -> dict[str, Any] | None:
    """The row's column values as JSON, secrets left out."""
    if row is None:
        return None
    mapper = inspect(type(row))
    return {
        attr.key: jsonable(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in SECRET_COLUMNS and attr.key != "school_id"
    }


@dataclass(frozen=True)
class Change:
    school_id: uuid.UUID
    action: str
    entity: str
    entity_id: uuid.UUID | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    recorded_at: datetime | None = None


async def record(session: AsyncSession, actor: Actor, *changes: Change) -> None:
    """Append the changes in one statement."""
    if not changes:
        return
    await session.execute(
        insert(AuditEntry),
        [
            {
                "school_id": c.school_id,
                "id": uuid.uuid4(),
                "recorded_at": c.recorded_at,
                "actor_account_id": actor.account_id,
                "actor_person_id": actor.person_id,
                "actor_token_id": actor.token_id,
                "action": c.action,
                "entity": c.entity,
                "entity_id": c.entity_id,
                "before": c.before,
                "after": c.after,
                "request_id": actor.request_id,
            }
            for c in changes
        ],
    )
