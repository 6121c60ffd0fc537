"""Reading schools: public reference data for any authenticated viewer."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from schema.schools import School


async def schools(
    info: Info, *, first: First = None, after: After = None
) -> relay.Connection[School]:
    return await paginate(
        info.context.session,
        select(models.School),
        keys=[models.School.name, models.School.id],
        first=first,
        after=after,
        to_node=School.from_model,
    )


@strawberry.type
class SchoolsQuery:
    schools: relay.Connection[School] = strawberry.field(
        resolver=schools,
        description="The schools of the platform (reference data: names and municipalities).",
        permission_classes=[IsAuthenticated],
    )
