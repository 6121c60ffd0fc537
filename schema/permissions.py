"""Permissions declared on fields (Strawberry); the rules they ask live in tenants/rules.py."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from tenants.errors import unauthenticated


class IsAuthenticated(BasePermission):
    """Any viewer with a valid token."""

    message = "authentication required"
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.access.is_authenticated)

    def on_unauthorized(self) -> None:
        raise unauthenticated() from None



