"""Batch loaders behind the per-request DataLoaders: one statement per batch of keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Municipality, School

T = TypeVar("T", Municipality, School)


async def _by_id(session: AsyncSession, model: type[T], ids: Sequence[uuid.UUID]) -> list[T | None]:
    rows = {row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))}
    return [rows.get(i) for i in ids]


async def load_municipalities(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[Municipality | None]:
    return await _by_id(session, Municipality, ids)


async def load_schools(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[School | None]:
    return await _by_id(session, School, ids)
