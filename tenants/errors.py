"""The project's own errors, in plain Python: what a rule raises when it refuses.

Two kinds, and schema/errors.py turns each into GraphQL in one place:
- `DomainError` carries the problems of a write's input (`Problem`: path, code, message); the
  mutation rolls its savepoint back and returns them as the payload's `errors` (`UserError`).
- `RequestError` refuses a whole query or subscription (a bad argument, not found, forbidden);
  it becomes a GraphQL error whose `extensions.code` is its code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(enum.Enum):
    """Why a write refused its input (GraphQL `ErrorCode`, described in schema/errors.py)."""

    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    DUPLICATE = "duplicate"
    OUT_OF_RANGE = "out_of_range"
    OVERLAP = "overlap"
    CONFLICT = "conflict"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOO_MANY_ATTEMPTS = "too_many_attempts"


class WarningCode(enum.Enum):
    """Why an accepted change was flagged (GraphQL `WarningCode`)."""

    LATE_ENTRY = "late_entry"


@dataclass(frozen=True)
class Problem:
    """One problem with a write's input: `field` is the camelCase path into the input (e.g.
    `input.periods.1.endsOn`) or None when it is not about one field."""

    field: str | None
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class EntryWarning:
    """An accepted change that deserves attention (e.g. it was late)."""

    field: str | None
    code: WarningCode
    message: str


class DomainError(Exception):
    """A write refused its input; nothing of it may be written."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


def refusal(field: str | None, code: ErrorCode, message: str) -> DomainError:
    return DomainError(Problem(field=field, code=code, message=message))


def not_found(field: str, what: str = "object") -> DomainError:
    return refusal(field, ErrorCode.NOT_FOUND, f"no such {what}")


def forbidden(field: str | None, message: str) -> DomainError:
    return refusal(field, ErrorCode.FORBIDDEN, message)


class RequestError(Exception):
    """A query, subscription or argument refused as a whole: a GraphQL error with a stable
    `extensions.code` (and `extensions.argument` for a bad argument)."""

    def __init__(self, code: str, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.argument = argument

    @property
    def extensions(self) -> dict[str, str]:
        if self.argument is None:
            return {"code": self.code}
        return {"code": self.code, "argument": self.argument}


def request_error(code: str, message: str) -> RequestError:
    return RequestError(code, message)


def bad_argument(argument: str, problem: str) -> RequestError:
    return RequestError("BAD_USER_INPUT", f"argument '{argument}' {problem}", argument=argument)


def unauthenticated() -> RequestError:
    return RequestError(
        "UNAUTHENTICATED",
        "authentication required: send a valid token as 'Authorization: Bearer <token>'",
    )
