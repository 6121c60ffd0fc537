"""Running a write: in a savepoint of the request's transaction, all or nothing.

A DateTime without a time zone or text with a NUL in the input is refused before the write
runs (schema/input_checks.py). A write function raises `DomainError` for bad input; `apply`
rolls its savepoint back and hands the errors to the payload, so nothing of a refused mutation
is written. Constraint violations the write did not foresee become a generic INVALID error,
never a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.types import Info

from db.audit import Actor
from schema.input_checks import argument_problems
from tenants.errors import DomainError, ErrorCode, Problem

T = TypeVar("T")
InputT = TypeVar("InputT")

# Every mutation takes one argument, `input`.
Input = Annotated[InputT, strawberry.argument(description="The mutation's input.")]


def refused_input(info: Info) -> list[Problem]:
    """The input's values no write may see (a naive DateTime, a NUL), one error per field; for
    a mutation that reads with its input before `apply` (login's rate limit)."""
    return [Problem(field=path, code=ErrorCode.INVALID, message=problem)
            for path, problem in argument_problems(info)]


async def apply(info: Info, write: Callable[[], Awaitable[T]]) -> tuple[T | None, list[Problem]]:
    refused = refused_input(info)
    if refused:
        return None, refused
    session = info.context.session
    savepoint = await session.begin_nested()
    try:
        result = await write()
        await session.flush()
    except DomainError as e:
        await savepoint.rollback()
        return None, e.problems
    except IntegrityError as e:
        await savepoint.rollback()
        constraint = getattr(getattr(e.orig, "diag", None), "constraint_name", None)
        code = ErrorCode.DUPLICATE if constraint and constraint.startswith("uq_") else \
            ErrorCode.INVALID
        return None, [Problem(field=None, code=code,
                                message=f"refused by the database rule {constraint}")]
    await savepoint.commit()
    return result, []


def actor(info: Info, school_id: object) -> Actor:
    """The author of a change in `school_id`, for the audit log."""
    access = info.context.access
    return Actor(
        account_id=access.account_id,
        person_id=access.person_id(school_id),  # type: ignore[arg-type]
        token_id=access.token_id,
        request_id=info.context.request_id,
    )
