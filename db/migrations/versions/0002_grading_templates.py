"""Global grading templates: the common Russian scales a school can copy.

Revision ID: 0002
Revises: 0001

Ids are fixed (uuid5 of `TEMPLATE_NAMESPACE` and the code, or `code/label` for a value), so
every database — and the demo seeder — agrees on them. The data is frozen here on purpose: a
later change of a template is a new migration, never an edit of this one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TEMPLATE_NAMESPACE = uuid.UUID("6f0b5a8e-3c1d-5e2a-9b47-2d8c1f0e7a13")

# (label, range_low, range_high, point, counts_as_pass, numeric_value); ranges are half-open
# [low, high) except the last, which includes 100.
Row = tuple[str, Decimal, Decimal, Decimal, bool, Decimal | None]


def _d(x: float | int) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


FIVE_POINT: list[Row] = [
    ("2", _d(0), _d(50), _d(25), False, _d(2)),
    ("3", _d(50), _d(70), _d(60), True, _d(3)),
    ("4", _d(70), _d(85), _d(77.5), True, _d(4)),
    ("5", _d(85), _d(100), _d(92.5), True, _d(5)),
]
TEN_POINT: list[Row] = [
    (str(v), _d(10 * (v - 1)), _d(10 * v), _d(10 * v - 5), v >= 4, _d(v)) for v in range(1, 11)
]
# One value per whole point; v covers [v - 0.5, v + 0.5) clipped to the axis. Pass from 30, the
# order of the minimum scores of the state exam tables.
HUNDRED_POINT: list[Row] = [
    (str(v), _d(max(v - 0.5, 0)), _d(min(v + 0.5, 100)), _d(v), v >= 30, _d(v))
    for v in range(0, 101)
]
PASS_FAIL: list[Row] = [
    ("незачёт", _d(0), _d(50), _d(25), False, None),
    ("зачёт", _d(50), _d(100), _d(75), True, None),
]

TEMPLATES: list[tuple[str, str, str, list[Row]]] = [
    ("five_point", "Пятибалльная", "numeric", FIVE_POINT),
    ("ten_point", "Десятибалльная", "numeric", TEN_POINT),
    ("hundred_point", "Стобалльная", "numeric", HUNDRED_POINT),
    ("pass_fail", "Зачёт/незачёт", "pass_fail", PASS_FAIL),
]


def template_id(code: str) -> uuid.UUID:
    return uuid.uuid5(TEMPLATE_NAMESPACE, code)


def value_id(code: str, label: str) -> uuid.UUID:
    return uuid.uuid5(TEMPLATE_NAMESPACE, f"{code}/{label}")


templates = sa.table(
    "grading_templates",
    sa.column("id", sa.Uuid()), sa.column("code", sa.String()), sa.column("name", sa.String()),
    sa.column("kind", sa.String()),
)
template_values = sa.table(
    "grading_template_values",
    sa.column("id", sa.Uuid()), sa.column("template_id", sa.Uuid()),
    sa.column("label", sa.String()), sa.column("ordinal", sa.SmallInteger()),
    sa.column("range_low", sa.Numeric()), sa.column("range_high", sa.Numeric()),
    sa.column("point", sa.Numeric()), sa.column("counts_as_pass", sa.Boolean()),
    sa.column("numeric_value", sa.Numeric()),
)


def upgrade() -> None:
    op.bulk_insert(templates, [
        {"id": template_id(code), "code": code, "name": name, "kind": kind}
        for code, name, kind, _ in TEMPLATES
    ])
    op.bulk_insert(template_values, [
        {"id": value_id(code, label), "template_id": template_id(code), "label": label,
         "ordinal": ordinal, "range_low": low, "range_high": high, "point": point,
         "counts_as_pass": ok, "numeric_value": numeric}
        for code, _, _, rows in TEMPLATES
        for ordinal, (label, low, high, point, ok, numeric) in enumerate(rows, start=1)
    ])


def downgrade() -> None:
    # The values go with their templates (ON DELETE CASCADE).
    op.execute(templates.delete().where(
        templates.c.id.in_([template_id(code) for code, *_ in TEMPLATES])))
