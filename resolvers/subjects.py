"""Queries and mutations of the subjects domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class SubjectsQuery:
    pass


@strawberry.type
class SubjectsMutation:
    pass
