"""Where notifications may be sent: the one check of a webhook URL and a push endpoint.

In production (ZHURNAL_ENV=production) only https:// is taken: a payload names students by
id and a push endpoint is a capability, neither for the open network in clear. Elsewhere
http:// is taken for the machine itself (127.0.0.1, localhost, ::1), which is what tests and a
developer's receiver use.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_LENGTH = 2000


def is_production() -> bool:
    """Read at each call, as the server reads it at start (server/settings.py)."""
    return os.environ.get("ZHURNAL_ENV", "development") == "production"


def url_problem(url: str, *, production: bool) -> str | None:
    """Why `url` may not receive notifications, or None."""
    if len(url) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "must be an https:// URL with a host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if parts.scheme == "http":
        if production:
            return "must be an https:// URL: http:// is refused in production"
        if host not in LOOPBACK:
            return "must be an https:// URL (http:// only for 127.0.0.1 in development)"
    return None
