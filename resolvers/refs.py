"""Values of a mutation's input as schema/ hands them to a write: ids decoded, fields left out.

A malformed global id is not refused where schema/ decodes it but where the write reads it, so
the client hears about it together with the input's other problems, in the write's order.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from db.audit import Actor
from tenants.errors import DomainError, Problem

# The author of a change in a school (schema/mutations.py `actor`), for writes that learn the
# school from the rows they read.
ActorFor = Callable[[uuid.UUID], Actor]


@dataclass(frozen=True)
class Ref:
    """A global id from the input: the UUID inside it, or the problem of a malformed one."""

    value: uuid.UUID | None
    problem: Problem | None = None

    def id(self) -> uuid.UUID:
        if self.problem is not None:
            raise DomainError(self.problem)
        assert self.value is not None
        return self.value


class Keep(enum.Enum):
    """A field of an update left out of the input: the stored value stays."""

    KEEP = "keep"


KEEP = Keep.KEEP
