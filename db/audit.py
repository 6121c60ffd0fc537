"""Writing the audit log: one row per change, in the transaction of the change.

A row is inserted unsealed: the database fills `occurred_at`, and `seal` chains it into its
school's log (`seq`, `prev_hash`, `hash`) after the writer's commit, in a short transaction
of its own, so writers of one school never wait for each other (migration 0018, docs/audit.md).
The application role may insert but never update or delete. Bulk journal writes log in the
statement that writes (`logging`): the database builds the row states.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
import weakref
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
    event,
    func,
    insert,
    inspect,
    literal,
    null,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
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


SEAL = text("SELECT zhurnal_audit_seal()")


async def seal(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Chain every committed unsealed row of every school; how many were sealed. Call it
    after a write commits (never inside the writing transaction: its own rows are not
    committed yet, and the sealer's per-school lock would make writers queue again). One
    sealer per school runs at a time; others wait for it, writers never do."""
    async with sessions() as session:
        # One statement, one round trip: in autocommit it is its own transaction (no BEGIN,
        # no COMMIT sent apart), and it ends before the connection goes back to the pool.
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return int((await session.execute(SEAL)).scalar_one())


# Set on a connection (its info, which lives as long as the connection) by a statement that
# appends to the audit log; read and cleared by the request before it commits.
AUDIT_WRITTEN = "zhurnal_audit_written"
_NOTED: weakref.WeakSet[Any] = weakref.WeakSet()  # the engines note_audit_writes watches


def note_audit_writes(engine: AsyncEngine) -> None:
    """Mark each connection of `engine` that runs a statement appending to the audit log
    (`record` and `logging` both compile to an INSERT INTO audit_log), so a request that wrote
    none (a login, a refused write) does not seal."""

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO audit_log" in statement:
            conn.info[AUDIT_WRITTEN] = True

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    _NOTED.add(engine.sync_engine)


async def wrote_audit(session: AsyncSession) -> bool:
    """Whether the session's transaction appended audit rows (clearing the mark); True when
    its engine is not watched by `note_audit_writes`, so nothing is left unsealed by mistake."""
    bind = session.bind
    if bind is None or getattr(bind, "sync_engine", None) not in _NOTED:
        return True
    conn = await session.connection()
    return bool(conn.info.pop(AUDIT_WRITTEN, False))


class Sealer:
    """One process's sealing, on a connection of its own: a request that committed audit rows
    waits until a seal that began after its commit has ended. Requests that commit while a
    seal runs share the next one, so under load one seal serves many writes and never takes a
    connection from the request pool."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._lock = asyncio.Lock()
        self._started = 0

    async def after_commit(self) -> None:
        wanted = self._started + 1  # the first seal to begin from now on
        async with self._lock:
            if self._started >= wanted:
                return  # one began after our commit, and has ended
            self._started += 1
            await seal(self.sessions)


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
