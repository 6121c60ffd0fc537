"""Ids of a school's configuration decoded for its rules (resolvers/school_config.py): the
school an administrator writes to, the object they change, the school a list query reads."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db import models
from resolvers.school_config import admin_row, admin_school
from schema.ids import from_global_id, query_id
from tenants.access import AccessContext
from tenants.rules import can_read_structure

T = TypeVar("T", bound=models.Base)


def admin_school_by_global_id(access: AccessContext, value: str, field: str) -> uuid.UUID:
    return admin_school(access, from_global_id(value, "School", field), field)


async def fetch(session: AsyncSession, model: type[T], value: str, type_name: str, field: str,
                ) -> T | None:
    """The row named by a global id as RLS lets the viewer see it (None when it doesn't)."""
    row_id = from_global_id(value, type_name, field)
    return await session.scalar(select(model).where(model.id == row_id))  # type: ignore[attr-defined]


async def access_for_admin(info: Info, model: type[T], value: str, type_name: str, field: str,
                           what: str) -> T:
    """The object a mutation changes, in a school the viewer administers: NOT_FOUND when it
    is missing or of a school the viewer is not a member of, FORBIDDEN for another role."""
    return await admin_row(info.context.session, info.context.access, model,
                           from_global_id(value, type_name, field), field, what)


def readable_school(info: Info, value: str) -> uuid.UUID | None:
    """The school of a list query, or None when the viewer may not read it (an empty list)."""
    school_id = query_id(value, "School", "schoolId")
    assert school_id is not None
    return school_id if can_read_structure(info.context.access, school_id) else None
