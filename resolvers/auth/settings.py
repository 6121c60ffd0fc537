"""What logging in needs of the configuration: plain values (server/settings.py has them all)."""

from __future__ import annotations

from typing import Protocol


class AuthSettings(Protocol):
    """The settings of signing tokens and limiting logins, read from the environment by the
    server (`ServerSettings` satisfies this)."""

    @property
    def secret_key(self) -> str: ...

    @property
    def access_token_minutes(self) -> int: ...

    @property
    def refresh_grace_seconds(self) -> float: ...

    @property
    def login_failures_per_account(self) -> int: ...

    @property
    def login_failures_per_address(self) -> int: ...

    @property
    def login_window_minutes(self) -> int: ...
