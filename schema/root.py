"""The root Query and the Schema object."""

from __future__ import annotations

import strawberry
from strawberry import relay

from resolvers import schools as schools_resolvers
from schema.schools import Municipality, School
from tenants.permissions import IsAuthenticated


@strawberry.type(description="Entry points for reading.")
class Query:
    node: relay.Node | None = relay.node(
        description="Fetch any object by its global id; not found and not visible look alike.",
        permission_classes=[IsAuthenticated],
    )
    nodes: list[relay.Node | None] = relay.node(
        description="Fetch several objects by global id, in order; null where not found or not "
                    "visible.",
        permission_classes=[IsAuthenticated],
    )
    schools: relay.Connection[School] = strawberry.field(
        resolver=schools_resolvers.schools,
        description="The schools of the platform (reference data: names and municipalities).",
        permission_classes=[IsAuthenticated],
    )


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, types=[School, Municipality])


schema = build_schema()
