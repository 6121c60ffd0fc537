"""Link codes: how an account that already exists comes to belong to a person of a school."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.errors import UserError
from schema.people import Person


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
