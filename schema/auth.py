"""Types of logging in: credentials in, a token pair out."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.errors import UserError


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
