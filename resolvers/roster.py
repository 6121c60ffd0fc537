"""Queries and mutations of the roster domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class RosterQuery:
    pass


@strawberry.type
class RosterMutation:
    pass
