"""Decoding a write's global ids before it runs, keeping a malformed one as the Problem the
write reports in its turn (resolvers/input_ids.py)."""

from __future__ import annotations

from typing import TypeVar

from strawberry.types.unset import UnsetType

from resolvers.input_ids import KEEP, Id, Keep
from schema.ids import from_global_id
from tenants.errors import DomainError


def decoded(value: str | None, type_name: str, field: str) -> Id:
    if value is None:
        return None
    try:
        return from_global_id(value, type_name, field)
    except DomainError as e:
        return e.problems[0]


T = TypeVar("T")


def kept(value: T | UnsetType) -> T | Keep:
    """A field of an update the client left out becomes KEEP."""
    return KEEP if isinstance(value, UnsetType) else value
