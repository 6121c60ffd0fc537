"""Tokens: signed short-lived access tokens (JWT, HS256), and random secrets stored hashed
(refresh tokens, integrator API tokens)."""

from __future__ import annotations

import hashlib
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
    secret: str, account_id: uuid.UUID, *, minutes: int, session_id: uuid.UUID | None = None
) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    claims: dict[str, object] = {
        "sub": str(account_id), "aud": AUDIENCE, "iat": now, "exp": expires,
        "jti": uuid.uuid4().hex,
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


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    """Random secrets need no slow hash: SHA-256 makes a stolen table useless."""
    return hashlib.sha256(secret.encode()).digest()
