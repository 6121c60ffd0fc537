"""The audit log (журнал изменений) as the API shows it: one node per recorded change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from db import models
from schema.ids import to_global_id, try_uuid
from schema.people import Person
from tenants.rules import can_read_audit_log


@strawberry.type(description="One change recorded in a school's audit log (журнал изменений, "
                             "regulation 6.3): who, when, what, the values before and after. "
                             "Append-only and hash-chained; visible to the school's "
                             "administrators (and, through `history`, to the teachers of a "
                             "lesson or mark).")
class AuditEntry(relay.Node):
    id: relay.NodeID[uuid.UUID]
    seq: int = strawberry.field(description="Position in the school's chain: 1, 2, 3, … "
                                            "without gaps.")
    occurred_at: datetime = strawberry.field(description="Server time the change was "
                                                         "written.")
    recorded_at: datetime | None = strawberry.field(
        description="Time the client says the change was made (e.g. entered offline), if "
                    "sent.")
    action: str = strawberry.field(description="What was done, e.g. `create`, `update`, "
                                               "`delete`, `issue`, `revoke`.")
    entity: str = strawberry.field(description="The kind of object changed: its table name, "
                                               "e.g. `marks`, `lessons`, `api_tokens`.")
    entity_id: str | None = strawberry.field(description="The changed object's UUID (raw, not "
                                                         "a global id).")
    before: JSON | None = strawberry.field(description="The object's values before the "
                                                       "change (null for a creation).")
    after: JSON | None = strawberry.field(description="The object's values after the change "
                                                      "(null for a deletion).")
    request_id: str | None = strawberry.field(description="Id of the API request that made "
                                                          "the change (`X-Request-Id`).")
    actor_token_id: strawberry.ID | None = strawberry.field(
        description="Global id of the integrator token that made the change, if a token did.")
    school_id: strawberry.Private[uuid.UUID]
    actor_person_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The person who made the change; null when a token made "
                                  "it or the viewer may not see the person.")
    async def actor(self, info: Info) -> Person | None:
        if self.actor_person_id is None:
            return None
        row = await info.context.loaders.visible_person.load(self.actor_person_id)
        return Person.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.AuditEntry) -> AuditEntry:
        return cls(id=row.id, seq=row.seq, occurred_at=row.occurred_at,
                   recorded_at=row.recorded_at, action=row.action, entity=row.entity,
                   entity_id=str(row.entity_id) if row.entity_id else None,
                   before=row.before, after=row.after, request_id=row.request_id,
                   actor_token_id=strawberry.ID(to_global_id("ApiToken", row.actor_token_id))
                   if row.actor_token_id else None,
                   school_id=row.school_id, actor_person_id=row.actor_person_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntry | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.by_id(models.AuditEntry).load_many(
            [i for i in ids if i])
        access = info.context.access
        found = {r.id: cls.from_model(r) for r in rows
                 if r is not None and can_read_audit_log(access, r.school_id)}
        return [found.get(i) if i else None for i in ids]
