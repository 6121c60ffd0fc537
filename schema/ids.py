"""Global ids: opaque `base64("Type:uuid")`, decoded with the input field named on error."""

from __future__ import annotations

import re
import uuid
from binascii import b2a_base64
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay

from resolvers.input_ids import try_uuid
from tenants.errors import DomainError, ErrorCode, bad_argument, refusal

N = TypeVar("N")


def to_global_id(type_name: str, value: uuid.UUID) -> str:
    """`str(relay.GlobalID(type_name, str(value)))`, i.e. base64 of "Type:uuid" (Strawberry's
    `to_base64`), without building the GlobalID: a journal page makes ~70 of them."""
    return b2a_base64(f"{type_name}:{value}".encode(), newline=False).decode()


# A UUID as PostgreSQL writes it as text (and as str(uuid.UUID) does): lowercase, hyphenated.
_UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CANONICAL_UUID = re.compile(_UUID_TEXT)
_CANONICAL_UUID_LINES = re.compile(f"{_UUID_TEXT}(?:\n{_UUID_TEXT})*")


def text_to_global_id(type_name: str, value: str) -> str:
    """`to_global_id` of a UUID given as text (a row of a JSON answer from the database)
    without parsing it: the journal writes some 400 mark ids a page. Text that is not a
    canonical UUID is parsed, so the id is always the one `to_global_id` gives."""
    if _CANONICAL_UUID.fullmatch(value) is None:
        value = str(uuid.UUID(value))
    return b2a_base64(f"{type_name}:{value}".encode(), newline=False).decode()


def texts_to_global_ids(type_name: str, lists: list[list[str]]) -> list[list[str]]:
    """`text_to_global_id` of every text of every list (the journal's mark ids, a list per
    cell), the texts checked with one regular expression for all rather than one each; when
    any is not a canonical UUID, each is taken on its own."""
    texts = [value for values in lists for value in values]
    joined = "\n".join(texts)
    # (a text holding a line break of its own would pass as two: counted, it does not)
    if texts and (_CANONICAL_UUID_LINES.fullmatch(joined) is None
                  or joined.count("\n") != len(texts) - 1):
        return [[text_to_global_id(type_name, value) for value in values] for values in lists]
    prefix = f"{type_name}:"
    return [[b2a_base64((prefix + value).encode(), newline=False).decode() for value in values]
            if values else [] for values in lists]


def from_global_id(value: str, type_name: str, field: str) -> uuid.UUID:
    """The UUID inside a global id of `type_name`; a malformed id or one of another type is
    an INVALID error on `field` (a missing or invisible object is the caller's NOT_FOUND)."""
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return uuid.UUID(gid.node_id)
    except (ValueError, TypeError):
        raise refusal(field, ErrorCode.INVALID, f"is not the id of a {type_name}") from None


def query_id(value: str | None, type_name: str, argument: str) -> uuid.UUID | None:
    """A global id argument of a query; a malformed one is a bad argument, not a Problem."""
    if value is None:
        return None
    try:
        return from_global_id(value, type_name, argument)
    except DomainError:
        raise bad_argument(argument, f"is not the id of a {type_name}") from None


# A query's school argument (the school's global id), described once.
SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(description="The School.")]


def school_arg(value: str) -> uuid.UUID:
    """The school of a non-null `schoolId` argument; a clear error naming it when it is not a
    School's id."""
    school_id = query_id(value, "School", "schoolId")
    assert school_id is not None  # a non-null argument
    return school_id


async def nodes_in_order(node_ids: Iterable[str],
                         fetch: Callable[[list[uuid.UUID]], Awaitable[Iterable[Any]]],
                         convert: Callable[[Any], N | None]) -> list[N | None]:
    """`resolve_nodes` of a node type: the rows `fetch` returns for the ids that are UUIDs,
    each `convert`ed (None: not visible), in the order asked; None for a malformed id, a
    missing row and one the viewer may not see alike."""
    ids = [try_uuid(i) for i in node_ids]
    found = {}
    for row in await fetch([i for i in ids if i]):
        if row is not None and (node := convert(row)) is not None:
            found[row.id] = node
    return [found.get(i) if i else None for i in ids]
