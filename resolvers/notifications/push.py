"""Web Push: a student's or guardian's browsers (subscriptions registered through the API),
the VAPID keys the worker signs with, and what a push carries.

A browser subscribes with the push service it is tied to and hands us the service's
`endpoint` and two keys (RFC 8291: `p256dh`, the browser's public key, and `auth`, a shared
secret). The worker encrypts each payload for those keys (aes128gcm) and signs a VAPID token
(RFC 8292) with the server's key pair, so the push service knows who sends. A payload carries
ids and a short title — never a name, a mark or a message's text: the app reads the details
through the API as the viewer. A push service that answers 404 or 410 has dropped the
subscription; the worker deletes it.

The subscription is registered for each school where the viewer is a student or guardian
(one browser, every school of the family); the endpoint is unique in a school, so a browser
registered again by another person of the school now receives that person's pushes.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import Actor, Change, record
from db.models import PushSubscription, SchoolRole
from resolvers.notifications import urls
from tenants.access import AccessContext, SchoolMembership
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found

RECEIVERS = frozenset({SchoolRole.STUDENT, SchoolRole.GUARDIAN})
MAX_PER_PERSON = 20
# What a push says: a short title per kind, nothing about whom or what mark.
TITLES = {"mark": "Новая отметка", "absence": "Посещаемость", "homework": "Домашнее задание",
          "grade": "Новая оценка за период", "message": "Новое сообщение"}


@dataclass(frozen=True)
class VapidKeys:
    """The server's VAPID key pair (base64url: the private key's 32 raw bytes, the public
    key's 65-byte uncompressed point, which browsers take as `applicationServerKey`) and the
    contact (`mailto:` or `https:`) sent to push services."""

    private_key: str
    public_key: str
    subject: str

    @classmethod
    def from_env(cls) -> VapidKeys | None:
        """ZHURNAL_VAPID_PRIVATE_KEY / _PUBLIC_KEY / _SUBJECT; None when the keys are unset
        (Web Push is then off: pushes fail and wait as dead letters)."""
        env = os.environ.get
        private, public = env("ZHURNAL_VAPID_PRIVATE_KEY"), env("ZHURNAL_VAPID_PUBLIC_KEY")
        if not private or not public:
            return None
        return cls(private_key=private, public_key=public,
                   subject=env("ZHURNAL_VAPID_SUBJECT", "mailto:zhurnal@localhost"))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def new_vapid_keys() -> tuple[str, str]:
    """A new (private, public) VAPID pair, base64url, for `zhurnal vapid-keys`."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


def payload(*, delivery_key: str, kind: str, school_id: uuid.UUID, entity: str,
            entity_id: uuid.UUID, student_id: uuid.UUID | None) -> bytes:
    """The (to be encrypted) body of a push: a title and the ids the app fetches by."""
    body: dict[str, Any] = {
        "id": delivery_key, "event": kind, "title": TITLES.get(kind, "Новая запись"),
        "schoolId": str(school_id), "entity": entity, "entityId": str(entity_id),
        "studentId": str(student_id) if student_id else None}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class SubscriptionRequest:
    endpoint: str
    p256dh: str
    auth: str


def _key_problem(value: str, size: int) -> bool:
    try:
        raw = unb64url(value)
    except ValueError:
        return True
    return len(raw) != size or (size == 65 and raw[0] != 4)


def _receivers(access: AccessContext) -> list[SchoolMembership]:
    if access.token_id is not None:
        return []
    return [m for m in access.memberships.values() if m.roles & RECEIVERS]


def _audited(row_person: uuid.UUID, endpoint: str) -> dict[str, Any]:
    """The endpoint is a capability (whoever knows it can push to the browser): the audit
    log keeps only its push service's host."""
    return {"person_id": str(row_person), "push_service": urlsplit(endpoint).hostname}


