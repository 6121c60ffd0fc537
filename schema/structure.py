"""Shared helper for nodes of school structure (not personal data)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from strawberry.types import Info

from schema.ids import nodes_in_order
from tenants.rules import can_read_structure

N = TypeVar("N")


async def structure_nodes(
    info: Info, node_ids: Iterable[str], model: type[Any], convert: Callable[[Any], N]
) -> list[N | None]:
    """Load nodes by id, visible to whoever may read the school's structure; a missing row
    and one of a school the viewer may not read are both None."""
    access = info.context.access
    return await nodes_in_order(
        node_ids, info.context.loaders.by_id(model).load_many,
        lambda r: convert(r) if can_read_structure(access, r.school_id) else None)
