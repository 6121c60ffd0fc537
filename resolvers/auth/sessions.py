"""Logging in and out: argon2id passwords, short-lived access tokens, rotating refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.logins import MAX_LOOKUP_CHARS, normalize_login
from db.models import Account, RefreshToken
from resolvers.auth.passwords import hash_password, verified
from resolvers.auth.settings import AuthSettings
from resolvers.auth.tokens import (
    issue_access_token,
    new_refresh_token,
    next_refresh_token,
    refresh_session_id,
    rotation_jti,
    secret_hash,
)
from tenants.errors import DomainError, ErrorCode, refusal

REFRESH_LIFETIME = timedelta(days=30)
# Compared against when the login is unknown, so both failures take the same time.
_DUMMY_HASH = hash_password("not a password anybody has")


@dataclass(frozen=True)
class Tokens:
    account_id: uuid.UUID
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def _bad_credentials() -> Exception:
    return refusal(None, ErrorCode.INVALID_CREDENTIALS, "wrong login or password")


async def log_in(
    session: AsyncSession, settings: AuthSettings, *, login: str, password: str
) -> Tokens:
    row = (
        await session.execute(
            text("SELECT account_id, password_hash, is_active FROM zhurnal_login_lookup(:l)"),
            {"l": normalize_login(login)[:MAX_LOOKUP_CHARS]},
        )
    ).one_or_none()
    digest = row.password_hash if row else _DUMMY_HASH
    ok = await verified(digest, password)
    if row is None or not ok or not row.is_active:
        raise _bad_credentials()
    await session.execute(
        update(Account).where(Account.id == row.account_id).values(last_login_at=func.now())
    )
    return await _open_session(session, settings, row.account_id)


# Walking a chain this long costs about a millisecond; a session older than that many
# rotations is treated as unknown (refused, not revoked).
MAX_CHAIN = 10_000


@dataclass(frozen=True)
class Reused:
    """A rotated refresh token presented after the grace window: the session to revoke."""

    session_id: uuid.UUID


def _invalid_refresh() -> Exception:
    return refusal("input.refreshToken", ErrorCode.INVALID_CREDENTIALS,
                      "the refresh token is unknown, expired or revoked: log in again")


async def refresh(session: AsyncSession, settings: AuthSettings, *, refresh_token: str
                  ) -> Tokens | Reused:
    """Rotate: the presented refresh token is replaced by its successor and a new pair is
    issued. A token rotated within the grace window gets that same pair again (two tabs
    refreshing at once); any earlier token of the session after it means a copy is in other
    hands: the caller revokes the session (`Reused`)."""
    live = (RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > func.now())
    current = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == secret_hash(refresh_token), *live)
        .with_for_update())
    if current is not None:
        secret = next_refresh_token(settings.secret_key, refresh_token)
        current.token_hash = secret_hash(secret)
        current.rotated_at = datetime.now(UTC)
        current.rotations += 1
        current.expires_at = current.rotated_at + REFRESH_LIFETIME
        return _rotated_pair(settings, current, refresh_token, secret)
    session_id = refresh_session_id(refresh_token)
    row = session_id and await session.scalar(
        select(RefreshToken).where(RefreshToken.id == session_id, *live).with_for_update())
    if not row or row.rotated_at is None:
        raise _invalid_refresh()
    steps = _steps_behind(settings.secret_key, refresh_token, row)
    if steps is None:
        raise _invalid_refresh()  # forged or of another session: nothing to revoke
    grace = timedelta(seconds=settings.refresh_grace_seconds)
    if steps == 1 and datetime.now(UTC) - row.rotated_at <= grace:
        return _rotated_pair(settings, row, refresh_token,
                             next_refresh_token(settings.secret_key, refresh_token))
    return Reused(row.id)


def reused_refusal() -> DomainError:
    """What the presenter of a reused refresh token is told once its session is revoked."""
    return refusal("input.refreshToken", ErrorCode.INVALID_CREDENTIALS,
                   "this refresh token was already used: the session is ended for safety; "
                   "log in again")


def _steps_behind(key: str, token: str, row: RefreshToken) -> int | None:
    """How many rotations ago `token` was the session's token; None if it never was."""
    for step in range(1, min(row.rotations, MAX_CHAIN) + 1):
        token = next_refresh_token(key, token)
        if secret_hash(token) == row.token_hash:
            return step
    return None


def _rotated_pair(settings: AuthSettings, row: RefreshToken, presented: str, secret: str
                  ) -> Tokens:
    """The pair issued in exchange for `presented`: the same whenever it is asked again."""
    assert row.rotated_at is not None
    access, expires = issue_access_token(settings.secret_key, row.account_id,
                                         minutes=settings.access_token_minutes,
                                         session_id=row.id, issued_at=row.rotated_at,
                                         jti=rotation_jti(settings.secret_key, presented))
    return Tokens(row.account_id, access, expires, secret, row.expires_at)


async def revoke_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(update(RefreshToken).where(
        RefreshToken.id == session_id, RefreshToken.revoked_at.is_(None)
    ).values(revoked_at=func.now()))


async def log_out(session: AsyncSession, *, account_id: uuid.UUID | None,
                  refresh_token: str | None, session_id: uuid.UUID | None) -> bool:
    """Revoke the session named by the refresh token (or the one of the access token); its
    access tokens stop working on the next request."""
    stmt = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    if refresh_token is not None:
        stmt = stmt.where(RefreshToken.token_hash == secret_hash(refresh_token))
    elif session_id is not None and account_id is not None:
        stmt = stmt.where(RefreshToken.id == session_id, RefreshToken.account_id == account_id)
    else:
        return False
    result = await session.execute(stmt.values(revoked_at=func.now()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _open_session(session: AsyncSession, settings: AuthSettings,
                        account_id: uuid.UUID) -> Tokens:
    row_id = uuid.uuid4()
    secret = new_refresh_token(row_id)
    row = RefreshToken(id=row_id, account_id=account_id, token_hash=secret_hash(secret),
                       expires_at=datetime.now(UTC) + REFRESH_LIFETIME)
    session.add(row)
    await session.flush()
    access, expires = issue_access_token(settings.secret_key, account_id,
                                         minutes=settings.access_token_minutes,
                                         session_id=row.id)
    return Tokens(account_id, access, expires, secret, row.expires_at)
