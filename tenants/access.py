"""The access context: who is asking, and which schools the request may touch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, OfficerRole, Person, PersonRole, School, SchoolRole
from db.models.geography import Municipality
from db.tenancy import set_tenant_async


@dataclass(frozen=True)
class AccessContext:
    """Resolved once per request, before any resolver runs; drives RLS and every permission."""

    account_id: uuid.UUID | None = None
    login: str | None = None
    persons: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # school -> person
    roles: dict[uuid.UUID, frozenset[SchoolRole]] = field(default_factory=dict)
    officer_municipality_ids: frozenset[uuid.UUID] = frozenset()
    officer_region_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None

    @property
    def school_ids(self) -> frozenset[uuid.UUID]:
        """Schools where the viewer is a person; officers' schools come from their reach."""
        return frozenset(self.persons)


ANONYMOUS = AccessContext()


async def resolve_access(session: AsyncSession, account_id: uuid.UUID) -> AccessContext:
    """Read the viewer's own rows (the self RLS policy allows exactly those) and scope the
    transaction to the schools they belong to."""
    await set_tenant_async(session, [], account_id)
    account = (
        await session.execute(
            select(Account.login, Account.is_active).where(Account.id == account_id)
        )
    ).one_or_none()
    if account is None or not account.is_active:
        return ANONYMOUS
    rows = (
        await session.execute(
            select(Person.school_id, Person.id, PersonRole.role)
            .outerjoin(PersonRole, (PersonRole.school_id == Person.school_id)
                       & (PersonRole.person_id == Person.id))
            .where(Person.account_id == account_id)
        )
    ).all()
    persons: dict[uuid.UUID, uuid.UUID] = {}
    roles: dict[uuid.UUID, set[SchoolRole]] = {}
    for school_id, person_id, role in rows:
        persons[school_id] = person_id
        if role is not None:
            roles.setdefault(school_id, set()).add(role)
    officer = (
        await session.execute(
            select(OfficerRole.municipality_id, OfficerRole.region_id).where(
                OfficerRole.account_id == account_id
            )
        )
    ).all()
    access = AccessContext(
        account_id=account_id,
        login=account.login,
        persons=persons,
        roles={s: frozenset(r) for s, r in roles.items()},
        officer_municipality_ids=frozenset(m for m, _ in officer if m),
        officer_region_ids=frozenset(r for _, r in officer if r),
    )
    await set_tenant_async(session, access.school_ids, account_id)
    return access


async def officer_school_ids(session: AsyncSession, access: AccessContext) -> set[uuid.UUID]:
    """The schools an officer's reach covers (their municipality, or every school of a region)."""
    if not (access.officer_municipality_ids or access.officer_region_ids):
        return set()
    stmt = (
        select(School.id)
        .join(Municipality, Municipality.id == School.municipality_id)
        .where(
            School.municipality_id.in_(access.officer_municipality_ids)
            | Municipality.region_id.in_(access.officer_region_ids)
        )
    )
    return set((await session.scalars(stmt)).all())
