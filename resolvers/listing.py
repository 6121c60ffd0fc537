"""A list query's answer before paging: its statement and the keys that order it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Listing:
    """Rows in the order of `keys`, the last of which is unique (schema/pagination.py pages
    them)."""

    stmt: Select[Any]
    keys: Sequence[ColumnElement[Any]]
