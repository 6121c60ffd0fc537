"""The access context: who is asking, and what the request may touch.

Resolved once per request before any resolver runs. It scopes the transaction's RLS setting
to the viewer's schools and carries everything the permission rules (tenants/rules.py) need:
roles per school, groups taught (and lessons substituted), classes led, children, officer
reach, a token's scopes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, func, literal, or_, select, true, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Account,
    ApiToken,
    Guardianship,
    Lesson,
    Municipality,
    OfficerRole,
    Person,
    PersonRole,
    RefreshToken,
    School,
    SchoolClass,
    SchoolRole,
    TeacherAssignment,
    TokenScope,
)
from db.tenancy import set_tenant_async


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


async def resolve_access(
    session: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID | None = None
) -> AccessContext:
    """A person's session: their own person rows first (the self RLS policy shows exactly
    those), then the relations that drive permissions. A logged-out session is anonymous."""
    await set_tenant_async(session, [], account_id)
    live = (
        exists().where(RefreshToken.id == session_id, RefreshToken.account_id == account_id,
                       RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > func.now())
        if session_id is not None else true()
    )
    rows = (
        await session.execute(
            select(Account.login, (Account.is_active & live).label("is_active"),
                   Person.school_id, Person.id, PersonRole.role)
            .select_from(Account)
            .outerjoin(Person, Person.account_id == Account.id)
            .outerjoin(PersonRole, (PersonRole.school_id == Person.school_id)
                       & (PersonRole.person_id == Person.id))
            .where(Account.id == account_id)
        )
    ).all()
    if not rows or not rows[0].is_active:
        return ANONYMOUS
    persons: dict[uuid.UUID, uuid.UUID] = {}
    roles: dict[uuid.UUID, set[SchoolRole]] = {}
    for row in rows:
        if row.school_id is not None:
            persons[row.school_id] = row.id
            if row.role is not None:
                roles.setdefault(row.school_id, set()).add(row.role)
    municipalities, regions, officer_schools = await _officer_reach(session, account_id)
    await set_tenant_async(session, set(persons) | officer_schools, account_id)
    related = await _relations(session, list(persons.values())) if persons else {}
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
        login=rows[0].login,
        session_id=session_id,
        memberships=memberships,
        officer_municipality_ids=municipalities,
        officer_region_ids=regions,
        officer_school_ids=officer_schools,
    )


async def _officer_reach(
    session: AsyncSession, account_id: uuid.UUID
) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID], frozenset[uuid.UUID]]:
    rows = (
        await session.execute(
            select(OfficerRole.municipality_id, OfficerRole.region_id, School.id)
            .select_from(OfficerRole)
            .outerjoin(Municipality, (Municipality.id == OfficerRole.municipality_id)
                       | (Municipality.region_id == OfficerRole.region_id))
            .outerjoin(School, School.municipality_id == Municipality.id)
            .where(OfficerRole.account_id == account_id)
        )
    ).all()
    return (
        frozenset(r.municipality_id for r in rows if r.municipality_id),
        frozenset(r.region_id for r in rows if r.region_id),
        frozenset(r.id for r in rows if r.id),
    )


async def _relations(
    session: AsyncSession, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, set[uuid.UUID]]]:
    """Groups taught, lessons substituted, classes led and children: one statement."""
    taught = select(literal("taught_group_ids"), TeacherAssignment.school_id,
                    TeacherAssignment.group_id).where(
        TeacherAssignment.teacher_id.in_(person_ids))
    substituted = select(literal("substitute_lesson_ids"), Lesson.school_id, Lesson.id).where(
        Lesson.actual_teacher_id.in_(person_ids),
        Lesson.actual_teacher_id.is_distinct_from(Lesson.scheduled_teacher_id),
    )
    led = select(literal("led_class_ids"), SchoolClass.school_id, SchoolClass.id).where(
        SchoolClass.class_teacher_id.in_(person_ids))
    children = select(literal("child_ids"), Guardianship.school_id,
                      Guardianship.student_id).where(Guardianship.guardian_id.in_(person_ids))
    out: dict[uuid.UUID, dict[str, set[uuid.UUID]]] = {}
    for kind, school_id, target in (
        await session.execute(union_all(taught, substituted, led, children))
    ).all():
        out.setdefault(school_id, {}).setdefault(kind, set()).add(target)
    return out


async def resolve_api_token(session: AsyncSession, token_hash: bytes) -> AccessContext:
    """An integrator token: its scopes over the schools of its reach; no person behind it."""
    token = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
        )
    )
    if token is None:
        return ANONYMOUS
    school_ids = set(
        (
            await session.scalars(
                select(School.id)
                .join(Municipality, Municipality.id == School.municipality_id)
                .where(or_(School.id == token.reach_school_id,
                           Municipality.id == token.reach_municipality_id,
                           Municipality.region_id == token.reach_region_id))
            )
        ).all()
    )
    now = datetime.now(UTC)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        await session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=func.now())
        )
    await set_tenant_async(session, school_ids)
    return AccessContext(
        token_id=token.id,
        login=f"token:{token.name}",
        scopes=frozenset(TokenScope(s) for s in token.scopes),
        token_school_ids=frozenset(school_ids),
    )


# Recording every use would turn each read into a write; a minute is precise enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)
