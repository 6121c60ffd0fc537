"""Logging in, refreshing and logging out: credentials in, a token pair out."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.auth.ratelimit import LoginGuard
from resolvers.auth.sessions import (
    Reused,
    Tokens,
    log_in,
    log_out,
    refresh,
    reused_refusal,
    revoke_session,
)
from schema.errors import UserError
from schema.mutations import Input, apply, refused_input
from tenants.errors import Problem


@strawberry.input(description="Credentials of an account.")
class LoginInput:
    login: str = strawberry.field(description="The account's login.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="A refresh token from `login` or an earlier `refreshToken`.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="The refresh token; it is rotated.")


@strawberry.input(description="Which session to end.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="The session's refresh token; when omitted, the session of "
                                  "the access token in the Authorization header.")


@strawberry.type(description="A token pair. Send the access token as `Authorization: Bearer "
                             "…`; when it expires, trade the refresh token for a new pair.")
class AuthTokens:
    access_token: str = strawberry.field(description="Short-lived signed access token.")
    access_token_expires_at: datetime = strawberry.field(description="When it expires.")
    refresh_token: str = strawberry.field(description="Long-lived, single-use refresh token.")
    refresh_token_expires_at: datetime = strawberry.field(description="When it expires.")


@strawberry.type(description="Result of `login` or `refreshToken`.")
class AuthPayload:
    tokens: AuthTokens | None = strawberry.field(description="The new tokens; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was issued.")


@strawberry.type(description="Result of `logout`.")
class LogoutPayload:
    revoked: bool = strawberry.field(description="Whether a live session was revoked.")
    errors: list[UserError] = strawberry.field(description="Problems with the input.")


def _payload(tokens: Tokens | None, errors: list[Problem]) -> AuthPayload:
    if tokens is None:
        return AuthPayload(tokens=None, errors=errors)
    return AuthPayload(
        tokens=AuthTokens(
            access_token=tokens.access_token, access_token_expires_at=tokens.access_expires_at,
            refresh_token=tokens.refresh_token,
            refresh_token_expires_at=tokens.refresh_expires_at,
        ),
        errors=errors,
    )


async def login(info: Info, input: Input[LoginInput]) -> AuthPayload:
    ctx = info.context
    if refused := refused_input(info):
        return _payload(None, refused)
    guard = LoginGuard(ctx.session, ctx.settings, input.login, ctx.client_address)
    refusal = await guard.check()
    if refusal is not None:
        return _payload(None, refusal.problems)
    tokens, errors = await apply(info, lambda: log_in(ctx.session, ctx.settings,
                                                       login=input.login,
                                                       password=input.password))
    # Outside apply's savepoint: a failure is recorded although the login was refused.
    await guard.record(succeeded=tokens is not None)
    return _payload(tokens, errors)


async def refresh_token(info: Info, input: Input[RefreshTokenInput]) -> AuthPayload:
    ctx = info.context
    result, errors = await apply(info, lambda: refresh(ctx.session, ctx.settings,
                                                        refresh_token=input.refresh_token))
    if isinstance(result, Reused):
        # Outside apply's savepoint, and committed with the request: the session ends.
        await revoke_session(ctx.session, result.session_id)
        return _payload(None, reused_refusal().problems)
    return _payload(result, errors)


async def logout(info: Info, input: Input[LogoutInput]) -> LogoutPayload:
    access = info.context.access
    revoked, errors = await apply(info, lambda: log_out(
        info.context.session, account_id=access.account_id, refresh_token=input.refresh_token,
        session_id=access.session_id))
    return LogoutPayload(revoked=bool(revoked), errors=errors)


@strawberry.type
class AuthMutation:
    login: AuthPayload = strawberry.field(
        resolver=login, description="Log in with a login and password: a short-lived access "
                                    "token and a refresh token.")
    refresh_token: AuthPayload = strawberry.field(
        resolver=refresh_token, description="Trade a refresh token for a new pair (the old "
                                            "refresh token stops working). Presented again "
                                            "within 30 seconds (another tab refreshing at "
                                            "once) it gives the same pair; later, or any "
                                            "earlier token of the session, ends the session.")
    logout: LogoutPayload = strawberry.field(
        resolver=logout, description="End a session: its refresh token is revoked and its "
                                     "access tokens stop working on the next request.")
