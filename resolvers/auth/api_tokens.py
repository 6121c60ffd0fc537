"""Integrator API tokens: issue (secret shown once), list, revoke."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlalchemy.sql.elements import ColumnElement

from db.audit import ActorFor, Change, record, snapshot
from db.models import ApiToken as ApiTokenRow
from db.models import Municipality, School, TokenScope
from resolvers.auth.tokens import API_TOKEN_PREFIX, new_secret, secret_hash
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found, refusal
from tenants.rules import is_admin

# A school administrator may hand out what they can do with their school's data; officers
# see only aggregates, so their tokens can only read aggregates.
ADMIN_SCOPES = frozenset(TokenScope)
OFFICER_SCOPES = frozenset({TokenScope.READ_AGGREGATES})
# Reads never need the hash, and officers' queries run as a role that may not select it.
WITHOUT_HASH = defer(ApiTokenRow.token_hash, raiseload=True)



@dataclass(frozen=True)
class TokenRequest:
    """A token to issue, its ids decoded; exactly one of the three reaches is expected."""

    name: str
    scopes: tuple[TokenScope, ...]
    school_id: uuid.UUID | None = None
    municipality_id: uuid.UUID | None = None
    region: bool = False
    expires_at: datetime | None = None


def manageable(access: AccessContext) -> ColumnElement[bool]:
    """Tokens the viewer may list and revoke: those reaching schools they administer, those
    inside their officer reach, and those they issued."""
    admin_schools = [s for s in access.memberships if is_admin(access, s)]
    conds: list[ColumnElement[bool]] = []
    if access.account_id is not None:
        conds.append(ApiTokenRow.issued_by_account_id == access.account_id)
    if admin_schools:
        conds.append(ApiTokenRow.reach_school_id.in_(admin_schools))
    if access.officer_school_ids:
        conds.append(ApiTokenRow.reach_school_id.in_(access.officer_school_ids))
    if access.officer_municipality_ids or access.officer_region_ids:
        munis = select(Municipality.id).where(or_(
            Municipality.id.in_(access.officer_municipality_ids),
            Municipality.region_id.in_(access.officer_region_ids)))
        conds.append(ApiTokenRow.reach_municipality_id.in_(munis))
    if access.officer_region_ids:
        conds.append(ApiTokenRow.reach_region_id.in_(access.officer_region_ids))
    return or_(*conds) if conds else false()


async def manageable_tokens(session: AsyncSession, access: AccessContext,
                            ids: Sequence[uuid.UUID]) -> list[ApiTokenRow]:
    """The tokens of `ids` the viewer manages; the others are left out."""
    return list(await session.scalars(
        select(ApiTokenRow).options(WITHOUT_HASH).where(ApiTokenRow.id.in_(ids),
                                                        manageable(access))))


def api_tokens(access: AccessContext) -> Select[tuple[ApiTokenRow]]:
    """The tokens the viewer manages, to be paged."""
    return select(ApiTokenRow).options(WITHOUT_HASH).where(manageable(access))


async def _reach(
    session: AsyncSession, access: AccessContext, data: TokenRequest
) -> tuple[dict[str, uuid.UUID], set[uuid.UUID]]:
    """The reach columns and the schools inside, checked against the issuer's own reach."""
    given = [n for n, v in (("schoolId", data.school_id), ("municipalityId", data.municipality_id),
                            ("region", data.region or None)) if v is not None]
    if len(given) != 1:
        raise refusal("input", ErrorCode.INVALID,
                         "give exactly one reach: schoolId, municipalityId or region")
    if data.school_id is not None:
        school_id = data.school_id
        school = await session.get(School, school_id)
        if school is None or school_id not in access.school_ids:
            raise not_found("input.schoolId", "school")
        if not (is_admin(access, school_id) or school_id in access.officer_school_ids):
            raise forbidden("input.schoolId", "only the school's administrator or an officer "
                                              "over it may issue its tokens")
        return {"reach_school_id": school_id}, {school_id}
    if data.municipality_id is not None:
        muni_id = data.municipality_id
        muni = await session.get(Municipality, muni_id)
        if muni is None or not (muni_id in access.officer_municipality_ids
                                or muni.region_id in access.officer_region_ids):
            raise not_found("input.municipalityId", "municipality")
        schools = set((await session.scalars(
            select(School.id).where(School.municipality_id == muni_id))).all())
        return {"reach_municipality_id": muni_id}, schools
    if len(access.officer_region_ids) != 1:
        raise forbidden("input.region", "only a regional officer may issue a regional token")
    (region_id,) = access.officer_region_ids
    return {"reach_region_id": region_id}, set(access.officer_school_ids)


def _check(access: AccessContext, data: TokenRequest, reach: dict[str, uuid.UUID]) -> None:
    errors: list[Problem] = []
    name = data.name.strip()
    if not 1 <= len(name) <= 200:
        errors.append(Problem(field="input.name", code=ErrorCode.INVALID,
                                message="must be 1–200 characters"))
    if not data.scopes:
        errors.append(Problem(field="input.scopes", code=ErrorCode.REQUIRED,
                                message="give at least one scope"))
    school_id = reach.get("reach_school_id")
    ceiling = ADMIN_SCOPES if school_id and is_admin(access, school_id) else OFFICER_SCOPES
    for i, scope in enumerate(data.scopes):
        if scope not in ceiling:
            errors.append(Problem(field=f"input.scopes.{i}", code=ErrorCode.FORBIDDEN,
                                    message=f"the issuer may not grant '{scope.value}' "
                                            "for this reach"))
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        errors.append(Problem(field="input.expiresAt", code=ErrorCode.INVALID,
                                message="must be in the future"))
    if errors:
        raise DomainError(*errors)


async def issue_api_token(session: AsyncSession, access: AccessContext, data: TokenRequest,
                          *, actor: ActorFor) -> tuple[ApiTokenRow, str]:
    """Issue a token; the secret is returned once, only its hash is kept."""
    if access.account_id is None:
        raise forbidden(None, "tokens are issued by people, not by other tokens")
    reach, schools = await _reach(session, access, data)
    _check(access, data, reach)
    secret = new_secret(API_TOKEN_PREFIX)
    row = ApiTokenRow(id=uuid.uuid4(), name=data.name.strip(),
                      scopes=sorted({s.value for s in data.scopes}),
                      token_hash=secret_hash(secret), issued_by_account_id=access.account_id,
                      expires_at=data.expires_at, **reach)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    # Tokens are global; each school they reach records that one was issued.
    for school_id in sorted(schools):
        await record(session, actor(school_id),
                     Change(school_id=school_id, action="issue", entity="api_tokens",
                            entity_id=row.id, after=snapshot(row)))
    return row, secret


async def revoke_api_token(session: AsyncSession, access: AccessContext, token_id: uuid.UUID,
                           *, actor: ActorFor) -> ApiTokenRow:
    """Revoke a token the viewer manages (again: no change); audited in its school, if any."""
    row = await session.scalar(select(ApiTokenRow).where(
        ApiTokenRow.id == token_id, manageable(access)).with_for_update())
    if row is None:
        raise not_found("input.id", "token")
    if row.revoked_at is None:
        before = snapshot(row)
        row.revoked_at = datetime.now(UTC)
        await session.flush()
        school_id = row.reach_school_id
        if school_id is not None:
            await record(session, actor(school_id),
                         Change(school_id=school_id, action="revoke", entity="api_tokens",
                                entity_id=row.id, before=before, after=snapshot(row)))
    return row
