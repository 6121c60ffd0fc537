"""Refresh tokens: when the session last rotated, and how often.

Revision ID: 0012
Revises: 0011

A rotated refresh token presented again is either a second browser tab that refreshed at the
same moment (within a short grace window it gets the same new pair) or a stolen copy (after
it, the whole session is revoked). Each new refresh token is derived from the one it replaces
(HMAC with the server key), so the server recognises any earlier token of a session by
walking the chain forward at most `rotations` steps, and re-issues the same pair from
`rotated_at`; no earlier token is stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('refresh_tokens', sa.Column('rotated_at', sa.DateTime(timezone=True),
                                              nullable=True))
    op.add_column('refresh_tokens', sa.Column('rotations', sa.Integer(), nullable=False,
                                              server_default='0'))


def downgrade() -> None:
    op.drop_column('refresh_tokens', 'rotations')
    op.drop_column('refresh_tokens', 'rotated_at')
