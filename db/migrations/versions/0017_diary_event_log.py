"""The diary event log: `diaryEvents` replays from a cursor, and grades are diary events.

Revision ID: 0017
Revises: 0015 (to be re-pointed at 0016 when the exams branch is merged)

`diary_events` keeps every change a diary subscriber may be told of (marks, attendance, a
lesson's homework or topic, and now period, year, exam and final grades) for the replay window
(24 h; the server purges older rows, resolvers/events/log.py). The NOTIFY triggers of 0003 now
write the row, and a deferred constraint trigger numbers it from a sequence at commit (in
commit order within a school) and announces its cursor. `cursor` is a plain column, not
IDENTITY ALWAYS: a restore inserts the rows with their own cursors. The officer role gets nothing: an
event names a student.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import rls

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE diary_event_cursor AS bigint")
    op.create_table(
        'diary_events',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('cursor', sa.BigInteger(), nullable=True),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('op', sa.String(length=10), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=True),
        sa.Column('lesson_id', sa.Uuid(), nullable=True),
        sa.Column('group_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text('clock_timestamp()')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_diary_events_school_id_schools')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_diary_events')),
    )
    op.execute("ALTER SEQUENCE diary_event_cursor OWNED BY diary_events.cursor")
    op.create_index(op.f('ix_diary_events_school_id_student_id_cursor'), 'diary_events',
                    ['school_id', 'student_id', 'cursor'])
    op.create_index(op.f('ix_diary_events_school_id_cursor'), 'diary_events',
                    ['school_id', 'cursor'])
    op.execute(rls.tenant_policy('diary_events'))
    # Written by the triggers as the writer (the application role), read and purged by it.
    op.execute(f"GRANT SELECT, INSERT, DELETE, UPDATE (cursor) ON diary_events TO {rls.APP_ROLE}")
    op.execute(f"GRANT USAGE ON SEQUENCE diary_event_cursor TO {rls.APP_ROLE}")
    op.execute(rls.DIARY_EVENT_LOG)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS diary_grades ON grades")
    op.execute(rls.DIARY_NOTIFY_FUNCTIONS_0003)
    op.execute("DROP TRIGGER IF EXISTS diary_event_number ON diary_events")
    op.execute("DROP FUNCTION IF EXISTS zhurnal_number_diary_event()")
    op.execute("DROP FUNCTION IF EXISTS zhurnal_log_diary_event(uuid, text, text, uuid, uuid, "
               "uuid, uuid)")
    op.drop_table('diary_events')
