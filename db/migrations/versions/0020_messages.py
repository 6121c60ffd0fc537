"""Messages: threads about one student, their participants (read receipts), messages, and
class announcements.

Revision ID: 0020
Revises: 0019

Tenant tables under RLS; officers get no grant (officers never see messages). A new message or
announcement writes a `notification_outbox` row (kind 'message') in the writer's transaction
(resolvers/messages); the worker resolves its recipients (resolvers/notifications/queue.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import rls

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLES = ("message_threads", "message_participants", "messages", "announcements")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["school_id", column], [f"{target}.school_id", f"{target}.id"],
        name=op.f(f"fk_{table}_school_id_{column}_{target}"), ondelete="CASCADE")


def _common(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("clock_timestamp()")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"],
                                name=op.f(f"fk_{table}_school_id_schools")),
        sa.PrimaryKeyConstraint("school_id", "id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    t = "message_threads"
    op.create_table(
        t, *_common(t),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("started_by_id", sa.Uuid(), nullable=False),
        _fk(t, "student_id", "persons"), _fk(t, "staff_id", "persons"),
        _fk(t, "started_by_id", "persons"),
    )
    t = "message_participants"
    op.create_table(
        t, *_common(t),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        _fk(t, "thread_id", "message_threads"), _fk(t, "person_id", "persons"),
        sa.UniqueConstraint("school_id", "thread_id", "person_id",
                            name=op.f("uq_message_participants_school_id_thread_id_person_id")),
    )
    op.create_index(op.f("ix_message_participants_school_id_person_id_created_at"), t,
                    ["school_id", "person_id", "created_at"])
    for t, parent, parent_table in (("messages", "thread_id", "message_threads"),
                                    ("announcements", "class_id", "classes")):
        op.create_table(
            t, *_common(t),
            sa.Column(parent, sa.Uuid(), nullable=False),
            sa.Column("author_id", sa.Uuid(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            _fk(t, parent, parent_table), _fk(t, "author_id", "persons"),
            sa.CheckConstraint("char_length(body) BETWEEN 1 AND 4000",
                               name=op.f(f"ck_{t}_body_length")),
        )
        op.create_index(op.f(f"ix_{t}_school_id_{parent}_created_at"), t,
                        ["school_id", parent, "created_at"])
    for table in TABLES:
        op.execute(rls.secure_tenant_table(table, officer_readable=False))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
