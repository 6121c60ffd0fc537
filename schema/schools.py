"""Schools and municipalities: the tenants and the districts that oversee them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import schools as rules
from resolvers.school_settings import Settings
from schema.ids import try_uuid
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from schema.school_settings import SchoolSettings
from tenants.rules import can_read_structure


@strawberry.type(description="A municipal district or city (муниципальный район / городской "
                             "округ) whose education office oversees its schools.")
class Municipality(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Official name, e.g. «г. Белогорск».")
    kind: str = strawberry.field(description="Kind of municipality, e.g. «городской округ».")

    @classmethod
    def from_model(cls, row: models.Municipality) -> Municipality:
        return cls(id=row.id, name=row.name, kind=row.kind)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Municipality | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.by_id(models.Municipality).load_many(
            [i for i in ids if i is not None]
        )
        found = {r.id: cls.from_model(r) for r in rows if r is not None}
        return [found.get(i) if i else None for i in ids]


@strawberry.type(description="A general-education school (общеобразовательная организация, "
                             "ОО): the tenant whose data is isolated from every other school.")
class School(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="Full official name, e.g. «МОАУ Гимназия № 1 "
                                             "г. Благовещенска».")
    short_name: str = strawberry.field(description="Short name for lists and headers.")
    timezone: str = strawberry.field(description="IANA time zone of the school (default "
                                                 "Asia/Yakutsk); journal deadlines use it.")
    municipality_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The municipality the school belongs to.")
    async def municipality(self, info: Info) -> Municipality:
        row = await info.context.loaders.by_id(models.Municipality).load(self.municipality_id)
        return Municipality.from_model(row)

    @strawberry.field(description="How the school applies the journal rules (deadlines, "
                                  "rounding, small-cell threshold, time zone…); null for a "
                                  "viewer who is neither a member of the school nor an officer "
                                  "over it.")
    async def settings(self, info: Info) -> SchoolSettings | None:
        if not can_read_structure(info.context.access, self.id):
            return None
        rows = await info.context.loaders.many(models.SchoolSettings.school_id).load(self.id)
        return SchoolSettings.of(Settings.of(rows[0] if rows else None, self.timezone))

    @classmethod
    def from_model(cls, row: models.School) -> School:
        return cls(id=row.id, name=row.name, short_name=row.short_name, timezone=row.timezone,
                   municipality_id=row.municipality_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[School | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.by_id(models.School).load_many(
            [i for i in ids if i is not None]
        )
        found = {r.id: cls.from_model(r) for r in rows if r is not None}
        return [found.get(i) if i else None for i in ids]


async def schools(
    info: Info, *, first: First = None, after: After = None
) -> relay.Connection[School]:
    return await paginate(info.context.session, rules.schools(), keys=list(rules.SCHOOL_ORDER),
                          first=first, after=after, to_node=School.from_model)


@strawberry.type
class SchoolsQuery:
    schools: relay.Connection[School] = strawberry.field(
        resolver=schools,
        description="The schools of the platform (reference data: names and municipalities).",
        permission_classes=[IsAuthenticated],
    )
