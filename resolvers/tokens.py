"""Queries and mutations of the tokens domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class TokensQuery:
    pass


@strawberry.type
class TokensMutation:
    pass
