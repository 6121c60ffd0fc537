"""Unsubscribe links: a token signed with the server's secret naming one person of one school
and one channel; presenting it turns that channel off (server route /notifications/unsubscribe).
It never expires (an old email's link must still work) and does nothing but switch a channel
off, so a leaked token can only stop someone's emails, which they can switch back on."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.tenancy import set_tenant_async

_PURPOSE = b"zhurnal.unsubscribe.v1:"


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE + payload, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def make_token(secret: str, school_id: uuid.UUID, person_id: uuid.UUID, channel: str) -> str:
    payload = f"{school_id}:{person_id}:{channel}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def read_token(secret: str, token: str) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    """(school, person, channel) of a genuine token, None for anything else."""
    try:
        body, _, sig = token.partition(".")
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(sig), _sign(secret, payload)):
            return None
        school, person, channel = payload.decode().split(":")
        return uuid.UUID(school), uuid.UUID(person), channel
    except (ValueError, UnicodeDecodeError):
        return None


async def unsubscribe(session: AsyncSession, school_id: uuid.UUID, person_id: uuid.UUID,
                      channel: str) -> bool:
    """Turn the channel off for the person; False when there was nothing to turn off."""
    if channel != "email":
        return False
    await set_tenant_async(session, [school_id])
    result = await session.execute(text(
        "UPDATE notification_preferences SET email_enabled = false"
        " WHERE school_id = :school AND person_id = :person"),
        {"school": school_id, "person": person_id})
    return bool(result.rowcount)  # type: ignore[attr-defined]
