"""Forgetting delivered notifications: the worker deletes what was sent longer ago than the
school's `notificationRetentionDays` (default 30), dead letters nobody retried within 30
days, and outbox rows with no delivery left. Pending, held and sending rows are never purged,
so nothing is lost that is still to be sent; a webhook's delivery log keeps the same window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_RETENTION_DAYS = 30
DEAD_KEPT = timedelta(days=30)
BATCH = 5000

# A digest takes its gathered emails with it (their foreign key cascades).
_SENT = text("""
DELETE FROM notification_deliveries
 WHERE (school_id, id) IN (
   SELECT d.school_id, d.id FROM notification_deliveries d
     LEFT JOIN school_settings ss ON ss.school_id = d.school_id
    WHERE d.status = 'sent'
      AND d.sent_at < :now - make_interval(
            days => COALESCE(ss.notification_retention_days, :default_days))
    LIMIT :batch)""")

# A dead letter's `next_attempt_at` is when its last attempt failed, give or take its backoff.
_DEAD = text("""
DELETE FROM notification_deliveries
 WHERE (school_id, id) IN (
   SELECT school_id, id FROM notification_deliveries
    WHERE status = 'dead' AND next_attempt_at < :dead_before
    LIMIT :batch)""")

_OUTBOX = text("""
DELETE FROM notification_outbox
 WHERE (school_id, id) IN (
   SELECT o.school_id, o.id FROM notification_outbox o
     LEFT JOIN school_settings ss ON ss.school_id = o.school_id
    WHERE o.fanned_out_at IS NOT NULL
      AND o.created_at < :now - make_interval(
            days => COALESCE(ss.notification_retention_days, :default_days))
      AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                       WHERE d.school_id = o.school_id AND d.outbox_id = o.id)
    LIMIT :batch)""")


@dataclass(frozen=True)
class Purged:
    sent: int
    dead: int
    outbox: int


async def purge(session: AsyncSession, *, now: datetime | None = None,
                batch: int = BATCH) -> Purged:
    """One round of deletions (up to `batch` rows each) in the schools the session may see."""
    now = now or datetime.now(UTC)
    params = {"now": now, "default_days": DEFAULT_RETENTION_DAYS, "batch": batch,
              "dead_before": now - DEAD_KEPT}
    sent = await session.execute(_SENT, params)
    dead = await session.execute(_DEAD, params)
    outbox = await session.execute(_OUTBOX, params)
    return Purged(*(int(r.rowcount or 0) for r in (sent, dead, outbox)))  # type: ignore[attr-defined]
