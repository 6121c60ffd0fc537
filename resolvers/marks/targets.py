"""What bulk journal writes share: their lessons and groups, the writer's rights, group
memberships, and statements that write many rows at once (a constant number per request)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, Table, bindparam, column, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import (
    LOG_AFTER,
    LOG_BEFORE,
    LOG_RECORDED_AT,
    Actor,
    actor_params,
    jsonable,
    logging,
    state_in_sql,
)
from tenants.access import AccessContext
from tenants.errors import ErrorCode, Problem
from tenants.rules import may_write_lesson, token_may

MAX_ENTRIES = 1000


def add_once(errors: list[Problem], field: str | None, code: ErrorCode, message: str) -> None:
    """One error per field: thirty marks of one forbidden lesson are one problem."""
    if not any(e.field == field and e.code == code for e in errors):
        errors.append(Problem(field=field, code=code, message=message))


async def load_lessons(session: AsyncSession, ids: Iterable[uuid.UUID]
                       ) -> dict[uuid.UUID, models.Lesson]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(models.Lesson).where(models.Lesson.id.in_(wanted)))
    return {r.id: r for r in rows}


def reaches(access: AccessContext, school_id: uuid.UUID) -> bool:
    """Whether the viewer belongs to the school at all (a person or a token of it); if not,
    its rows must look like rows that do not exist (an officer's RLS reach is not membership)."""
    return school_id in access.memberships or any(
        token_may(access, school_id, scope) for scope in models.TokenScope)


def check_writer(access: AccessContext, school_id: uuid.UUID, group_id: uuid.UUID,
                 lesson_id: uuid.UUID | None, field: str, what: str,
                 errors: list[Problem]) -> bool:
    """NOT_FOUND outside the viewer's schools, FORBIDDEN for a member who may not write."""
    if not reaches(access, school_id):
        add_once(errors, field, ErrorCode.NOT_FOUND, f"no such {what}")
        return False
    if not may_write_lesson(access, school_id, group_id, lesson_id):
        add_once(errors, field, ErrorCode.FORBIDDEN,
                 "only the group's teachers, the substitute of this lesson and the "
                 "administrator may write its journal")
        return False
    return True


Spans = dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, date | None]]]


async def member_spans(session: AsyncSession, school_id: uuid.UUID,
                       group_ids: Iterable[uuid.UUID], student_ids: Iterable[uuid.UUID]
                       ) -> Spans:
    """Membership dates of each (group, student), in one statement."""
    groups, students = set(group_ids), set(student_ids)
    if not groups or not students:
        return {}
    gm = models.GroupMembership
    rows = await session.execute(
        select(gm.group_id, gm.student_id, gm.starts_on, gm.ends_on)
        .where(gm.school_id == school_id, gm.group_id.in_(groups), gm.student_id.in_(students)))
    spans: Spans = {}
    for r in rows:
        spans.setdefault((r.group_id, r.student_id), []).append((r.starts_on, r.ends_on))
    return spans


def membership_error(spans: Spans, group_id: uuid.UUID, student_id: uuid.UUID, day: date,
                     field: str) -> Problem | None:
    """A student never in the group is NOT_FOUND (like one of another school); one who was
    not a member on that day is INVALID."""
    dated = spans.get((group_id, student_id))
    if not dated:
        return Problem(field=field, code=ErrorCode.NOT_FOUND,
                         message="no such student in the group")
    if not any(start <= day and (end is None or day <= end) for start, end in dated):
        return Problem(field=field, code=ErrorCode.INVALID,
                         message=f"was not a member of the group on {day.isoformat()}")
    return None


def row_state(table: Table, row: Any) -> dict[str, Any]:
    """A row as JSON (for stored receipts)."""
    return {c.key: jsonable(getattr(row, c.key)) for c in table.columns}


def from_state(table: Table, state: dict[str, Any]) -> SimpleNamespace:
    """A stored `row_state` back as an object with typed attributes."""
    out: dict[str, Any] = {}
    for c in table.columns:
        value = state.get(c.key)
        if value is not None:
            kind = c.type.python_type
            if kind is uuid.UUID:
                value = uuid.UUID(value)
            elif kind is datetime:
                value = datetime.fromisoformat(value)
            elif kind is date:
                value = date.fromisoformat(value)
        out[c.key] = value
    return SimpleNamespace(**out)


