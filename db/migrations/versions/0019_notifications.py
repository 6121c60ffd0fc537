"""Notifications: an outbox fed by triggers, deliveries for the worker, preferences.

Revision ID: 0019
Revises: 0018

`notification_outbox` gets a row, in the writer's transaction, for each change a person would
want to hear of: written by a trigger on `diary_events` (marks, attendance, grades; inserted or
changed) and one on `lessons` (homework set or changed), db/rls.py NOTIFICATION_OUTBOX.
`notification_deliveries` is the worker's queue (one row per recipient and channel, claimed
with FOR UPDATE SKIP LOCKED). `notification_preferences` holds each person's email address,
channels, events and quiet hours. All three are tenant tables under RLS; officers get nothing
(a row names a student or holds an address).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import rls

revision = '0019'
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = ("notification_outbox", "webhooks", "notification_deliveries",
          "notification_preferences")


def upgrade() -> None:
    school = sa.ForeignKeyConstraint
    op.create_table(
        'notification_outbox',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('op', sa.String(length=10), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=True),
        sa.Column('group_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text('clock_timestamp()')),
        sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True),
        school(['school_id'], ['schools.id'],
               name=op.f('fk_notification_outbox_school_id_schools')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_notification_outbox')),
    )
    op.create_index('ix_notification_outbox_pending', 'notification_outbox',
                    ['school_id', 'created_at'],
                    postgresql_where=sa.text('fanned_out_at IS NULL'))
    op.create_table(
        'webhooks',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('token_id', sa.Uuid(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', sa.ARRAY(sa.String(length=20)), nullable=True),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('created_by_account_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text('clock_timestamp()')),
        school(['school_id'], ['schools.id'], name=op.f('fk_webhooks_school_id_schools')),
        school(['token_id'], ['api_tokens.id'], name=op.f('fk_webhooks_token_id_api_tokens'),
               ondelete='CASCADE'),
        school(['created_by_account_id'], ['accounts.id'],
               name=op.f('fk_webhooks_created_by_account_id_accounts')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_webhooks')),
    )
    op.create_index(op.f('ix_webhooks_school_id_token_id'), 'webhooks',
                    ['school_id', 'token_id'])
    op.create_table(
        'notification_deliveries',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('outbox_id', sa.Uuid(), nullable=False),
        sa.Column('recipient_id', sa.Uuid(), nullable=True),
        sa.Column('webhook_id', sa.Uuid(), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('idempotency_key', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, server_default='pending'),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text('clock_timestamp()')),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text('clock_timestamp()')),
        school(['school_id'], ['schools.id'],
               name=op.f('fk_notification_deliveries_school_id_schools')),
        school(['school_id', 'outbox_id'],
               ['notification_outbox.school_id', 'notification_outbox.id'],
               name=op.f('fk_notification_deliveries_school_id_outbox_id_notification_outbox'),
               ondelete='CASCADE'),
        school(['school_id', 'recipient_id'], ['persons.school_id', 'persons.id'],
               name=op.f('fk_notification_deliveries_school_id_recipient_id_persons'), ondelete='CASCADE'),
        school(['school_id', 'webhook_id'], ['webhooks.school_id', 'webhooks.id'],
               name=op.f('fk_notification_deliveries_school_id_webhook_id_webhooks'),
               ondelete='CASCADE'),
        sa.CheckConstraint('(recipient_id IS NULL) <> (webhook_id IS NULL)',
                           name=op.f('ck_notification_deliveries_one_target')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_notification_deliveries')),
        sa.UniqueConstraint('school_id', 'idempotency_key',
                            name=op.f('uq_notification_deliveries_school_id_idempotency_key')),
    )
    op.create_index(op.f('ix_notification_deliveries_school_id_status_next_attempt_at'),
                    'notification_deliveries', ['school_id', 'status', 'next_attempt_at'])
    op.create_index(op.f('ix_notification_deliveries_school_id_webhook_id_created_at'),
                    'notification_deliveries', ['school_id', 'webhook_id', 'created_at'])
    op.create_table(
        'notification_preferences',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('email_enabled', sa.Boolean(), nullable=False, server_default='true'),
        sa.Column('events', sa.ARRAY(sa.String(length=20)), nullable=True),
        sa.Column('quiet_from', sa.Time(), nullable=True),
        sa.Column('quiet_until', sa.Time(), nullable=True),
        school(['school_id'], ['schools.id'],
               name=op.f('fk_notification_preferences_school_id_schools')),
        school(['school_id', 'person_id'], ['persons.school_id', 'persons.id'],
               name=op.f('fk_notification_preferences_school_id_person_id_persons'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint('school_id', 'person_id',
                            name=op.f('uq_notification_preferences_school_id_person_id')),
    )
    for table in TABLES:
        op.execute(rls.secure_tenant_table(table, officer_readable=False))
    op.execute(rls.NOTIFICATION_OUTBOX)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS notification_homework ON lessons")
    op.execute("DROP TRIGGER IF EXISTS notification_outbox ON diary_events")
    op.execute("DROP FUNCTION IF EXISTS zhurnal_outbox_homework()")
    op.execute("DROP FUNCTION IF EXISTS zhurnal_outbox_from_event()")
    for table in reversed(TABLES):
        op.drop_table(table)
