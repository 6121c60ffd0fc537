"""Notifications: the outbox written by triggers, the deliveries the worker sends, and each
person's preferences (docs/notifications.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, TenantMixin, tenant_fk


class NotificationOutbox(TenantMixin, Base):
    """One change a person would want to hear of, written by a trigger in the writer's own
    transaction (db/rls.py NOTIFICATION_OUTBOX): a rolled-back write leaves no row, a committed
    one always does. Recipients are resolved later, by the worker (`fanned_out_at`)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index("ix_notification_outbox_pending", "school_id", "created_at",
              postgresql_where=text("fanned_out_at IS NULL")),
    )

    kind: Mapped[str] = mapped_column(String(20))  # mark | absence | homework | grade
    entity: Mapped[str] = mapped_column(String(20))  # marks | attendance | lessons | grades
    op: Mapped[str] = mapped_column(String(10))  # insert | update
    entity_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID | None]  # null for a lesson: its group's members are read
    group_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationDelivery(TenantMixin, Base):
    """One message to one recipient over one channel: the worker's job queue. `idempotency_key`
    is sent with the message (email Message-ID), so a message re-sent after a crash is the same
    message to the receiver. status: pending -> sending (leased until `locked_until`) -> sent,
    or back to pending with a later `next_attempt_at`, or dead after the last attempt.

    A recipient who takes a daily digest has their email deliveries `held` until the digest
    hour (`next_attempt_at`); then one delivery of channel `digest` (no outbox row, key
    `digest:<person>:<day>`) gathers them (`digest_id`, status `digested`). A push delivery
    names the browser subscription it goes to."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        tenant_fk("outbox_id", "notification_outbox", ondelete="CASCADE"),
        tenant_fk("recipient_id", "persons", ondelete="CASCADE"),
        tenant_fk("webhook_id", "webhooks", ondelete="CASCADE"),
        tenant_fk("digest_id", "notification_deliveries", ondelete="CASCADE"),
        tenant_fk("push_subscription_id", "push_subscriptions", ondelete="CASCADE"),
        UniqueConstraint("school_id", "idempotency_key"),
        CheckConstraint("(outbox_id IS NULL) = (channel = 'digest')", name="outbox_or_digest"),
        Index("ix_notification_deliveries_held", "school_id", "next_attempt_at",
              postgresql_where=text("status = 'held'")),
        Index(None, "school_id", "digest_id"),
        Index(None, "school_id", "outbox_id"),
        Index(None, "school_id", "webhook_id", "created_at"),
        CheckConstraint("(recipient_id IS NULL) <> (webhook_id IS NULL)", name="one_target"),
        Index(None, "school_id", "status", "next_attempt_at"),
    )

    outbox_id: Mapped[uuid.UUID | None]  # null only for a digest
    # a person (email, digest, push) or a webhook: exactly one
    recipient_id: Mapped[uuid.UUID | None]
    webhook_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(16))  # email | digest | push | webhook
    digest_id: Mapped[uuid.UUID | None]  # the digest that carried this held email
    push_subscription_id: Mapped[uuid.UUID | None]
    idempotency_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)  # a webhook's last answer
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class Webhook(TenantMixin, Base):
    """An integrator's subscription: events of the school of a school-reach API token are
    POSTed to `url`, signed with `secret` (HMAC-SHA256, docs/notifications.md). Deleted with
    the token; a revoked or expired token's webhooks receive nothing."""

    __tablename__ = "webhooks"
    __table_args__ = (Index(None, "school_id", "token_id"),)

    token_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str] | None] = mapped_column(ARRAY(String(20)))
    secret: Mapped[str] = mapped_column(String(100))
    created_by_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class NotificationPreference(TenantMixin, Base):
    """How one person (a student or a guardian) of a school wants to hear of changes: the
    email address (personal data, so here under RLS and not on the global account), whether
    email is on, each change at once or a daily digest, whether messages are emailed, which
    kinds of events (null: all), and quiet hours in the school's time zone (a delivery due
    inside them waits for their end)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "person_id"),
        CheckConstraint("email_mode IN ('immediate', 'digest')", name="email_mode_known"),
    )

    person_id: Mapped[uuid.UUID]
    email: Mapped[str | None] = mapped_column(String(254))
    email_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    email_mode: Mapped[str] = mapped_column(String(10), default="immediate",
                                            server_default="immediate")
    message_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    events: Mapped[list[str] | None] = mapped_column(ARRAY(String(20)))
    quiet_from: Mapped[time | None] = mapped_column(Time)
    quiet_until: Mapped[time | None] = mapped_column(Time)


class PushSubscription(TenantMixin, Base):
    """A browser's Web Push subscription (its push service `endpoint` and the keys to encrypt
    for it, RFC 8291) for one person of one school. The endpoint is a capability: whoever
    knows it can push to the browser, so it is unique per school and never shown to others."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        tenant_fk("person_id", "persons", ondelete="CASCADE"),
        UniqueConstraint("school_id", "endpoint"),
        Index(None, "school_id", "person_id"),
    )

    person_id: Mapped[uuid.UUID]
    endpoint: Mapped[str] = mapped_column(String(2000))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
