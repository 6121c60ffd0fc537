"""A burst of logins hashes at most ARGON2_AT_ONCE passwords at a time (each holds 64 MiB)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from resolvers.auth import passwords


class _SlowHasher:
    """Stands in for argon2 only to watch how many hashes run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
        return password_hash == password


def test_a_burst_of_logins_hashes_two_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    slow = _SlowHasher()
    monkeypatch.setattr(passwords, "_hasher", slow)

    async def burst() -> list[bool]:
        return await asyncio.gather(*(passwords.verified("x", "x" if n % 2 else "y")
                                      for n in range(8)))

    results = asyncio.run(burst())
    assert results == [False, True] * 4
    assert slow.most == passwords.ARGON2_AT_ONCE == 2


def test_the_real_hash_verifies_through_the_pool() -> None:
    digest = asyncio.run(passwords.hashed("пароль-1"))
    assert asyncio.run(passwords.verified(digest, "пароль-1"))
    assert not asyncio.run(passwords.verified(digest, "пароль-2"))
