"""Access to a school's configuration: the school an administrator writes to, the objects they
change by id, and the school a list query reads.

An object or school the viewer has no membership in is NOT_FOUND, exactly like one that does
not exist; a member without the administrator role is FORBIDDEN.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from db import models
from schema.ids import from_global_id
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, bad_argument, not_found, refusal
from tenants.rules import can_read_structure, require_admin

T = TypeVar("T", bound=models.Base)


def admin_school(access: AccessContext, school_id: uuid.UUID, field: str) -> uuid.UUID:
    """The school, if the viewer administers it."""
    if access.membership(school_id) is None:
        raise not_found(field, "school")
    require_admin(access, school_id, field)
    return school_id


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
    row = await fetch(info.context.session, model, value, type_name, field)
    school_id: Any = getattr(row, "school_id", None)
    if row is None or info.context.access.membership(school_id) is None:
        raise not_found(field, what)
    require_admin(info.context.access, school_id, field)
    return row


def readable_school(info: Info, value: str) -> uuid.UUID | None:
    """The school of a list query, or None when the viewer may not read it (an empty list)."""
    try:
        school_id = from_global_id(value, "School", "schoolId")
    except DomainError:
        raise bad_argument("schoolId", "is not the id of a School") from None
    return school_id if can_read_structure(info.context.access, school_id) else None


def to_decimal(value: float, field: str, errors: list[Problem], *, limit: int = 100
               ) -> Decimal | None:
    """A client Float as an exact decimal of at most two places and below `limit` in size."""
    try:
        d = Decimal(repr(value))
    except (InvalidOperation, ValueError):
        errors.append(Problem(field=field, code=ErrorCode.INVALID, message="is not a number"))
        return None
    if not d.is_finite():
        errors.append(Problem(field=field, code=ErrorCode.INVALID, message="is not a number"))
        return None
    if d != d.quantize(Decimal("0.01")):
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message="may have at most two decimal places"))
        return None
    if abs(d) > limit:
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between -{limit} and {limit}"))
        return None
    return d.quantize(Decimal("0.01"))


def clean_text(value: str, field: str, errors: list[Problem], *, max_length: int) -> str:
    """A required text, trimmed: REQUIRED when blank, INVALID when too long or holding a NUL
    character (PostgreSQL text cannot store one: it would fail the write, not the input)."""
    text = value.strip()
    if not text:
        errors.append(Problem(field=field, code=ErrorCode.REQUIRED, message="is required"))
    elif "\x00" in text:
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message="must not contain the NUL character"))
        return ""  # callers look a non-empty name up (duplicates): that query would fail too
    elif len(text) > max_length:
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message=f"must be at most {max_length} characters"))
    return text


def duplicate(field: str, message: str) -> Problem:
    return refusal(field, ErrorCode.DUPLICATE, message).problems[0]
