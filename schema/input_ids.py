"""Decoding a write's global ids before it runs, keeping a malformed one as the Problem the
write reports in its turn (resolvers/input_ids.py)."""

from __future__ import annotations

from resolvers.input_ids import Id
from schema.ids import from_global_id
from tenants.errors import DomainError


def decoded(value: str | None, type_name: str, field: str) -> Id:
    if value is None:
        return None
    try:
        return from_global_id(value, type_name, field)
    except DomainError as e:
        return e.problems[0]
