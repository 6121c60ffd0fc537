"""Writing the audit log: one row per change, in the transaction of the change.

The database fills `seq`, `occurred_at`, `prev_hash` and `hash` (a trigger serialises each
school's chain); the application role may insert but never update or delete. Bulk journal
writes log in the statement that writes (`logging`): the database builds the row states.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    FromClause,
    Select,
    String,
    Uuid,
    bindparam,
    func,
    insert,
    inspect,
    literal,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import AuditEntry, Base

# Never copied into the log, whatever table they appear in.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "code_hash", "secret"})


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person (through their account) or an integrator token."""

    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    token_id: uuid.UUID | None
    request_id: str | None


# The author of a change in a given school: for writes that learn the school from the rows they
# read (schema/mutations.py `actor` bound to the request).
ActorFor = Callable[[uuid.UUID], Actor]


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


# The columns a data-modifying CTE returns for `logging`, besides the table's own.
LOG_BEFORE, LOG_AFTER, LOG_RECORDED_AT = "log_before", "log_after", "log_recorded_at"
LOGGED = frozenset({LOG_BEFORE, LOG_AFTER, LOG_RECORDED_AT})


def state_in_sql(table: FromClause) -> ColumnElement[Any]:
    """`snapshot` computed by the database: the row as JSON, without school_id and secrets."""
    state: ColumnElement[Any] = func.to_jsonb(table.table_valued(), type_=JSONB)
    for key in ("school_id", *sorted(SECRET_COLUMNS)):
        if key in table.c:
            state = state.op("-", return_type=JSONB)(literal(key))
    return state


def actor_params(actor: Actor) -> dict[str, Any]:
    """The parameters of a `logging` statement that name who writes."""
    return {"log_account_id": actor.account_id, "log_person_id": actor.person_id,
            "log_token_id": actor.token_id, "log_request_id": actor.request_id}


def logging(written: CTE, action: str, entity: str) -> Select[Any]:
    """`SELECT * FROM written` that also appends one audit row per written row, in the same
    statement. `written` is an INSERT, UPDATE or DELETE … RETURNING with the rows' `school_id`
    and `id`, and any of LOG_BEFORE, LOG_AFTER (states, see `state_in_sql`) and
    LOG_RECORDED_AT (the client's time). The writer is given at execution (`actor_params`),
    so the statement can be built once."""
    c = written.c

    def given(name: str) -> Any:
        return c[name] if name in c else null()

    rows = select(
        c.school_id, func.gen_random_uuid(), given(LOG_RECORDED_AT),
        bindparam("log_account_id", type_=Uuid), bindparam("log_person_id", type_=Uuid),
        bindparam("log_token_id", type_=Uuid), literal(action), literal(entity), c.id,
        given(LOG_BEFORE), given(LOG_AFTER), bindparam("log_request_id", type_=String))
    log = insert(AuditEntry).from_select(
        ["school_id", "id", "recorded_at", "actor_account_id", "actor_person_id",
         "actor_token_id", "action", "entity", "entity_id", "before", "after", "request_id"],
        rows).cte("logged")
    # the states stay in the database: the caller gets the written rows only
    return select(*(col for col in c if col.key not in LOGGED)).add_cte(log)
