"""Announcement read receipts in the API: a student or guardian of the class confirms reading;
the class teacher reads who did (rules in resolvers/messages/receipts.py)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.messages import receipts
from schema.errors import UserError
from schema.ids import from_global_id, query_id, to_global_id
from schema.mutations import Input, apply
from schema.permissions import IsAuthenticated


@strawberry.enum(description="How a reader belongs to the class.")
class FamilyRelation(enum.Enum):
    STUDENT = strawberry.enum_value("student", description="A student of the class.")
    GUARDIAN = strawberry.enum_value("guardian", description="A guardian of a student of "
                                                             "the class.")


@strawberry.type(description="One of the class's students or guardians, and whether they read "
                             "the announcement.")
class AnnouncementReadReceipt:
    name: str = strawberry.field(description="Surname and first name.")
    relation: FamilyRelation = strawberry.field(description="Student or guardian.")
    read_at: datetime | None = strawberry.field(description="When they first read it; null: "
                                                            "not yet.")
    person_uuid: strawberry.Private[uuid.UUID]
    student_uuid: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Global id of their Person.")
    def person_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", self.person_uuid))

    @strawberry.field(description="Global id of the student (themselves, or the guardian's "
                                  "child in the class).")
    def student_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", self.student_uuid))


@strawberry.input(description="The announcement the viewer read.")
class MarkAnnouncementReadInput:
    announcement_id: strawberry.ID = strawberry.field(description="Global id of the "
                                                                  "`Announcement`.")


@strawberry.type(description="Result of `markAnnouncementRead`.")
class MarkAnnouncementReadPayload:
    read_at: datetime | None = strawberry.field(description="When the viewer first read it.")
    errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


async def mark_read(info: Info, input: Input[MarkAnnouncementReadInput]
                    ) -> MarkAnnouncementReadPayload:
    read_at, errors = await apply(info, lambda: receipts.mark_read(
        info.context.session, info.context.access,
        from_global_id(input.announcement_id, "Announcement", "input.announcementId")))
    return MarkAnnouncementReadPayload(read_at=read_at, errors=errors)


async def list_receipts(info: Info, *, announcement_id: Annotated[
        strawberry.ID, strawberry.argument(description="Global id of the `Announcement`.")]
                        ) -> list[AnnouncementReadReceipt]:
    announcement = query_id(announcement_id, "Announcement", "announcementId")
    assert announcement is not None  # a non-null argument
    rows = await receipts.receipts(info.context.session, info.context.access, announcement)
    return [AnnouncementReadReceipt(name=r.name, relation=FamilyRelation(r.relation),
                                    read_at=r.read_at, person_uuid=r.person_id,
                                    student_uuid=r.student_id) for r in rows]


@strawberry.type
class AnnouncementReceiptsQuery:
    announcement_read_receipts: list[AnnouncementReadReceipt] = strawberry.field(
        resolver=list_receipts, permission_classes=[IsAuthenticated],
        description="Who of the class's families (its students now and their guardians) read "
                    "an announcement, by name. For the class teacher, the author and "
                    "administrators; FORBIDDEN for the class's families; empty for anyone "
                    "else, as for an unknown announcement.")


@strawberry.type
class AnnouncementReceiptsMutation:
    mark_announcement_read: MarkAnnouncementReadPayload = strawberry.field(
        resolver=mark_read, permission_classes=[IsAuthenticated],
        description="The viewer, a student of the class or a guardian of one, read the "
                    "announcement (the first reading counts). Staff are FORBIDDEN; anyone "
                    "else NOT_FOUND.")
