"""Deterministic random streams and UUIDs: the same seed always gives the same rows."""

from __future__ import annotations

import random
import uuid


def stream(seed: int, *parts: object) -> random.Random:
    """An independent generator per (seed, parts), so one stage's output never shifts another's.

    Seeding `random.Random` with a string is stable across processes (it hashes with SHA-512,
    not with the salted `hash()`).
    """
    return random.Random("/".join([str(seed), *(str(p) for p in parts)]))


_VERSION_BITS = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4 = (4 << 76) | (0x8000 << 48)
_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def new_id(rng: random.Random) -> uuid.UUID:
    """`uuid.UUID(int=rng.getrandbits(128), version=4)`, built without the constructor's checks.

    The seeder makes about a million ids and the constructor is most of their cost; the value
    is the same (tests/db/test_seed_demo.py compares the two).
    """
    u = _new(uuid.UUID)
    _set(u, "int", (rng.getrandbits(128) & _VERSION_BITS) | _VERSION_4)
    _set(u, "is_safe", _UNKNOWN)
    return u
