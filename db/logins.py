"""The one normalisation of logins, used wherever a login is stored, looked up or counted.

Before, the login lookup lower-cased in PostgreSQL and the rate limit in Python; the two
disagree (`İ`, `ß`, the Kelvin sign…), so a variant of a login could reach the account with a
failure counter of its own. Now every path compares `normalize_login(typed)` with the stored
value exactly: NFKC first (full-width and compatibility forms become their plain letters), then
Unicode case folding (which, unlike lower(), is meant for caseless matching).
"""

from __future__ import annotations

import re
import unicodedata

# What a new login may be, after normalisation.
LOGIN_PATTERN = re.compile(r"[a-z0-9._-]{3,60}")
LOGIN_RULE = "3–60 characters of a–z, 0–9, «.», «_» and «-»"
# The widest stored form (accounts.login holds 120, login_attempts.login 200).
MAX_LOOKUP_CHARS = 200


def normalize_login(login: str) -> str:
    """The form a login is stored in and compared by: trimmed, NFKC, case-folded."""
    return unicodedata.normalize("NFKC", login.strip()).casefold().strip()
