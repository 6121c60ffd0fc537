"""Input values turned into resolvers/refs.py's: global ids decoded, UNSET as KEEP."""

from __future__ import annotations

from typing import TypeVar

from strawberry.types.unset import UnsetType

from resolvers.refs import KEEP, Keep, Ref
from schema.ids import from_global_id
from tenants.errors import DomainError

T = TypeVar("T")


def ref(value: str, type_name: str, field: str) -> Ref:
    """The id, or the problem `from_global_id` names for `field`, raised when the write reads it."""
    try:
        return Ref(from_global_id(value, type_name, field))
    except DomainError as e:
        return Ref(None, e.problems[0])


def optional_ref(value: str | None, type_name: str, field: str) -> Ref | None:
    return None if value is None else ref(value, type_name, field)


def kept(value: T | UnsetType) -> T | Keep:
    return KEEP if isinstance(value, UnsetType) else value
