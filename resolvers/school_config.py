"""Access to a school's configuration: the school an administrator writes to and the objects
they change by id; and the checks of configuration values (numbers, names).

An object or school the viewer has no membership in is NOT_FOUND, exactly like one that does
not exist; a member without the administrator role is FORBIDDEN.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from tenants.access import AccessContext
from tenants.errors import ErrorCode, Problem, not_found, refusal
from tenants.rules import require_admin

T = TypeVar("T", bound=models.Base)


def admin_school(access: AccessContext, school_id: uuid.UUID, field: str) -> uuid.UUID:
    """The school, if the viewer administers it."""
    if access.membership(school_id) is None:
        raise not_found(field, "school")
    require_admin(access, school_id, field)
    return school_id


async def admin_row(session: AsyncSession, access: AccessContext, model: type[T],
                    row_id: uuid.UUID, field: str, what: str) -> T:
    """The object a mutation changes, in a school the viewer administers: NOT_FOUND when it
    is missing or of a school the viewer is not a member of, FORBIDDEN for another role."""
    row = await session.scalar(select(model).where(model.id == row_id))  # type: ignore[attr-defined]
    school_id: Any = getattr(row, "school_id", None)
    if row is None or access.membership(school_id) is None:
        raise not_found(field, what)
    require_admin(access, school_id, field)
    return row


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
