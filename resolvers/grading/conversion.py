"""Converting a mark value from one grading system to another (перевод отметок).

The rule, the same everywhere (marks, averages, grades, `convertValue`):

1. Every value of a system sits on the common 0–100 axis: a range [low, high) — the top value
   of a system also holds 100 — and a representative point inside it.
2. Converting value v of system X into system Y on a day D:
   - X = Y: v itself;
   - the school pinned a conversion table X → Y valid on D (`valid_from <= D <= valid_to`, an
     open end when `valid_to` is null): the Y value its row for v names. Pinned tables win over
     the axis, and a table converts one way only: a Y → X table is never inverted;
   - otherwise through the axis: the Y value whose range holds v's point.
3. A point of the axis (an average, say) converts through the axis only: tables map values to
   values, never points.

Systems are validated on write to cover the axis without gap or overlap; should one not, a
point falls to the value with the highest range start below it (or the lowest value), so the
conversion is still total and monotonic.

The pure part (`ScaleValue`, `Scale`, `Table`, `convert`, `holding`) needs no database; the
`load_*` functions read a school's systems and tables through the per-request loaders
(any `RowLoaders`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise

from db import models
from resolvers.row_loaders import RowLoaders

AXIS_TOP = Decimal(100)


@dataclass(frozen=True)
class ScaleValue:
    """One value of a grading system, as the conversion rule sees it."""

    id: uuid.UUID
    system_id: uuid.UUID
    label: str
    ordinal: int
    low: Decimal
    high: Decimal
    point: Decimal
    counts_as_pass: bool = False
    numeric: Decimal | None = None

    @classmethod
    def from_model(cls, row: models.MarkValue) -> ScaleValue:
        return cls(id=row.id, system_id=row.system_id, label=row.label, ordinal=row.ordinal,
                   low=Decimal(row.range_low), high=Decimal(row.range_high),
                   point=Decimal(row.point), counts_as_pass=row.counts_as_pass,
                   numeric=None if row.numeric_value is None else Decimal(row.numeric_value))


@dataclass(frozen=True)
class Scale:
    """A grading system: its values, lowest ordinal first."""

    id: uuid.UUID
    values: tuple[ScaleValue, ...]
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(sorted(self.values, key=lambda v: v.ordinal)))

    @property
    def is_numeric(self) -> bool:
        """Every value has a number, so averages can be told in the system's own numbers."""
        return bool(self.values) and all(v.numeric is not None for v in self.values)

    def by_label(self, label: str) -> ScaleValue | None:
        return next((v for v in self.values if v.label == label), None)

    def holding(self, x: Decimal) -> ScaleValue:
        """The value whose range [low, high) holds the axis point x (the top value holds
        100 too)."""
        return holding(self.values, x)


@dataclass(frozen=True)
class Table:
    """A conversion table pinned by the school: from-value id → to-value id, for some days."""

    from_system_id: uuid.UUID
    to_system_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    rows: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    provenance: str = ""

    def applies(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def holding(values: Sequence[ScaleValue], x: Decimal) -> ScaleValue:
    """The value of `values` (sorted by ordinal) whose range holds x; see the module rule."""
    if not values:
        raise ValueError("a grading system without values converts nothing")
    top = values[-1]
    if x >= top.low:
        return top
    found = values[0]
    for v in values:
        if v.low <= x < v.high:
            return v
        if v.low <= x:
            found = v
    return found


def pinned(tables: Iterable[Table], from_system_id: uuid.UUID, to_system_id: uuid.UUID,
           on: date) -> Table | None:
    """The table X → Y valid on the day, if the school pinned one (at most one applies: the
    writes refuse overlapping tables)."""
    return next((t for t in tables if t.from_system_id == from_system_id
                 and t.to_system_id == to_system_id and t.applies(on)), None)


def convert(value: ScaleValue, target: Scale, *, tables: Iterable[Table] = (),
            on: date | None = None) -> ScaleValue:
    """Value `value` in system `target` by the rule of this module (without a day, no table
    applies: the axis decides)."""
    if value.system_id == target.id:
        return next((v for v in target.values if v.id == value.id), value)
    if on is not None:
        table = pinned(tables, value.system_id, target.id, on)
        to_id = table.rows.get(value.id) if table else None
        if to_id is not None:
            found = next((v for v in target.values if v.id == to_id), None)
            if found is not None:
                return found
    return target.holding(value.point)


def numeric_equivalent(target: Scale, x: Decimal) -> Decimal | None:
    """The number of the axis point x in a numeric system: linear between the points of its
    values (a point of a value gives exactly that value's number), the lowest and highest
    numbers beyond the first and last points. None for a system without numbers."""
    if not target.is_numeric:
        return None
    pairs = sorted({v.point: v.numeric for v in target.values}.items())
    if x <= pairs[0][0]:
        return pairs[0][1]
    for (p0, n0), (p1, n1) in pairwise(pairs):
        if x <= p1:
            assert n0 is not None and n1 is not None
            return n0 + (n1 - n0) * (x - p0) / (p1 - p0)
    return pairs[-1][1]


# Reading a school's systems and tables, batched through the per-request loaders.


async def load_scales(loaders: RowLoaders, system_ids: Iterable[uuid.UUID]
                      ) -> dict[uuid.UUID, Scale]:
    """Each system with its values (two batched statements whatever the number)."""
    ids = list(dict.fromkeys(system_ids))
    systems = await loaders.by_id(models.GradingSystem).load_many(ids)
    values = await loaders.many(models.MarkValue.system_id, models.MarkValue.ordinal
                                ).load_many(ids)
    return {s.id: Scale(id=s.id, name=s.name, values=tuple(ScaleValue.from_model(v) for v in vs))
            for s, vs in zip(systems, values, strict=True) if s is not None}


async def load_tables(loaders: RowLoaders, from_system_ids: Iterable[uuid.UUID]) -> list[Table]:
    """The conversion tables out of these systems, with their rows."""
    ids = list(dict.fromkeys(from_system_ids))
    tables = [t for ts in await loaders.many(models.ConversionTable.from_system_id).load_many(ids)
              for t in ts]
    rows = await loaders.many(models.ConversionRow.table_id).load_many([t.id for t in tables])
    return [Table(from_system_id=t.from_system_id, to_system_id=t.to_system_id,
                  valid_from=t.valid_from, valid_to=t.valid_to, provenance=t.provenance,
                  rows={r.from_value_id: r.to_value_id for r in rs})
            for t, rs in zip(tables, rows, strict=True)]


async def convert_value(loaders: RowLoaders, value_id: uuid.UUID, to_system_id: uuid.UUID,
                        on: date) -> models.MarkValue | None:
    """The value `value_id` converted into system `to_system_id` on day `on`, as a row; None
    when either is missing or they belong to different schools. Batched, so a list of marks or
    grades read in another system costs a constant number of statements."""
    source = await loaders.by_id(models.MarkValue).load(value_id)
    system = await loaders.by_id(models.GradingSystem).load(to_system_id)
    if source is None or system is None or source.school_id != system.school_id:
        return None
    if source.system_id == system.id:
        return source
    scales = await load_scales(loaders, [system.id])
    tables = await load_tables(loaders, [source.system_id])
    if system.id not in scales or not scales[system.id].values:
        return None
    result = convert(ScaleValue.from_model(source), scales[system.id], tables=tables, on=on)
    return await loaders.by_id(models.MarkValue).load(result.id)
