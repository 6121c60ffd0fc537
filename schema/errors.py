"""Errors of the API: GraphQL errors with a stable `code` extension, and payload UserErrors."""

from __future__ import annotations

from graphql import GraphQLError


def api_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def unauthenticated() -> GraphQLError:
    return api_error(
        "UNAUTHENTICATED",
        "authentication required: send a valid token as 'Authorization: Bearer <token>'",
    )


def bad_argument(argument: str, problem: str) -> GraphQLError:
    return GraphQLError(
        f"argument '{argument}' {problem}", extensions={"code": "BAD_USER_INPUT",
                                                        "argument": argument}
    )
