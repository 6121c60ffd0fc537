"""The audit chain's lookup of a school's last row always takes the index.

Revision ID: 0008
Revises: 0007

`zhurnal_audit_chain()` reads the school's last audit row for every row appended
(`ORDER BY seq DESC LIMIT 1`, served by the unique index on (school_id, seq)). When the table's
statistics say it is empty (a fresh deployment, or the bench right after seeding and
VACUUM), the planner prefers a sequential scan and a sort; plpgsql keeps that plan until the
next ANALYZE. The bench's first setMarks after seeding ran 2,164 such scans over a growing
log: 65 ms a request on the server instead of 25. The function now plans its statements with
sequential scans disabled, whatever the statistics say.
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION zhurnal_audit_chain() SET enable_seqscan = off")


def downgrade() -> None:
    op.execute("ALTER FUNCTION zhurnal_audit_chain() RESET enable_seqscan")
