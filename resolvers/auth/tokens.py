"""Tokens: signed short-lived access tokens (JWT, HS256), and random secrets stored hashed
(refresh tokens, integrator API tokens)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
AUDIENCE = "zhurnal"
API_TOKEN_PREFIX = "zt_"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or forged."""


@dataclass(frozen=True)
class AccessClaims:
    account_id: uuid.UUID
    session_id: uuid.UUID | None  # the login session (refresh token row); None for CLI tokens
    expires_at: datetime


def issue_access_token(
    secret: str, account_id: uuid.UUID, *, minutes: int, session_id: uuid.UUID | None = None,
    issued_at: datetime | None = None, jti: str | None = None,
) -> tuple[str, datetime]:
    """A signed access token; given `issued_at` and `jti`, the same token every time (a
    refresh repeated within its grace window gets the pair it was given)."""
    now = (issued_at or datetime.now(UTC)).replace(microsecond=0)
    expires = now + timedelta(minutes=minutes)
    claims: dict[str, object] = {
        "sub": str(account_id), "aud": AUDIENCE, "iat": now, "exp": expires,
        "jti": jti or uuid.uuid4().hex,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def read_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "aud"]})
        sid = claims.get("sid")
        return AccessClaims(
            account_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(sid) if sid else None,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as err:
        raise InvalidToken(str(err)) from err


def new_refresh_token(session_id: uuid.UUID) -> str:
    """`<session>.<random>`: the session part lets a reused token be traced to its session."""
    return f"{session_id.hex}.{secrets.token_urlsafe(32)}"


def next_refresh_token(secret: str, previous: str) -> str:
    """The token that replaces `previous`, derived with the server key: anyone holding a
    token can be given its successor again, and an earlier token is recognised by deriving
    forward, without storing it."""
    session, _, _ = previous.partition(".")
    mac = hmac.new(secret.encode(), b"refresh:" + previous.encode(), hashlib.sha256).digest()
    return f"{session}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def refresh_session_id(token: str) -> uuid.UUID | None:
    session, dot, _ = token.partition(".")
    try:
        return uuid.UUID(hex=session) if dot and len(session) == 32 else None
    except ValueError:
        return None


def rotation_jti(secret: str, token: str) -> str:
    """The access token's id for the pair issued in exchange for `token`."""
    return hmac.new(secret.encode(), b"jti:" + token.encode(), hashlib.sha256).hexdigest()[:32]


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    """Random secrets need no slow hash: SHA-256 makes a stolen table useless."""
    return hashlib.sha256(secret.encode()).digest()
