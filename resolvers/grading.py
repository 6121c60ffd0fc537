"""Queries and mutations of the grading domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class GradingQuery:
    pass


@strawberry.type
class GradingMutation:
    pass
