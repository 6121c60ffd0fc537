"""Notifications, second part: the daily email digest, Web Push subscriptions, announcement
read receipts, the message-email opt-out and the retention of delivered rows (with the index
the purge needs).

Revision ID: 0021
Revises: 0020

- `notification_preferences.email_mode` (`immediate` | `digest`) and `message_email` (whether
  a new message is emailed);
- `school_settings.digest_hour` (the local hour the daily digest goes out) and
  `notification_retention_days` (how long delivered rows are kept);
- `notification_deliveries`: a digest is a delivery of its own (channel `digest`, no outbox
  row, key `digest:<person>:<day>`), and the deliveries it gathers point at it (`digest_id`);
  a push delivery names its subscription (`push_subscription_id`);
- `push_subscriptions` (a browser's Web Push endpoint and keys, per person) and
  `announcement_reads` (who read an announcement): tenant tables under RLS, no officer grant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import rls

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLES = ("push_subscriptions", "announcement_reads")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["school_id", column], [f"{target}.school_id", f"{target}.id"],
        name=op.f(f"fk_{table}_school_id_{column}_{target}"), ondelete="CASCADE")


def _common(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"],
                                name=op.f(f"fk_{table}_school_id_schools")),
        sa.PrimaryKeyConstraint("school_id", "id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    prefs = "notification_preferences"
    op.add_column(prefs, sa.Column("email_mode", sa.String(length=10), nullable=False,
                                   server_default="immediate"))
    op.add_column(prefs, sa.Column("message_email", sa.Boolean(), nullable=False,
                                   server_default="true"))
    op.create_check_constraint(op.f("ck_notification_preferences_email_mode_known"), prefs,
                               "email_mode IN ('immediate', 'digest')")
    op.add_column("school_settings", sa.Column("digest_hour", sa.SmallInteger(),
                                               nullable=False, server_default="18"))
    op.add_column("school_settings", sa.Column("notification_retention_days",
                                               sa.SmallInteger(), nullable=False,
                                               server_default="30"))
    op.create_check_constraint(op.f("ck_school_settings_digest_hour_range"), "school_settings",
                               "digest_hour BETWEEN 0 AND 23")
    op.create_check_constraint(op.f("ck_school_settings_retention_range"), "school_settings",
                               "notification_retention_days BETWEEN 1 AND 365")

    t = "push_subscriptions"
    op.create_table(
        t, *_common(t),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("clock_timestamp()")),
        _fk(t, "person_id", "persons"),
        sa.UniqueConstraint("school_id", "endpoint",
                            name=op.f("uq_push_subscriptions_school_id_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_school_id_person_id"), t,
                    ["school_id", "person_id"])
    t = "announcement_reads"
    op.create_table(
        t, *_common(t),
        sa.Column("announcement_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("clock_timestamp()")),
        _fk(t, "announcement_id", "announcements"), _fk(t, "person_id", "persons"),
        sa.UniqueConstraint("school_id", "announcement_id", "person_id",
                            name=op.f("uq_announcement_reads_school_id_announcement_id_"
                                      "person_id")),
    )
    for table in TABLES:
        op.execute(rls.secure_tenant_table(table, officer_readable=False))

    d = "notification_deliveries"
    op.alter_column(d, "outbox_id", existing_type=sa.Uuid(), nullable=True)
    op.add_column(d, sa.Column("digest_id", sa.Uuid(), nullable=True))
    op.add_column(d, sa.Column("push_subscription_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f("fk_notification_deliveries_school_id_digest_id_"
                               "notification_deliveries"), d, d,
                          ["school_id", "digest_id"], ["school_id", "id"], ondelete="CASCADE")
    op.create_foreign_key(op.f("fk_notification_deliveries_school_id_push_subscription_id_"
                               "push_subscriptions"), d, "push_subscriptions",
                          ["school_id", "push_subscription_id"], ["school_id", "id"],
                          ondelete="CASCADE")
    op.create_check_constraint(op.f("ck_notification_deliveries_outbox_or_digest"), d,
                               "(outbox_id IS NULL) = (channel = 'digest')")
    op.create_index("ix_notification_deliveries_held", d,
                    ["school_id", "next_attempt_at"],
                    postgresql_where=sa.text("status = 'held'"))
    op.create_index(op.f("ix_notification_deliveries_school_id_digest_id"), d,
                    ["school_id", "digest_id"])
    # the purge asks whether an outbox row has deliveries left
    op.create_index(op.f("ix_notification_deliveries_school_id_outbox_id"), d,
                    ["school_id", "outbox_id"])


def downgrade() -> None:
    d = "notification_deliveries"
    # what the older schema cannot hold goes: digests and push deliveries
    op.execute("DELETE FROM notification_deliveries WHERE channel IN ('digest', 'push')")
    op.execute("UPDATE notification_deliveries SET status = 'pending' "
               "WHERE status IN ('held', 'digested')")
    op.drop_index(op.f("ix_notification_deliveries_school_id_outbox_id"), table_name=d)
    op.drop_index(op.f("ix_notification_deliveries_school_id_digest_id"), table_name=d)
    op.drop_index("ix_notification_deliveries_held", table_name=d)
    op.drop_constraint(op.f("ck_notification_deliveries_outbox_or_digest"), d, type_="check")
    op.drop_constraint(op.f("fk_notification_deliveries_school_id_push_subscription_id_"
                            "push_subscriptions"), d, type_="foreignkey")
    op.drop_constraint(op.f("fk_notification_deliveries_school_id_digest_id_"
                            "notification_deliveries"), d, type_="foreignkey")
    op.drop_column(d, "push_subscription_id")
    op.drop_column(d, "digest_id")
    op.alter_column(d, "outbox_id", existing_type=sa.Uuid(), nullable=False)
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_constraint(op.f("ck_school_settings_retention_range"), "school_settings",
                       type_="check")
    op.drop_constraint(op.f("ck_school_settings_digest_hour_range"), "school_settings",
                       type_="check")
    op.drop_column("school_settings", "notification_retention_days")
    op.drop_column("school_settings", "digest_hour")
    op.drop_constraint(op.f("ck_notification_preferences_email_mode_known"),
                       "notification_preferences", type_="check")
    op.drop_column("notification_preferences", "message_email")
    op.drop_column("notification_preferences", "email_mode")
