"""Login rate limiting: failed logins counted per login and per client address.

The failures live in PostgreSQL (`login_attempts`), not in process memory, so the limits hold
across every worker and survive a restart: with N workers an in-memory counter would allow N
times the failures, and a restart would clear them. A login costs two more statements (the
check, then the record or the reset); no other request touches the table.

Counting is check-then-record, so simultaneous attempts can overshoot a limit by the number
in flight; that bounds nothing an attacker can use (they still get a handful, not thousands).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.logins import MAX_LOOKUP_CHARS, normalize_login
from resolvers.auth.settings import AuthSettings
from tenants.errors import DomainError, ErrorCode, refusal

# Failures older than this are deleted as new ones are recorded (any window is shorter).
RETENTION = timedelta(days=1)


def login_key(login: str) -> str:
    """The counter of a login is keyed as the account is looked up: variants share it."""
    return normalize_login(login)[:MAX_LOOKUP_CHARS]


@dataclass(frozen=True)
class LoginGuard:
    """The rate limit of one login attempt: `check` before the password, `record` after."""

    session: AsyncSession
    settings: AuthSettings
    login: str
    client: str | None

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.settings.login_window_minutes)

    async def check(self) -> DomainError | None:
        """A TOO_MANY_ATTEMPTS refusal saying when to retry, or None to go on."""
        rows = (await self.session.execute(text("""
            SELECT login = :login AS same_login,
                   coalesce(client_ip = CAST(:client AS text), false) AS same_client,
                   attempted_at
              FROM login_attempts
             WHERE attempted_at > now() - :window
               AND (login = :login OR client_ip = CAST(:client AS text))
             ORDER BY attempted_at
        """), {"login": login_key(self.login), "client": self.client,
               "window": self.window})).all()
        by_login = [r.attempted_at for r in rows if r.same_login]
        by_client = [r.attempted_at for r in rows if r.same_client]
        refusals = [
            (by_login, self.settings.login_failures_per_account, "for this login"),
            (by_client, self.settings.login_failures_per_address, "from this address"),
        ]
        for times, limit, whose in refusals:
            if len(times) >= limit:
                # Free again when enough of the failures have left the window.
                retry_at = times[len(times) - limit] + self.window
                return _refusal(whose, retry_at)
        return None

    async def record(self, *, succeeded: bool) -> None:
        if succeeded:
            # The account's counter starts again; the address's does not (one good login
            # must not let an address keep guessing other accounts' passwords).
            await self.session.execute(text("DELETE FROM login_attempts WHERE login = :login"),
                                       {"login": login_key(self.login)})
            return
        await self.session.execute(text("""
            WITH expired AS (
                DELETE FROM login_attempts WHERE attempted_at < now() - :retention
            )
            INSERT INTO login_attempts (id, login, client_ip)
            VALUES (gen_random_uuid(), :login, :client)
        """), {"login": login_key(self.login), "client": self.client, "retention": RETENTION})


def _refusal(whose: str, retry_at: datetime) -> DomainError:
    wait = max(1, int((retry_at - datetime.now(UTC)).total_seconds() + 59) // 60)
    return refusal(
        None, ErrorCode.TOO_MANY_ATTEMPTS,
        f"too many failed logins {whose}: try again after "
        f"{retry_at.astimezone(UTC):%H:%M} UTC (in {wait} min)")
