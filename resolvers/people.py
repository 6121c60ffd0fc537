"""Queries and mutations of the people domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class PeopleQuery:
    pass


@strawberry.type
class PeopleMutation:
    pass
