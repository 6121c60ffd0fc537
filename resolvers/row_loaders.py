"""What a rule needs of the per-request batch loaders: rows by id and rows by foreign key.

The request's loaders (schema/loaders.py) fit this shape; a rule typed with it reads through
them without knowing how they batch, so its statement count stays that of the loaders.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import InstrumentedAttribute

from db.models import Base

T = TypeVar("T", bound=Base)
V = TypeVar("V")


class Batch(Protocol[V]):
    """Loads one value per key; keys asked in the same tick share one statement."""

    def load(self, key: uuid.UUID, /) -> Awaitable[V]: ...

    def load_many(self, keys: Sequence[uuid.UUID], /) -> Awaitable[list[V]]: ...


class RowLoaders(Protocol):
    def by_id(self, model: type[T], /) -> Batch[T | None]:
        """Rows of `model` by primary id (None where missing or invisible)."""
        ...

    def many(self, column: InstrumentedAttribute[Any], /,
             *order_by: InstrumentedAttribute[Any]) -> Batch[list[Any]]:
        """The rows whose `column` holds each key, in `order_by` order."""
        ...
