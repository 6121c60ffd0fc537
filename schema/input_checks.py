"""Values no argument may carry, refused before a resolver uses them.

- A DateTime without a time zone (`2030-01-01T00:00:00`) names no instant: compared with an
  aware one it raises TypeError, and PostgreSQL would read it in the server's zone.
- Text with a NUL character (U+0000): PostgreSQL cannot store it in text or jsonb, and the
  driver refuses the parameter with an error that quotes the statement.

A mutation's input is checked in `apply` (the payload's errors name each field); queries and
subscriptions are refused by server/nul_characters.py, and query DateTime arguments where they
are read (`is_naive`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from graphql import get_argument_values
from graphql.execution.values import VariableValues
from strawberry.types import Info

NUL = "\x00"
TIME_ZONE_REQUIRED = ("needs a time zone: give an offset, e.g. 2025-09-01T08:30:00+09:00 or "
                      "2025-09-01T23:30:00Z")
NUL_REFUSED = "contains a NUL character (\\u0000), which text may not contain"


def is_naive(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() is None


def argument_problems(info: Info) -> list[tuple[str, str]]:
    """(path, problem) for each refused value among the arguments of the field being
    resolved, e.g. `("input.marks.0.recordedAt", TIME_ZONE_REQUIRED)`."""
    raw = info._raw_info
    field = raw.parent_type.fields[raw.field_name]
    if not field.args:
        return []
    variables: Any = raw.variable_values
    if not isinstance(variables, VariableValues):  # Strawberry may hand over the plain dict
        variables = VariableValues(sources={}, coerced=dict(variables or {}))
    return list(_problems(get_argument_values(field, raw.field_nodes[0], variables), ""))


def _problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if NUL in value:
            yield path, NUL_REFUSED
    elif isinstance(value, datetime):
        if is_naive(value):
            yield path, TIME_ZONE_REQUIRED
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _problems(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _problems(item, f"{path}.{i}")
