"""The link-code mutations: bind an existing account to a person with its holder's consent."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import models
from resolvers.account_link_writes import create_account_link_code, redeem_account_link_code
from schema.account_links import (
    CreateAccountLinkCodeInput,
    CreateAccountLinkCodePayload,
    RedeemAccountLinkCodeInput,
    RedeemAccountLinkCodePayload,
)
from schema.mutations import Input, apply
from schema.people import Person
from schema.permissions import IsAuthenticated


async def create_code(info: Info, input: Input[CreateAccountLinkCodeInput]
                      ) -> CreateAccountLinkCodePayload:
    issued, errors = await apply(info, lambda: create_account_link_code(info, input))
    if issued is None:
        return CreateAccountLinkCodePayload(person=None, code=None, expires_at=None,
                                            errors=errors)
    return CreateAccountLinkCodePayload(person=Person.from_model(issued.person),
                                        code=issued.code, expires_at=issued.expires_at,
                                        errors=errors)


async def redeem_code(info: Info, input: Input[RedeemAccountLinkCodeInput]
                      ) -> RedeemAccountLinkCodePayload:
    row: models.Person | None
    row, errors = await apply(info, lambda: redeem_account_link_code(info, input))
    return RedeemAccountLinkCodePayload(person=Person.from_model(row) if row else None,
                                        errors=errors)


@strawberry.type
class AccountLinksMutation:
    create_account_link_code: CreateAccountLinkCodePayload = strawberry.field(
        resolver=create_code, permission_classes=[IsAuthenticated],
        description="Issue a one-time code, valid 72 hours, by which the holder of an "
                    "existing account (e.g. a parent with a login from another school) binds "
                    "it to a person of the school (school administrators).")
    redeem_account_link_code: RedeemAccountLinkCodePayload = strawberry.field(
        resolver=redeem_code, permission_classes=[IsAuthenticated],
        description="Bind the viewer's own account to the person a link code was issued "
                    "for; the viewer then belongs to that school with the person's roles. "
                    "Not for officers' accounts or integrator tokens.")
