"""Cursor connections: keyset pagination with opaque cursors and a maximum page size."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    Select,
    SmallInteger,
    String,
    Uuid,
    literal,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, False_
from sqlalchemy.types import TypeEngine
from strawberry import relay

from tenants.errors import bad_argument

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

N = TypeVar("N")
NOT_A_CURSOR = "is not a cursor this API issued (use a page's `endCursor` as it was given)"

First = Annotated[
    int | None,
    strawberry.argument(description=f"Page size: at most {MAX_PAGE_SIZE} (default "
                                    f"{DEFAULT_PAGE_SIZE})."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the items after this cursor (an `endCursor`)."),
]


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str, width: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as err:
        raise bad_argument("after", NOT_A_CURSOR) from err
    if not isinstance(values, list) or len(values) != width \
            or not all(isinstance(v, str) and "\x00" not in v for v in values):
        raise bad_argument("after", NOT_A_CURSOR)
    return values


def cursor_values(cursor: str, keys: Sequence[ColumnElement[Any]]) -> list[Any]:
    """The cursor's values as the Python values of the keys' types, checked here: a forged
    cursor must not reach PostgreSQL, whose cast would fail with an error quoting SQL."""
    values: list[Any] = []
    for key, text in zip(keys, decode_cursor(cursor, len(keys)), strict=True):
        try:
            values.append(_key_value(key.type, text))
        except (ValueError, OverflowError) as err:
            raise bad_argument("after", NOT_A_CURSOR) from err
    return values


def _key_value(type_: TypeEngine[Any], text: str) -> Any:
    if isinstance(type_, Uuid):
        return uuid.UUID(text)
    if isinstance(type_, Integer):
        number = int(text)
        bits = 64 if isinstance(type_, BigInteger) else 16 if isinstance(type_, SmallInteger) \
            else 32
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise OverflowError(text)
        return number
    if isinstance(type_, DateTime):
        return datetime.fromisoformat(text)
    if isinstance(type_, Date):
        return date.fromisoformat(text)
    if isinstance(type_, String):
        return text
    raise ValueError(f"no cursor for a key of type {type_}")


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise bad_argument("first", f"must be between 0 and {MAX_PAGE_SIZE}")
    return first


def never_matches(stmt: Select[Any]) -> bool:
    """Whether the statement's WHERE is the constant false (SQLAlchemy folds `x AND false`)."""
    clause: Any = stmt.whereclause
    while clause is not None and not isinstance(clause, False_) and hasattr(clause, "element"):
        clause = clause.element
    return isinstance(clause, False_)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[ColumnElement[Any]],
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], N],
    descending: bool = False,
) -> relay.Connection[N]:
    """One page in the order of `keys` (which must end with a unique column), ascending or,
    with `descending`, newest first on every key."""
    limit = page_size(first)
    if after is not None:
        values = cursor_values(after, keys)
        bound = [literal(v, k.type) for k, v in zip(keys, values, strict=True)]
        stmt = stmt.where(tuple_(*keys) < tuple_(*bound) if descending
                          else tuple_(*keys) > tuple_(*bound))
    order = [k.desc() for k in keys] if descending else list(keys)
    # A viewer who may see none of it gets an empty page without a statement: under the
    # officer role even `WHERE false` over a personal-data column is refused.
    rows = [] if never_matches(stmt) else (
        await session.scalars(stmt.order_by(*order).limit(limit + 1))).all()
    has_next = len(rows) > limit
    rows = rows[:limit]
    names = [k.key for k in keys]
    edges = [
        relay.Edge(cursor=encode_cursor([getattr(r, n) for n in names]), node=to_node(r))
        for r in rows
    ]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def empty_connection(first: int | None) -> relay.Connection[Any]:
    page_size(first)  # the same argument checks as a real page
    return relay.Connection(edges=[], page_info=relay.PageInfo(
        has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None))
