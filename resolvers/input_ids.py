"""Global ids of a write's input, as schema/ decoded them (schema/input_ids.py `decoded`).

Each is the UUID, the Problem of a malformed id, or None when the field was not given: a write
reports a malformed id in its turn among its other checks, so the errors of an input come out
in the same order whoever decoded its ids.
"""

from __future__ import annotations

import enum
import uuid

from tenants.errors import DomainError, Problem

Id = uuid.UUID | Problem | None


def collect(value: Id, errors: list[Problem]) -> uuid.UUID | None:
    """The UUID, or None with the problem of a malformed id added to `errors`."""
    if isinstance(value, Problem):
        errors.append(value)
        return None
    return value


def require(value: Id) -> uuid.UUID | None:
    """The UUID (None when not given); a malformed id refuses the write here."""
    if isinstance(value, Problem):
        raise DomainError(value)
    return value


def required(value: Id) -> uuid.UUID:
    """The UUID of an id the input must give; a malformed one refuses the write here."""
    found = require(value)
    assert found is not None, "a required id was not given"
    return found


class Keep(enum.Enum):
    """A field of an update left out of the input: the stored value stays."""

    KEEP = "keep"


KEEP = Keep.KEEP


def try_uuid(value: object) -> uuid.UUID | None:
    """The UUID a value spells, or None (an id that cannot be one names no row)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
