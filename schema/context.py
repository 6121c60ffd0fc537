"""The typed per-request context: the transaction, the viewer and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenants.access import ANONYMOUS, AccessContext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from resolvers.auth.settings import AuthSettings
    from schema.loaders import Loaders


@dataclass
class Context:
    """Built before execution: the transaction is open and the viewer resolved."""

    request_id: str
    session: AsyncSession
    loaders: Loaders
    settings: AuthSettings
    access: AccessContext = ANONYMOUS
    # The client's address as the edge decided it (trusted proxies only), for login limits.
    client_address: str | None = None
