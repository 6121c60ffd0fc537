"""The typed contexts: per request (the transaction, the viewer and the DataLoaders) and per
WebSocket connection (the viewer of connection_init, re-resolved now and then)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tenants.access import ANONYMOUS, AccessContext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from resolvers.auth.settings import AuthSettings
    from resolvers.events.notifications import DiaryListener
    from schema.loaders import Loaders

# How a socket's viewer is resolved again, in a transaction (server/graphql.py builds it).
Reauthenticate = Callable[["AsyncSession"], Awaitable[AccessContext]]


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


@dataclass
class SocketContext:
    """The context of one WebSocket connection, shared by its subscriptions. The viewer is
    set by `connection_init` (server/graphql.py); there is no request-wide transaction:
    every read opens its own."""

    request_id: str
    sessions: async_sessionmaker[AsyncSession]
    settings: AuthSettings
    listener: DiaryListener | None
    access: AccessContext = ANONYMOUS
    connection_params: dict[str, Any] | None = None
    websocket: Any = None
    reauthenticate: Reauthenticate | None = None
    checked_at: float = field(default_factory=time.monotonic)
    # When the access token of connection_init expires (None: an integrator token, whose
    # expiry and revocation the re-check sees).
    expires_at: datetime | None = None

    def seconds_left(self) -> float | None:
        if self.expires_at is None:
            return None
        return (self.expires_at - datetime.now(UTC)).total_seconds()