def unnest(table: Table, keys: Sequence[str]) -> Any:
    """`unnest(:v_a, :v_b, …) AS v(a, b, …)`: one array parameter per column (`arrays` gives
    their values), so the statement's text (and SQLAlchemy's compiled cache entry) is the same
    for 5 rows or 500."""
    params = [bindparam(f"v_{k}", type_=ARRAY(table.c[k].type)) for k in keys]
    return func.unnest(*params).table_valued(
        *(column(k, table.c[k].type) for k in keys)).render_derived(name="v")


def arrays(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The values of `unnest`'s parameters: rows all have the same keys."""
    return {f"v_{k}": [r[k] for r in rows] for k in rows[0]}


# The statements are built once per table and set of columns, then run with parameters: to
# build one costs more than a millisecond.

@lru_cache
def _inserting(table: Table, keys: tuple[str, ...]) -> Select[Any]:
    v = unnest(table, keys)
    written = (insert(table).from_select(keys, select(*(v.c[k] for k in keys)))
               .returning(*table.c, state_in_sql(table).label(LOG_AFTER),
                          table.c.recorded_at.label(LOG_RECORDED_AT))
               .cte("written"))
    return logging(written, "create", table.name)


@lru_cache
def _updating(table: Table, keys: tuple[str, ...]) -> Select[Any]:
    v = unnest(table, keys)
    old = table.alias("old")
    written = (update(table)
               .where(table.c.school_id == bindparam("in_school"), table.c.id == v.c.id,
                      old.c.school_id == table.c.school_id, old.c.id == table.c.id)
               .values({**{k: v.c[k] for k in keys if k != "id"},
                        "version": table.c.version + 1})
               .returning(*table.c, state_in_sql(old).label(LOG_BEFORE),
                          state_in_sql(table).label(LOG_AFTER),
                          table.c.recorded_at.label(LOG_RECORDED_AT))
               .cte("written"))
    return logging(written, "update", table.name)


@lru_cache
def _deleting(table: Table) -> Select[Any]:
    v = unnest(table, ("id", "recorded_at"))
    written = (delete(table).where(table.c.school_id == bindparam("in_school"),
                                   table.c.id == v.c.id)
               .returning(*table.c, state_in_sql(table).label(LOG_BEFORE),
                          v.c.recorded_at.label(LOG_RECORDED_AT))
               .cte("written"))
    return logging(written, "delete", table.name)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]],
                      actor: Actor) -> dict[uuid.UUID, Row[Any]]:
    """`INSERT … SELECT FROM unnest(…) RETURNING *`, by id (rows carry their own ids), with
    a "create" audit row each (after: the row; recorded at its `recorded_at`), in the same
    statement."""
    if not rows:
        return {}
    result = await session.execute(_inserting(table, tuple(rows[0])),
                                   {**arrays(rows), **actor_params(actor)})
    return {r.id: r for r in result}


async def update_rows(session: AsyncSession, table: Table, school_id: uuid.UUID,
                      rows: Sequence[dict[str, Any]], actor: Actor
                      ) -> dict[uuid.UUID, Row[Any]]:
    """`UPDATE table SET … FROM unnest(…) AS v WHERE id = v.id`: many rows, each with its own
    values (the same keys, `id` among them), in one statement that also bumps each version
    and appends an "update" audit row each. The state before is read from the table joined to
    itself: that join sees the rows as they were (callers have locked them FOR UPDATE, so no
    other change can come between)."""
    if not rows:
        return {}
    result = await session.execute(_updating(table, tuple(rows[0])), {
        **arrays(rows), **actor_params(actor), "in_school": school_id})
    return {r.id: r for r in result}


async def delete_rows(session: AsyncSession, table: Table, school_id: uuid.UUID,
                      rows: Sequence[dict[str, Any]], actor: Actor) -> None:
    """Delete rows, given as {"id", "recorded_at"}, each with a "delete" audit row recorded at
    its `recorded_at` (the client's time of the removal), in one statement."""
    if rows:
        await session.execute(_deleting(table), {
            **arrays(rows), **actor_params(actor), "in_school": school_id})
