"""Errors of the API, converted from the domain's errors (tenants/errors.py) in one place.

- Request-level problems (no token, a bad argument) are GraphQL errors with a stable
  `extensions.code`: a `RequestError` raised below becomes one (`DomainErrors`).
- A mutation's bad input is a `UserError` in its payload: `field` (camelCase path into the
  input, or null), `code` and a human `message`; nothing is written when there is one. The
  domain's `Problem` and `EntryWarning` have exactly the fields of `UserError` and
  `UserWarning`, and their enums are the GraphQL enums, so they are returned as they are.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from tenants import errors as domain


def described_enum(cls: type[enum.Enum], description: str, values: dict[str, str]) -> None:
    """Make the domain's enum the GraphQL enum, with a description for each value."""
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    assert {v.name for v in definition.values} == set(values), "describe every value"
    for value in definition.values:
        value.description = values[value.name]


described_enum(domain.ErrorCode, "Why a mutation refused its input.", {
    "INVALID": "The value is malformed or breaks a rule; see the message.",
    "REQUIRED": "A value is required.",
    "NOT_FOUND": "No such object, or one the viewer may not see.",
    "FORBIDDEN": "The viewer's role does not allow this change.",
    "DUPLICATE": "An object with this value already exists.",
    "OUT_OF_RANGE": "The value lies outside the allowed range.",
    "OVERLAP": "Dates or ranges overlap.",
    "CONFLICT": "The object changed since it was read (expectedVersion).",
    "INVALID_CREDENTIALS": "Login or password is wrong, or the token is revoked or expired.",
    "TOO_MANY_ATTEMPTS": "Too many failed logins for this login or from this address; the "
                         "message says when to try again.",
})
described_enum(domain.WarningCode, "Why an accepted change was flagged.", {
    "LATE_ENTRY": "Entered after the regulation's deadline (5.4–5.6); accepted and flagged "
                  "for reports.",
})
ErrorCode = domain.ErrorCode
WarningCode = domain.WarningCode


@strawberry.type(description="A problem with a mutation's input; nothing was written.")
class UserError:
    field: str | None = strawberry.field(
        description="Path of the input field at fault, e.g. `input.periods.1.endsOn`; null "
                    "when the problem is not about one field.")
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")


@strawberry.type(description="A change was made but deserves attention (e.g. it was late).")
class UserWarning:
    field: str | None = strawberry.field(description="Path of the input field concerned.")
    code: WarningCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")


class DomainErrors(SchemaExtension):
    """A `RequestError` raised by a resolver becomes the GraphQL error it describes (with its
    place in the document), before error masking looks at it."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [_converted(e) for e in result.errors]


def _converted(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if not isinstance(original, domain.RequestError):
        return error
    return GraphQLError(original.message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions=original.extensions)
