"""The audit log (журнал изменений) as the API shows it: one node per recorded change, a
school's whole log and the history of one lesson or mark."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import Select
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from db import models
from resolvers import audit
from schema.ids import nodes_in_order, query_id, school_arg, to_global_id, try_uuid
from schema.input_checks import TIME_ZONE_REQUIRED, is_naive
from schema.pagination import After, First, empty_connection, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated
from tenants.errors import bad_argument
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
        access = info.context.access
        return await nodes_in_order(
            node_ids, info.context.loaders.by_id(models.AuditEntry).load_many,
            lambda r: cls.from_model(r) if r.seq is not None  # listed once sealed
            and can_read_audit_log(access, r.school_id) else None)


SchoolIdArg = Annotated[strawberry.ID, strawberry.argument(
    description="Global id of the School whose log to read.")]


def _entity_id(value: str, argument: str) -> uuid.UUID:
    """The log stores raw UUIDs; accept those or the global id of any node."""
    raw = try_uuid(value)
    if raw is not None:
        return raw
    try:
        node_id = try_uuid(relay.GlobalID.from_id(value).node_id)
    except (ValueError, TypeError):
        node_id = None
    if node_id is None:
        raise bad_argument(argument, "is neither a UUID nor a global id")
    return node_id


async def _page(info: Info, stmt: Select[tuple[models.AuditEntry]] | None, first: int | None,
                after: str | None) -> relay.Connection[AuditEntry]:
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt, keys=audit.PAGE_KEYS, first=first,
                          after=after, to_node=AuditEntry.from_model, descending=True)


async def audit_log(
    info: Info,
    *,
    school_id: SchoolIdArg,
    entity: Annotated[str | None, strawberry.argument(
        description="Only changes of this kind of object: a table name, e.g. `marks`.")] = None,
    entity_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only changes of this object (its UUID or global id).")] = None,
    actor_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only changes made by this Person (global id).")] = None,
    from_: Annotated[datetime | None, strawberry.argument(
        name="from", description="Only changes written at or after this time.")] = None,
    to: Annotated[datetime | None, strawberry.argument(
        description="Only changes written before this time.")] = None,
    first: First = None,
    after: After = None,
) -> relay.Connection[AuditEntry]:
    school = school_arg(school_id)
    for name, value in (("from", from_), ("to", to)):
        if is_naive(value):
            raise bad_argument(name, TIME_ZONE_REQUIRED)
    where = audit.AuditFilter(
        entity=entity,
        entity_id=None if entity_id is None else _entity_id(entity_id, "entityId"),
        actor_person_id=query_id(actor_id, "Person", "actorId"),
        occurred_from=from_, occurred_before=to)
    return await _page(info, audit.audit_log(info.context.access, school, where), first, after)


async def history(
    info: Info,
    *,
    entity_id: Annotated[strawberry.ID, strawberry.argument(
        description="The Lesson or Mark (its UUID or global id).")],
    school_id: SchoolIdArg,
    first: First = None,
    after: After = None,
) -> relay.Connection[AuditEntry]:
    school = school_arg(school_id)
    entity = _entity_id(entity_id, "entityId")
    stmt = await audit.history(info.context.session, info.context.access, school, entity)
    return await _page(info, stmt, first, after)


@strawberry.type
class AuditQuery:
    audit_log: relay.Connection[AuditEntry] = strawberry.field(
        resolver=audit_log, permission_classes=[IsAuthenticated],
        description="A school's audit log (журнал изменений), newest first: every change with "
                    "its author, time and values before and after. School administrators "
                    "only; empty for a school the viewer does not belong to.")
    history: relay.Connection[AuditEntry] = strawberry.field(
        resolver=history, permission_classes=[IsAuthenticated],
        description="The history of one lesson or mark, newest first: for the school's "
                    "administrators, the teachers of its group (and the substitute who taught "
                    "the lesson) and the class teacher. Empty alike for an unknown id and for "
                    "one the viewer may not read.")
