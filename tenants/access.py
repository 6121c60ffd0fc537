"""The access context: who is asking, and what the request may touch.

Resolved once per request before any resolver runs. It scopes the transaction's RLS setting
to the viewer's schools and carries everything the permission rules (tenants/rules.py) need:
roles per school, groups taught (and lessons substituted), classes led, children, officer
reach, a token's scopes.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    return _person_access(rows, account_id, session_id)


def _person_access(rows: Sequence[Any], account_id: uuid.UUID, session_id: uuid.UUID | None
                   ) -> AccessContext:
    """The context from `zhurnal_access` rows (kind, school_id, target, detail)."""
    if not any(kind == "account" for kind, *_ in rows):
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


# Sent as it is (Connection.exec_driver_sql, psycopg's placeholders): the hot statement of every
# request skips the ORM session's execution path and SQLAlchemy's compilation, ~0.07 ms of the
# ~1 ms its transaction costs (`python -m bench.round_trips`, docs/benchmarks.md Session 7).
# Still one statement of the session's transaction, seen by SQLAlchemy's statement events.
CACHED_ACCESS = ("SELECT kind, school_id, target, detail FROM "
                 "zhurnal_access_cached(%(account)s, %(session)s, %(stamp)s, %(schools)s)")


@dataclass(frozen=True)
class _Kept:
    stamp: str
    access: AccessContext
    school_ids: list[uuid.UUID]


class AccessCache:
    """Person sessions' access contexts, kept between requests of one process.

    Never trusted on its own: every transaction starts with `zhurnal_access_cached`
    (migration 0018), one statement like `zhurnal_access`, which checks the account and the
    login session on every request and compares the account's access stamp with the one the
    kept context was built under. The same stamp: the function sets the RLS scope to the
    context's schools, and the context is used. Another stamp (a role, membership,
    assignment, substitution, class or guardianship of the account changed, in any process,
    or a quarter hour passed): the function resolves the context afresh in the same
    statement. A revoked session or a deactivated account: no rows, anonymous, and the
    context is dropped. Officers' contexts are not kept (their reach follows the schools of a
    municipality, which the stamps do not follow); integrator tokens are resolved as before.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._kept: OrderedDict[tuple[uuid.UUID, uuid.UUID | None], _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    async def resolve(self, session: AsyncSession, account_id: uuid.UUID,
                      session_id: uuid.UUID | None) -> AccessContext:
        key = (account_id, session_id)
        with self._lock:
            kept = self._kept.get(key)
        connection = await session.connection()
        rows = (await connection.exec_driver_sql(CACHED_ACCESS, {
            "account": account_id, "session": session_id,
            "stamp": kept.stamp if kept else None,
            "schools": kept.school_ids if kept else [],
        })).all()
        stamp = next((detail for kind, _, _, detail in rows if kind == "stamp"), None)
        if stamp is None:  # the session or the account is no more
            self._drop(key)
            return ANONYMOUS
        if kept is not None and stamp == kept.stamp and len(rows) == 1:
            with self._lock:
                if key in self._kept:
                    self._kept.move_to_end(key)
            return kept.access
        access = _person_access([r for r in rows if r.kind != "stamp"], account_id, session_id)
        if access.is_authenticated and not access.is_officer:
            self._keep(key, _Kept(stamp, access, sorted(access.school_ids)))
        else:
            self._drop(key)
        return access

    def _keep(self, key: tuple[uuid.UUID, uuid.UUID | None], kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)

    def _drop(self, key: tuple[uuid.UUID, uuid.UUID | None]) -> None:
        with self._lock:
            self._kept.pop(key, None)


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


