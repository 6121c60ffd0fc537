"""The access context: who is asking, and what the request may touch.

Resolved once per request before any resolver runs. It scopes the transaction's RLS setting
to the viewer's schools and carries everything the permission rules (tenants/rules.py) need:
roles per school, groups taught (and lessons substituted), classes led, children, officer
reach, a token's scopes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    SchoolRole,
    TokenScope,
)


@dataclass(frozen=True)
class SchoolMembership:
    """The viewer as one school knows them."""

    school_id: uuid.UUID
    person_id: uuid.UUID
    roles: frozenset[SchoolRole]
    taught_group_ids: frozenset[uuid.UUID] = frozenset()
    substitute_lesson_ids: frozenset[uuid.UUID] = frozenset()
    led_class_ids: frozenset[uuid.UUID] = frozenset()
    child_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class AccessContext:
    account_id: uuid.UUID | None = None
    login: str | None = None
    session_id: uuid.UUID | None = None  # the login session, revoked by logout
    token_id: uuid.UUID | None = None
    scopes: frozenset[TokenScope] | None = None  # None: a person's session, not a token
    memberships: dict[uuid.UUID, SchoolMembership] = field(default_factory=dict)
    officer_municipality_ids: frozenset[uuid.UUID] = frozenset()
    officer_region_ids: frozenset[uuid.UUID] = frozenset()
    officer_school_ids: frozenset[uuid.UUID] = frozenset()
    token_school_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None or self.token_id is not None

    @property
    def is_officer(self) -> bool:
        return bool(self.officer_municipality_ids or self.officer_region_ids)

    @property
    def school_ids(self) -> frozenset[uuid.UUID]:
        """Every school whose rows the transaction may see (RLS); finer rules come after."""
        return frozenset(self.memberships) | self.officer_school_ids | self.token_school_ids

    def membership(self, school_id: uuid.UUID) -> SchoolMembership | None:
        return self.memberships.get(school_id)

    def person_id(self, school_id: uuid.UUID) -> uuid.UUID | None:
        m = self.memberships.get(school_id)
        return m.person_id if m else None

    def has_role(self, school_id: uuid.UUID, role: SchoolRole) -> bool:
        m = self.memberships.get(school_id)
        return m is not None and role in m.roles


ANONYMOUS = AccessContext()


ACCESS = text("SELECT kind, school_id, target, detail FROM zhurnal_access(:account, :session)")

# The kinds of `zhurnal_access` rows that are relations, by the membership field they fill.
RELATIONS = frozenset({"taught_group_ids", "substitute_lesson_ids", "led_class_ids", "child_ids"})


async def resolve_access(
    session: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID | None = None
) -> AccessContext:
    """A person's session, in one statement: `zhurnal_access` (migration 0006) checks the
    account and the login session, finds the account's person in each school, their roles,
    the officer reach and the relations, and scopes the transaction's RLS setting to the
    schools found. No rows: the account is inactive or the session logged out (anonymous)."""
    rows = (await session.execute(ACCESS, {"account": account_id, "session": session_id})).all()
    if not rows:
        return ANONYMOUS
    login = None
    persons: dict[uuid.UUID, uuid.UUID] = {}
    roles: dict[uuid.UUID, set[SchoolRole]] = {}
    related: dict[uuid.UUID, dict[str, set[uuid.UUID]]] = {}
    reach: dict[str, set[uuid.UUID]] = {"municipality": set(), "region": set(),
                                        "officer_school": set()}
    for kind, school_id, target, detail in rows:
        if kind == "account":
            login = detail
        elif kind == "person":
            persons[school_id] = target
        elif kind == "role":
            roles.setdefault(school_id, set()).add(SchoolRole(detail))
        elif kind in RELATIONS:
            related.setdefault(school_id, {}).setdefault(kind, set()).add(target)
        else:
            reach[kind].add(target)
    memberships = {
        school_id: SchoolMembership(
            school_id=school_id,
            person_id=person_id,
            roles=frozenset(roles.get(school_id, ())),
            **{k: frozenset(v) for k, v in related.get(school_id, {}).items()},
        )
        for school_id, person_id in persons.items()
    }
    return AccessContext(
        account_id=account_id,
        login=login,
        session_id=session_id,
        memberships=memberships,
        officer_municipality_ids=frozenset(reach["municipality"]),
        officer_region_ids=frozenset(reach["region"]),
        officer_school_ids=frozenset(reach["officer_school"]),
    )


TOKEN_ACCESS = text("SELECT kind, target, detail FROM zhurnal_token_access(:token_hash)")


async def resolve_api_token(session: AsyncSession, token_hash: bytes) -> AccessContext:
    """An integrator token, in one statement (`zhurnal_token_access`, migration 0007): its
    scopes over the schools of its reach, no person behind it; its use is recorded to the
    minute. No rows: unknown, revoked or expired (anonymous)."""
    rows = (await session.execute(TOKEN_ACCESS, {"token_hash": token_hash})).all()
    token = next((r for r in rows if r.kind == "token"), None)
    if token is None:
        return ANONYMOUS
    return AccessContext(
        token_id=token.target,
        login=f"token:{token.detail}",
        scopes=frozenset(TokenScope(r.detail) for r in rows if r.kind == "scope"),
        token_school_ids=frozenset(r.target for r in rows if r.kind == "school"),
    )


