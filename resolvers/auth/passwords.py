"""Password hashing with argon2id (the library's defaults follow RFC 9106).

Each hash holds 64 MiB while it runs: eight logins at once took a server worker to 515 MB
(issue 8 allows 300). Hashes run on their own pool of ARGON2_AT_ONCE threads per process,
so a burst of logins queues instead of multiplying the memory; a hash is CPU-bound, so more
at once would not finish sooner on a few cores.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ARGON2_AT_ONCE = 2

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(max_workers=ARGON2_AT_ONCE, thread_name_prefix="argon2")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hashed(password: str) -> str:
    """`hash_password` off the event loop, at most ARGON2_AT_ONCE at a time."""
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verified(password_hash: str, password: str) -> bool:
    """`verify_password` off the event loop, at most ARGON2_AT_ONCE at a time."""
    return await asyncio.get_running_loop().run_in_executor(_pool, verify_password,
                                                            password_hash, password)
