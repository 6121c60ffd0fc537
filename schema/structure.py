"""Shared helper for nodes of school structure (not personal data)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from strawberry.types import Info

from schema.ids import try_uuid
from tenants.rules import can_read_structure

N = TypeVar("N")


async def structure_nodes(
    info: Info, node_ids: Iterable[str], model: type[Any], convert: Callable[[Any], N]
) -> list[N | None]:
    """Load nodes by id, visible to whoever may read the school's structure; a missing row
    and one of a school the viewer may not read are both None."""
    ids = [try_uuid(i) for i in node_ids]
    rows = await info.context.loaders.by_id(model).load_many([i for i in ids if i])
    access = info.context.access
    found = {r.id: convert(r) for r in rows
             if r is not None and can_read_structure(access, r.school_id)}
    return [found.get(i) if i else None for i in ids]
