"""Queries and mutations of the calendar domain."""

from __future__ import annotations

import strawberry


@strawberry.type
class CalendarQuery:
    pass


@strawberry.type
class CalendarMutation:
    pass
