"""The reason of an excused absence (у, б): the note a parent brought, as the class teacher wrote it.

Revision ID: 0015
Revises: 0014

`excuseAbsences` turns a student's н into у or б with the document or reason (e.g. «справка от
врача № 12»), which the attendance row keeps. It is free text about one student (possibly about
their health): the officer role, which reads `attendance` column by column since 0011, gets no
privilege on it. Only an excused or ill entry has a reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OFFICER_ROLE = "zhurnal_officer"


def upgrade() -> None:
    op.add_column('attendance', sa.Column('excuse_reason', sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f('ck_attendance_excuse_reason_of_excused'), 'attendance',
        "excuse_reason IS NULL OR (kind IN ('excused', 'ill') "
        "AND length(excuse_reason) BETWEEN 1 AND 500)")
    # 0011 granted the officer role the columns of its day; say so for this one too.
    op.execute(f"REVOKE SELECT (excuse_reason) ON attendance FROM {OFFICER_ROLE}")


def downgrade() -> None:
    op.drop_constraint('ck_attendance_excuse_reason_of_excused', 'attendance')
    op.drop_column('attendance', 'excuse_reason')
