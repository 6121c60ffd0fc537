"""The typed per-request context: the transaction, the viewer and the DataLoaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from resolvers.loaders import load_municipalities, load_schools
from tenants.access import ANONYMOUS, AccessContext

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from db.models import Municipality, School


@dataclass
class Loaders:
    """One DataLoader per relation, built per request so nothing leaks between viewers."""

    session: AsyncSession
    municipality_by_id: DataLoader[uuid.UUID, Municipality | None] = field(init=False)
    school_by_id: DataLoader[uuid.UUID, School | None] = field(init=False)

    def __post_init__(self) -> None:
        self.municipality_by_id = DataLoader(lambda ids: load_municipalities(self.session, ids))
        self.school_by_id = DataLoader(lambda ids: load_schools(self.session, ids))


@dataclass
class Context:
    """Built before execution: the transaction is open and the viewer resolved."""

    request_id: str
    session: AsyncSession
    loaders: Loaders
    access: AccessContext = ANONYMOUS
