"""People of a school: students, staff and guardians (personal data, shown by visibility)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.ids import try_uuid

SchoolRoleEnum = strawberry.enum(
    models.SchoolRole, name="SchoolRole",
    description="A role in a school: administrator, teacher (учитель), student (обучающийся), "
                "guardian (родитель, законный представитель).",
)


@strawberry.type(description="A person as one school knows them. Visible to themselves, the "
                             "school's administrators, and the staff who teach or lead them "
                             "(regulation 6.3); never to officers.")
class Person(relay.Node):
    id: relay.NodeID[uuid.UUID]
    last_name: str = strawberry.field(description="Фамилия.")
    first_name: str = strawberry.field(description="Имя.")
    middle_name: str | None = strawberry.field(description="Отчество, if any.")
    birth_date: date | None = strawberry.field(description="Date of birth, if recorded.")
    school_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="«Фамилия Имя Отчество».")
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @classmethod
    def from_model(cls, row: models.Person) -> Person:
        return cls(id=row.id, last_name=row.last_name, first_name=row.first_name,
                   middle_name=row.middle_name, birth_date=row.birth_date,
                   school_id=row.school_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Person | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.visible_person.load_many([i for i in ids if i])
        found = {r.id: cls.from_model(r) for r in rows if r is not None}
        return [found.get(i) if i else None for i in ids]
