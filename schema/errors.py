"""Errors of the API, converted in one place.

- Request-level problems (no token, a bad argument) are GraphQL errors with a stable
  `extensions.code`.
- A mutation's bad input is a `UserError` in its payload: `field` (camelCase path into the
  input, or null), `code` and a human `message`; nothing is written when there is one.
"""

from __future__ import annotations

import enum

import strawberry
from graphql import GraphQLError


@strawberry.enum(description="Why a mutation refused its input.")
class ErrorCode(enum.Enum):
    INVALID = strawberry.enum_value("invalid", description="The value is malformed or "
                                                           "breaks a rule; see the message.")
    REQUIRED = strawberry.enum_value("required", description="A value is required.")
    NOT_FOUND = strawberry.enum_value("not_found", description="No such object, or one the "
                                                               "viewer may not see.")
    FORBIDDEN = strawberry.enum_value("forbidden", description="The viewer's role does not "
                                                               "allow this change.")
    DUPLICATE = strawberry.enum_value("duplicate", description="An object with this value "
                                                               "already exists.")
    OUT_OF_RANGE = strawberry.enum_value("out_of_range", description="The value lies outside "
                                                                     "the allowed range.")
    OVERLAP = strawberry.enum_value("overlap", description="Dates or ranges overlap.")
    CONFLICT = strawberry.enum_value("conflict", description="The object changed since it was "
                                                             "read (expectedVersion).")
    INVALID_CREDENTIALS = strawberry.enum_value(
        "invalid_credentials", description="Login or password is wrong, or the token is "
                                           "revoked or expired.")
    TOO_MANY_ATTEMPTS = strawberry.enum_value(
        "too_many_attempts", description="Too many failed logins for this login or from this "
                                         "address; the message says when to try again.")


@strawberry.type(description="A problem with a mutation's input; nothing was written.")
class UserError:
    field: str | None = strawberry.field(
        description="Path of the input field at fault, e.g. `input.periods.1.endsOn`; null "
                    "when the problem is not about one field.")
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")


class UserInputError(Exception):
    """Raised by write functions; the mutation turns it into payload errors and rolls back."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = list(errors)


def user_error(field: str | None, code: ErrorCode, message: str) -> UserInputError:
    return UserInputError(UserError(field=field, code=code, message=message))


def not_found(field: str, what: str = "object") -> UserInputError:
    return user_error(field, ErrorCode.NOT_FOUND, f"no such {what}")


def forbidden(field: str | None, message: str) -> UserInputError:
    return user_error(field, ErrorCode.FORBIDDEN, message)


def api_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def unauthenticated() -> GraphQLError:
    return api_error(
        "UNAUTHENTICATED",
        "authentication required: send a valid token as 'Authorization: Bearer <token>'",
    )


def bad_argument(argument: str, problem: str) -> GraphQLError:
    return GraphQLError(
        f"argument '{argument}' {problem}",
        extensions={"code": "BAD_USER_INPUT", "argument": argument},
    )


@strawberry.enum(description="Why an accepted change was flagged.")
class WarningCode(enum.Enum):
    LATE_ENTRY = strawberry.enum_value(
        "late_entry", description="Entered after the regulation's deadline (5.4–5.6); "
                                  "accepted and flagged for reports.")


@strawberry.type(description="A change was made but deserves attention (e.g. it was late).")
class UserWarning:
    field: str | None = strawberry.field(description="Path of the input field concerned.")
    code: WarningCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
