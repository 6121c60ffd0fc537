"""Failed logins for rate limiting: a global table holding a login string and an address.

Revision ID: 0005
Revises: 0004

Global (no `school_id`): a login is tried before anyone knows the school. It holds no names:
the login as typed (lower-cased) and the client's address, for 15 minutes' counting; rows
older than a day are deleted as new failures are recorded (resolvers/auth/ratelimit.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.settings import APP_ROLE

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('login', sa.String(length=200), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index(op.f('ix_login_attempts_attempted_at'), 'login_attempts', ['attempted_at'], unique=False)
    op.create_index(op.f('ix_login_attempts_client_ip_attempted_at'), 'login_attempts', ['client_ip', 'attempted_at'], unique=False)
    op.create_index(op.f('ix_login_attempts_login_attempted_at'), 'login_attempts', ['login', 'attempted_at'], unique=False)
    # The server counts, records and clears failures; nothing ever updates a row.
    op.execute(f"GRANT SELECT, INSERT, DELETE ON login_attempts TO {APP_ROLE}")
    # /readyz compares the database's migration with the code's, as the application role.
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE SELECT ON alembic_version FROM {APP_ROLE}")
    op.drop_table('login_attempts')
