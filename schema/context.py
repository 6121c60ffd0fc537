"""The typed per-request context: the transaction, the viewer and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenants.access import ANONYMOUS, AccessContext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from resolvers.loaders import Loaders
    from server.settings import ServerSettings


@dataclass
class Context:
    """Built before execution: the transaction is open and the viewer resolved."""

    request_id: str
    session: AsyncSession
    loaders: Loaders
    settings: ServerSettings
    access: AccessContext = ANONYMOUS
