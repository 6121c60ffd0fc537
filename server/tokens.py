"""Signed access tokens (JWT, HS256) carrying only the account id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
AUDIENCE = "zhurnal"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or forged."""


def issue_access_token(secret: str, account_id: uuid.UUID, *, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(account_id),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(secret: str, token: str) -> uuid.UUID:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "aud"]})
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError) as err:
        raise InvalidToken(str(err)) from err