async def register(session: AsyncSession, access: AccessContext, req: SubscriptionRequest,
                   actor: Callable[[uuid.UUID], Actor], *, production: bool
                   ) -> list[PushSubscription]:
    """Register the browser for each school where the viewer is a student or guardian;
    audited in each. The rows as saved."""
    members = _receivers(access)
    if not members:
        raise forbidden("input.endpoint", "Web Push is for students and guardians")
    problems: list[Problem] = []
    why = urls.url_problem(req.endpoint, production=production)
    if why:
        problems.append(Problem("input.endpoint", ErrorCode.INVALID, why))
    if _key_problem(req.p256dh, 65):
        problems.append(Problem("input.keys.p256dh", ErrorCode.INVALID,
                                "must be a base64url P-256 public key (65 bytes)"))
    if _key_problem(req.auth, 16):
        problems.append(Problem("input.keys.auth", ErrorCode.INVALID,
                                "must be a base64url secret of 16 bytes"))
    if problems:
        raise DomainError(*problems)
    pairs = [(m.school_id, m.person_id) for m in members]
    most = await session.scalar(select(func.count()).where(
        tuple_(PushSubscription.school_id, PushSubscription.person_id).in_(pairs),
        PushSubscription.endpoint != req.endpoint)
        .group_by(PushSubscription.school_id, PushSubscription.person_id)
        .order_by(func.count().desc()).limit(1))
    if (most or 0) >= MAX_PER_PERSON:
        raise DomainError(Problem("input.endpoint", ErrorCode.INVALID,
                                  f"at most {MAX_PER_PERSON} browsers per person: "
                                  "unregister one first"))
    table = PushSubscription.__table__
    stmt = insert(table).values([
        {"school_id": school, "id": uuid.uuid4(), "person_id": person,
         "endpoint": req.endpoint, "p256dh": req.p256dh, "auth": req.auth}
        for school, person in pairs])
    stmt = stmt.on_conflict_do_update(
        index_elements=["school_id", "endpoint"],
        set_={"person_id": stmt.excluded.person_id, "p256dh": stmt.excluded.p256dh,
              "auth": stmt.excluded.auth})
    await session.execute(stmt)
    rows = list(await session.scalars(
        select(PushSubscription).where(
            tuple_(PushSubscription.school_id, PushSubscription.person_id).in_(pairs),
            PushSubscription.endpoint == req.endpoint)
        .execution_options(populate_existing=True)))
    for row in rows:
        await record(session, actor(row.school_id), Change(
            row.school_id, "create", "push_subscriptions", row.id, None,
            _audited(row.person_id, row.endpoint)))
    return rows


def _own(access: AccessContext) -> ColumnElement[bool]:
    pairs = [(m.school_id, m.person_id) for m in _receivers(access)]
    return tuple_(PushSubscription.school_id, PushSubscription.person_id).in_(pairs)


async def subscriptions(session: AsyncSession, access: AccessContext) -> list[PushSubscription]:
    """The viewer's own browsers, oldest first (a few per person: MAX_PER_PERSON)."""
    if not _receivers(access):
        return []
    return list(await session.scalars(select(PushSubscription).where(_own(access))
                                      .order_by(PushSubscription.created_at,
                                                PushSubscription.id)))


async def unregister(session: AsyncSession, access: AccessContext, endpoint: str,
                     actor: Callable[[uuid.UUID], Actor]) -> int:
    """Forget the browser for the viewer (in every school); NOT_FOUND when the viewer has no
    such subscription. The number of rows removed."""
    rows = [] if not _receivers(access) else list(await session.scalars(
        select(PushSubscription).where(_own(access), PushSubscription.endpoint == endpoint)))
    if not rows:
        raise not_found("input.endpoint", "push subscription of the viewer")
    for row in rows:
        await record(session, actor(row.school_id), Change(
            row.school_id, "delete", "push_subscriptions", row.id,
            _audited(row.person_id, row.endpoint), None))
        await session.delete(row)
    await session.flush()
    return len(rows)


WORKER = Actor(account_id=None, person_id=None, token_id=None, request_id="notify-worker")


async def forget(session: AsyncSession, school_id: uuid.UUID,
                 subscription_id: uuid.UUID) -> None:
    """The push service dropped the subscription (404/410): it goes, and its deliveries
    with it; audited as the worker's."""
    row = await session.scalar(select(PushSubscription).where(
        PushSubscription.school_id == school_id, PushSubscription.id == subscription_id))
    if row is None:
        return
    await record(session, WORKER, Change(school_id, "delete", "push_subscriptions", row.id,
                                         _audited(row.person_id, row.endpoint), None))
    await session.delete(row)
    await session.flush()
