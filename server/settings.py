"""Server settings from the environment; development defaults, strict in production."""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A page served by a local dev server (Vite on :5173, Next on :3000, any port) may call a
# development server; production allows only ZHURNAL_CORS_ORIGINS.
LOCAL_ORIGINS = r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?"


@dataclass(frozen=True)
class ServerSettings:
    environment: str
    secret_key: str
    access_token_minutes: int
    graphiql: bool
    # Browser origins allowed to call the API (CORS); none by default besides, outside
    # production, local ones (cors_origin_regex).
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8_000_000
    introspection: bool = True
    # Failed logins allowed per login and per client address (resolvers/auth/ratelimit.py).
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    # A slow database gives a clear, retryable error instead of a hung request.
    statement_timeout_ms: int = 15_000
    pool_timeout_seconds: float = 5.0
    # Operations a process works on at once, writes let in first (server/admission.py); the
    # rest wait up to pool_timeout_seconds. 0: no gate. Keep it within the pool (10 + 5).
    concurrent_operations: int = 4
    # Diary answers kept per viewer until their data changes (server/diary_cache.py); 0: off.
    diary_cache_entries: int = 2000
    # Person sessions' access contexts kept per process, each checked against the database's
    # access stamp in the statement every request runs anyway (tenants/access.py); 0: off.
    access_cache_entries: int = 10_000
    # Reverse proxies (addresses or CIDRs) whose X-Forwarded-For/-Proto are believed; none by
    # default. Anyone else could name any address and reset the per-address login limit.
    trusted_proxies: tuple[str, ...] = ()
    # A rotated refresh token presented again this soon gets the same new pair (two tabs
    # refreshing at once); later, it revokes the session (resolvers/auth/tokens.py).
    refresh_grace_seconds: float = 30.0

    @property
    def mask_errors(self) -> bool:
        """Unexpected errors reach the client as a request id only; details go to the log."""
        return self.is_production

    @property
    def cors_origin_regex(self) -> str | None:
        """Origins allowed besides cors_origins: local dev servers, except in production."""
        return None if self.is_production else LOCAL_ORIGINS

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls) -> ServerSettings:
        environment = os.environ.get("ZHURNAL_ENV", "development")
        secret = os.environ.get("ZHURNAL_SECRET_KEY") or None
        if secret is None:
            if environment == "production":
                raise RuntimeError("ZHURNAL_SECRET_KEY must be set when ZHURNAL_ENV=production")
            secret = _local_secret()
        graphiql_default = "0" if environment == "production" else "1"
        return cls(
            environment=environment,
            secret_key=secret,
            access_token_minutes=int(os.environ.get("ZHURNAL_ACCESS_TOKEN_MINUTES", "15")),
            graphiql=os.environ.get("ZHURNAL_GRAPHIQL", graphiql_default) == "1",
            cors_origins=tuple(o.strip() for o in
                               os.environ.get("ZHURNAL_CORS_ORIGINS", "").split(",")
                               if o.strip()),
            max_body_bytes=int(os.environ.get("ZHURNAL_MAX_BODY_BYTES", "8000000")),
            introspection=os.environ.get("ZHURNAL_INTROSPECTION", graphiql_default) == "1",
            login_failures_per_account=int(
                os.environ.get("ZHURNAL_LOGIN_FAILURES_PER_ACCOUNT", "5")),
            login_failures_per_address=int(
                os.environ.get("ZHURNAL_LOGIN_FAILURES_PER_ADDRESS", "20")),
            statement_timeout_ms=int(os.environ.get("ZHURNAL_STATEMENT_TIMEOUT_MS", "15000")),
            pool_timeout_seconds=float(os.environ.get("ZHURNAL_POOL_TIMEOUT_SECONDS", "5")),
            concurrent_operations=int(os.environ.get("ZHURNAL_CONCURRENT_OPERATIONS", "4")),
            diary_cache_entries=int(os.environ.get("ZHURNAL_DIARY_CACHE_ENTRIES", "2000")),
            access_cache_entries=int(os.environ.get("ZHURNAL_ACCESS_CACHE_ENTRIES", "10000")),
            trusted_proxies=trusted_proxies(os.environ.get("ZHURNAL_TRUSTED_PROXIES", "")),
            refresh_grace_seconds=float(os.environ.get("ZHURNAL_REFRESH_GRACE_SECONDS", "30")),
        )


def trusted_proxies(value: str) -> tuple[str, ...]:
    """ZHURNAL_TRUSTED_PROXIES: comma-separated addresses or networks, each checked here (a
    typo must not silently trust nobody, nor everybody)."""
    proxies = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise RuntimeError(f"ZHURNAL_TRUSTED_PROXIES: «{item}» is not an IP address or "
                               "network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
    return tuple(proxies)


def _local_secret() -> str:
    """A development secret kept beside the embedded database, shared by every worker."""
    path = Path(os.environ.get("ZHURNAL_STATE_DIR", ".zhurnal")) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under another name and linked into place: processes started together
        # (workers, tests) agree on the first key, and none reads a half-written file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its key is the key
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
