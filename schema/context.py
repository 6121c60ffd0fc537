"""The typed contexts: per request (the transaction, the viewer and the DataLoaders) and per
WebSocket connection (the viewer of connection_init, re-resolved now and then)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tenants.access import ANONYMOUS, AccessContext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from resolvers.auth.settings import AuthSettings
    from resolvers.events.notifications import DiaryListener
    from schema.loaders import Loaders

# The transaction a diary event's fields are read in (schema/events.py): per subscription task,
# so two subscriptions of one socket never share it.
_EVENT_SCOPE: ContextVar[tuple[AsyncSession, Loaders] | None] = ContextVar(
    "zhurnal_event_scope", default=None)


@contextmanager
def event_scope(session: AsyncSession, loaders: Loaders) -> Iterator[None]:
    """While the events of one batch are sent, their fields (a `Grade`, and whatever a client
    reaches from it) read through this transaction, in the viewer's scope, like a query's."""
    _EVENT_SCOPE.set((session, loaders))
    try:
        yield
    finally:
        # set, not reset: a generator closed from another context must not fail here
        _EVENT_SCOPE.set(None)


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
    # Each of the viewer's schools' position in the diary event log when connection_init was
    # answered: a subscription without `after` starts there, so nothing committed after the
    # connection_ack is missed (resolvers/events/log.py).
    start_positions: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def session(self) -> AsyncSession:
        return self._scope()[0]

    @property
    def loaders(self) -> Loaders:
        return self._scope()[1]

    @staticmethod
    def _scope() -> tuple[AsyncSession, Loaders]:
        scope = _EVENT_SCOPE.get()
        if scope is None:
            raise RuntimeError("a socket's fields are read only while a diary event is sent")
        return scope

    def seconds_left(self) -> float | None:
        if self.expires_at is None:
            return None
        return (self.expires_at - datetime.now(UTC)).total_seconds()
