"""What the resolvers ask of the per-request DataLoaders that schema/loaders.py builds: rows
by id, rows by a foreign key, and the persons the viewer may see, each batched per request."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Iterable
from typing import Any, Protocol, TypeVar

from db import models

K = TypeVar("K", contravariant=True)
V = TypeVar("V", covariant=True)
T = TypeVar("T", bound=models.Base)


class BatchLoader(Protocol[K, V]):
    def load(self, key: K) -> Awaitable[V]: ...

    def load_many(self, keys: Iterable[K]) -> Awaitable[list[V]]: ...


class RowLoaders(Protocol):
    visible_person: BatchLoader[uuid.UUID, models.Person | None]

    def by_id(self, model: type[T]) -> BatchLoader[uuid.UUID, T | None]: ...

    def many(self, column: Any, *order_by: Any) -> BatchLoader[uuid.UUID, list[Any]]: ...
