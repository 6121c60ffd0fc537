"""Cursor connections: keyset pagination with opaque cursors and a maximum page size."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy import Select, cast, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, False_
from strawberry import relay

from schema.errors import bad_argument

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

N = TypeVar("N")

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
        raise bad_argument("after", "is not a cursor this API issued") from err
    if not isinstance(values, list) or len(values) != width:
        raise bad_argument("after", "is not a cursor this API issued")
    return [str(v) for v in values]


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
        values = decode_cursor(after, len(keys))
        bound = [cast(literal(v), k.type) for k, v in zip(keys, values, strict=True)]
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

