"""Link codes: how an account that already exists comes to belong to a person of a school."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import strawberry
from strawberry.types import Info

from db import models
from resolvers.people.account_links import create_account_link_code, redeem_account_link_code
from schema.errors import UserError
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.people import Person
from schema.permissions import IsAuthenticated


@strawberry.input(description="Issue a one-time code that binds an existing account to a "
                              "person of the school once its holder redeems it.")
class CreateAccountLinkCodeInput:
    person_id: strawberry.ID = strawberry.field(
        description="The person; must have no account yet.")


@strawberry.input(description="A link code, redeemed by the account's holder, logged in.")
class RedeemAccountLinkCodeInput:
    code: str = strawberry.field(
        description="The code as the school gave it, e.g. «7KQ2-M9XD-4TRB»; case, spaces and "
                    "dashes do not matter.")


@strawberry.type(description="Result of `createAccountLinkCode`.")
class CreateAccountLinkCodePayload:
    person: Person | None = strawberry.field(description="The person the code is for; null "
                                                         "on error.")
    code: str | None = strawberry.field(
        description="The code, shown this once (only its hash is kept): hand it to the "
                    "person, who redeems it with `redeemAccountLinkCode`. Single use; it "
                    "replaces the person's earlier codes. Null on error.")
    expires_at: datetime | None = strawberry.field(description="When the code stops working.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `redeemAccountLinkCode`.")
class RedeemAccountLinkCodePayload:
    person: Person | None = strawberry.field(
        description="The person the viewer's account now belongs to; null on error. Their "
                    "new school shows in `me` from the next request.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


async def create_code(info: Info, input: Input[CreateAccountLinkCodeInput]
                      ) -> CreateAccountLinkCodePayload:
    person = decoded(input.person_id, "Person", "input.personId")
    c = info.context
    issued, errors = await apply(info, lambda: create_account_link_code(
        c.session, c.access, person, actor=partial(actor, info)))
    if issued is None:
        return CreateAccountLinkCodePayload(person=None, code=None, expires_at=None,
                                            errors=errors)
    return CreateAccountLinkCodePayload(person=Person.from_model(issued.person),
                                        code=issued.code, expires_at=issued.expires_at,
                                        errors=errors)


async def redeem_code(info: Info, input: Input[RedeemAccountLinkCodeInput]
                      ) -> RedeemAccountLinkCodePayload:
    c = info.context
    row: models.Person | None
    # The viewer belongs to no school of the code yet: the author outside any school.
    row, errors = await apply(info, lambda: redeem_account_link_code(
        c.session, c.access, input.code, actor=actor(info, None)))
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
