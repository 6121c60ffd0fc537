"""Integrator API tokens: scopes and a reach (a school, a municipality or the region); issued,
listed and revoked."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.auth.api_tokens import (
    TokenRequest,
    api_tokens,
    issue_api_token,
    manageable_tokens,
    revoke_api_token,
)
from schema.errors import UserError
from schema.ids import from_global_id, try_uuid
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, paginate
from schema.permissions import IsAuthenticated
from schema.schools import Municipality, School
from schema.viewer import TokenScopeEnum


@strawberry.enum(description="How far a token reaches.")
class TokenReach(enum.Enum):
    SCHOOL = "school"
    MUNICIPALITY = "municipality"
    REGION = "region"


@strawberry.type(description="An integrator token (for dashboards and other systems). The "
                             "secret is shown once, when issued; only its hash is stored.")
class ApiToken(relay.Node):
    id: relay.NodeID[uuid.UUID]
    name: str = strawberry.field(description="What the token is for.")
    scopes: list[TokenScopeEnum] = strawberry.field(description="What it may do.")
    reach: TokenReach = strawberry.field(description="Whether it reaches a school, a "
                                                     "municipality or the whole region.")
    created_at: datetime = strawberry.field(description="When it was issued.")
    expires_at: datetime | None = strawberry.field(description="When it stops working, if set.")
    last_used_at: datetime | None = strawberry.field(
        description="Last use (recorded to the minute).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    reach_school_id: strawberry.Private[uuid.UUID | None]
    reach_municipality_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The school it reaches (school reach only).")
    async def school(self, info: Info) -> School | None:
        if self.reach_school_id is None:
            return None
        row = await info.context.loaders.by_id(models.School).load(self.reach_school_id)
        return School.from_model(row) if row else None

    @strawberry.field(description="The municipality it reaches (municipality reach only).")
    async def municipality(self, info: Info) -> Municipality | None:
        if self.reach_municipality_id is None:
            return None
        row = await info.context.loaders.by_id(models.Municipality).load(
            self.reach_municipality_id)
        return Municipality.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.ApiToken) -> ApiToken:
        reach = (TokenReach.SCHOOL if row.reach_school_id else
                 TokenReach.MUNICIPALITY if row.reach_municipality_id else TokenReach.REGION)
        return cls(id=row.id, name=row.name, scopes=[models.TokenScope(s) for s in row.scopes],
                   reach=reach, created_at=row.created_at, expires_at=row.expires_at,
                   last_used_at=row.last_used_at, revoked_at=row.revoked_at,
                   reach_school_id=row.reach_school_id,
                   reach_municipality_id=row.reach_municipality_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ApiToken | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await manageable_tokens(info.context.session, info.context.access,
                                       [i for i in ids if i])
        found = {r.id: cls.from_model(r) for r in rows}
        return [found.get(i) if i else None for i in ids]


@strawberry.input(description="A token to issue. Give exactly one reach: `schoolId`, "
                              "`municipalityId` or `region: true`.")
class IssueApiTokenInput:
    name: str = strawberry.field(description="What the token is for (1–200 characters).")
    scopes: list[TokenScopeEnum] = strawberry.field(
        description="Scopes; a token never gets more than its issuer may do.")
    school_id: strawberry.ID | None = strawberry.field(default=None,
                                                       description="Reach one school.")
    municipality_id: strawberry.ID | None = strawberry.field(
        default=None, description="Reach the schools of one municipality.")
    region: bool = strawberry.field(default=False,
                                    description="Reach every school of the issuer's region.")
    expires_at: datetime | None = strawberry.field(default=None,
                                                   description="Optional expiry, in the future.")


@strawberry.type(description="Result of `issueApiToken`.")
class IssueApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The token's record.")
    secret: str | None = strawberry.field(
        description="The bearer secret (`zt_…`): shown only now, store it safely.")
    errors: list[UserError] = strawberry.field(description="Why nothing was issued.")


@strawberry.input(description="The token to revoke.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="Global id of the ApiToken.")


@strawberry.type(description="Result of `revokeApiToken`.")
class RevokeApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The revoked token.")
    errors: list[UserError] = strawberry.field(description="Why nothing was revoked.")


async def list_api_tokens(info: Info, *, first: First = None, after: After = None
                          ) -> relay.Connection[ApiToken]:
    return await paginate(info.context.session, api_tokens(info.context.access),
                          keys=[models.ApiToken.created_at, models.ApiToken.id], first=first,
                          after=after, to_node=ApiToken.from_model)


def _request(data: IssueApiTokenInput) -> TokenRequest:
    return TokenRequest(
        name=data.name, scopes=tuple(data.scopes),
        school_id=None if data.school_id is None else
        from_global_id(data.school_id, "School", "input.schoolId"),
        municipality_id=None if data.municipality_id is None else
        from_global_id(data.municipality_id, "Municipality", "input.municipalityId"),
        region=data.region, expires_at=data.expires_at)


async def issue(info: Info, input: Input[IssueApiTokenInput]) -> IssueApiTokenPayload:
    result, errors = await apply(info, lambda: issue_api_token(
        info.context.session, info.context.access, _request(input),
        actor=lambda school_id: actor(info, school_id)))
    if result is None:
        return IssueApiTokenPayload(api_token=None, secret=None, errors=errors)
    row, secret = result
    return IssueApiTokenPayload(api_token=ApiToken.from_model(row), secret=secret, errors=[])


async def revoke(info: Info, input: Input[RevokeApiTokenInput]) -> RevokeApiTokenPayload:
    row, errors = await apply(info, lambda: revoke_api_token(
        info.context.session, info.context.access,
        from_global_id(input.id, "ApiToken", "input.id"),
        actor=lambda school_id: actor(info, school_id)))
    return RevokeApiTokenPayload(api_token=ApiToken.from_model(row) if row else None,
                                 errors=errors)


@strawberry.type
class TokensQuery:
    api_tokens: relay.Connection[ApiToken] = strawberry.field(
        resolver=list_api_tokens, permission_classes=[IsAuthenticated],
        description="Integrator tokens the viewer manages (issued by them, or reaching the "
                    "schools they administer or oversee).")


@strawberry.type
class TokensMutation:
    issue_api_token: IssueApiTokenPayload = strawberry.field(
        resolver=issue, permission_classes=[IsAuthenticated],
        description="Issue an integrator token (school administrators and officers).")
    revoke_api_token: RevokeApiTokenPayload = strawberry.field(
        resolver=revoke, permission_classes=[IsAuthenticated],
        description="Revoke an integrator token; it stops working on the next request.")
