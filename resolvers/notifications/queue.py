"""The delivery queue over PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several workers share it.

1. `fan_out`: outbox rows not yet fanned out become one delivery per recipient and channel.
   Recipients: the student and their guardians, each only when they have an account and the
   event's kind allowed; by email with an address and email on (their preferences), by push
   to each browser they registered. A guardian of another child is never a recipient. A
   delivery due inside the recipient's quiet hours (the school's time zone) waits for their
   end; an email to someone who takes the daily digest is held for it (digest.py).
2. `claim`: due deliveries (and ones whose lease ran out: a worker died while sending) are
   leased to one worker and their attempt counted, in a short transaction of their own.
3. The worker sends each one and records the outcome (`record_sent` / `record_failure`),
   fenced by the attempt number it claimed, so a worker that comes back late cannot overwrite
   a newer attempt. A failure is retried after `backoff(attempt)`; after `MAX_ATTEMPTS` the
   delivery is dead (a dead letter an administrator can list and retry).

Every function takes a session scoped (RLS) to the schools it works on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL_EMAIL = "email"
CHANNEL_DIGEST = "digest"
CHANNEL_PUSH = "push"
CHANNEL_WEBHOOK = "webhook"
MODE_DIGEST = "digest"
DEFAULT_DIGEST_HOUR = 18
KINDS = ("mark", "absence", "homework", "grade")
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=2)
BATCH = 100


def backoff(attempt: int, base: timedelta = BACKOFF_BASE) -> timedelta:
    """Wait before attempt `attempt + 1` after `attempt` failed: base·2^(attempt−1), capped
    (30 s, 1 min, 2 min, 4 min, 8 min with the defaults; then dead)."""
    return min(base * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)


def quiet_end(now: datetime, zone: str, quiet_from: time | None,
              quiet_until: time | None) -> datetime | None:
    """When the quiet hours that hold at `now` end (an aware UTC time), or None when `now` is
    outside them. Hours are local to the school's time zone and may wrap midnight
    (22:00–07:00)."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if quiet_from < quiet_until:
        inside = quiet_from <= t < quiet_until
        end_day = local.date()
    else:
        inside = t >= quiet_from or t < quiet_until
        end_day = local.date() + timedelta(days=1) if t >= quiet_from else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, quiet_until, tz).astimezone(UTC)


def digest_time(now: datetime, zone: str, hour: int) -> datetime:
    """When the daily digest that takes a change made at `now` goes out (aware UTC): the
    school's digest hour today, local time, or tomorrow's once today's has come."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), time(hour), tz)
    if local >= at:
        at = datetime.combine(local.date() + timedelta(days=1), time(hour), tz)
    return at.astimezone(UTC)


_PENDING_OUTBOX = text("""
SELECT o.school_id, o.id, o.kind, o.student_id, o.entity_id, o.group_id, o.created_at
  FROM notification_outbox o
 WHERE o.fanned_out_at IS NULL
 ORDER BY o.created_at
 LIMIT :batch
   FOR UPDATE SKIP LOCKED""")

# Every (outbox row, recipient, channel) of a batch in one statement: the student of the row
# (or, for homework, the members of the lesson's group on the lesson's day) and their
# guardians; for a message, the thread's other participants; for an announcement, the class's
# students now and their guardians. Only people with an account and the kind allowed (a
# message is sent whatever the event filter: it is written to the person). Email: with an
# address, email on, and for a message, messages by email on. Push: each browser the person
# registered.
_RECIPIENTS = text("""
WITH batch AS (
  SELECT * FROM unnest(CAST(:schools AS uuid[]), CAST(:ids AS uuid[]), CAST(:kinds AS text[]),
                       CAST(:students AS uuid[]), CAST(:entities AS uuid[]))
         AS b(school_id, outbox_id, kind, student_id, entity_id)
), students AS (
  SELECT b.school_id, b.outbox_id, b.kind, b.student_id FROM batch b
   WHERE b.student_id IS NOT NULL
  UNION
  SELECT b.school_id, b.outbox_id, b.kind, gm.student_id FROM batch b
    JOIN lessons l ON l.school_id = b.school_id AND l.id = b.entity_id
    JOIN group_memberships gm ON gm.school_id = l.school_id AND gm.group_id = l.group_id
                              AND gm.starts_on <= l.date
                              AND (gm.ends_on IS NULL OR gm.ends_on >= l.date)
   WHERE b.student_id IS NULL AND b.kind = 'homework'
), people AS (
  SELECT s.school_id, s.outbox_id, s.kind, s.student_id AS recipient_id FROM students s
  UNION
  SELECT s.school_id, s.outbox_id, s.kind, g.guardian_id FROM students s
    JOIN guardianships g ON g.school_id = s.school_id AND g.student_id = s.student_id
  UNION
  SELECT b.school_id, b.outbox_id, b.kind, p.person_id FROM batch b
    JOIN messages ms ON ms.school_id = b.school_id AND ms.id = b.entity_id
    JOIN message_participants p ON p.school_id = ms.school_id AND p.thread_id = ms.thread_id
                               AND p.person_id <> ms.author_id
   WHERE b.kind = 'message'
), announced AS (
  SELECT b.school_id, b.outbox_id, b.kind, e.student_id FROM batch b
    JOIN announcements a ON a.school_id = b.school_id AND a.id = b.entity_id
    JOIN schools sc ON sc.id = a.school_id
    JOIN enrollments e ON e.school_id = a.school_id AND e.class_id = a.class_id
                      AND e.starts_on <= CAST(now() AT TIME ZONE sc.timezone AS date)
                      AND (e.ends_on IS NULL
                           OR e.ends_on >= CAST(now() AT TIME ZONE sc.timezone AS date))
   WHERE b.kind = 'message'
), everyone AS (
  SELECT * FROM people
  UNION
  SELECT * FROM announced
  UNION
  SELECT a.school_id, a.outbox_id, a.kind, g.guardian_id FROM announced a
    JOIN guardianships g ON g.school_id = a.school_id AND g.student_id = a.student_id
)
SELECT p.school_id, p.outbox_id, p.recipient_id, 'email' AS channel,
       CAST(NULL AS uuid) AS subscription_id, sc.timezone, np.quiet_from, np.quiet_until,
       np.email_mode, COALESCE(ss.digest_hour, :default_hour) AS digest_hour
  FROM everyone p
  JOIN persons pr ON pr.school_id = p.school_id AND pr.id = p.recipient_id
                 AND pr.account_id IS NOT NULL
  JOIN notification_preferences np ON np.school_id = p.school_id
                                  AND np.person_id = p.recipient_id
  JOIN schools sc ON sc.id = p.school_id
  LEFT JOIN school_settings ss ON ss.school_id = p.school_id
 WHERE np.email_enabled AND np.email IS NOT NULL
   AND (np.events IS NULL OR p.kind = ANY (np.events) OR p.kind = 'message')
   AND (p.kind <> 'message' OR np.message_email)
UNION ALL
SELECT p.school_id, p.outbox_id, p.recipient_id, 'push', ps.id, sc.timezone, np.quiet_from,
       np.quiet_until, 'immediate', :default_hour
  FROM everyone p
  JOIN persons pr ON pr.school_id = p.school_id AND pr.id = p.recipient_id
                 AND pr.account_id IS NOT NULL
  JOIN push_subscriptions ps ON ps.school_id = p.school_id AND ps.person_id = p.recipient_id
  JOIN schools sc ON sc.id = p.school_id
  LEFT JOIN notification_preferences np ON np.school_id = p.school_id
                                       AND np.person_id = p.recipient_id
 WHERE np.events IS NULL OR p.kind = ANY (np.events) OR p.kind = 'message'""")

# A held delivery (a daily digest's) waits, status `held`, until its digest is made.
_INSERT_DELIVERIES = text("""
INSERT INTO notification_deliveries (school_id, id, outbox_id, recipient_id, channel,
                                     push_subscription_id, idempotency_key, status,
                                     next_attempt_at)
SELECT d.school_id, gen_random_uuid(), d.outbox_id, d.recipient_id, d.channel,
       d.subscription_id,
       d.outbox_id::text || ':' || COALESCE(d.subscription_id, d.recipient_id)::text || ':'
         || d.channel,
       d.status, d.due
  FROM unnest(CAST(:schools AS uuid[]), CAST(:outboxes AS uuid[]),
              CAST(:recipients AS uuid[]), CAST(:channels AS text[]),
              CAST(:subscriptions AS uuid[]), CAST(:statuses AS text[]),
              CAST(:dues AS timestamptz[]))
       AS d(school_id, outbox_id, recipient_id, channel, subscription_id, status, due)
ON CONFLICT (school_id, idempotency_key) DO NOTHING""")

# Webhooks of the row's school whose filter takes its kind, created before the change, of a
# token that is live and may read (a token revoked later gets nothing from then on: the worker
# checks again when sending). Never a message: tokens do not read messages.
_WEBHOOK_DELIVERIES = text("""
INSERT INTO notification_deliveries (school_id, id, outbox_id, webhook_id, channel,
                                     idempotency_key)
SELECT b.school_id, gen_random_uuid(), b.outbox_id, w.id, 'webhook',
       b.outbox_id::text || ':' || w.id::text || ':' || 'webhook'
  FROM unnest(CAST(:schools AS uuid[]), CAST(:ids AS uuid[]), CAST(:kinds AS text[]),
              CAST(:created AS timestamptz[]))
       AS b(school_id, outbox_id, kind, created_at)
  JOIN webhooks w ON w.school_id = b.school_id AND w.created_at <= b.created_at
                 AND b.kind <> 'message'
                 AND (w.events IS NULL OR b.kind = ANY (w.events))
  JOIN api_tokens t ON t.id = w.token_id AND t.revoked_at IS NULL
                   AND (t.expires_at IS NULL OR t.expires_at > :now) AND 'read' = ANY (t.scopes)
ON CONFLICT (school_id, idempotency_key) DO NOTHING""")

_MARK_FANNED = text("""
UPDATE notification_outbox SET fanned_out_at = clock_timestamp()
 WHERE (school_id, id) IN (SELECT * FROM unnest(CAST(:schools AS uuid[]),
                                                CAST(:ids AS uuid[])))""")


async def fan_out(session: AsyncSession, *, now: datetime | None = None,
                  batch: int = BATCH) -> int:
    """Turn up to `batch` unclaimed outbox rows into deliveries; the number of deliveries
    made. Five statements whatever the batch holds."""
    rows = (await session.execute(_PENDING_OUTBOX, {"batch": batch})).all()
    if not rows:
        return 0
    now = now or datetime.now(UTC)
    params = {"schools": [r.school_id for r in rows], "ids": [r.id for r in rows],
              "kinds": [r.kind for r in rows], "students": [r.student_id for r in rows],
              "entities": [r.entity_id for r in rows]}
    found = (await session.execute(_RECIPIENTS, {**params,
                                                  "default_hour": DEFAULT_DIGEST_HOUR})).all()
    if found:
        held = [r.channel == CHANNEL_EMAIL and r.email_mode == MODE_DIGEST for r in found]
        dues = [digest_time(now, r.timezone, r.digest_hour) if digest
                else quiet_end(now, r.timezone, r.quiet_from, r.quiet_until) or now
                for r, digest in zip(found, held, strict=True)]
        await session.execute(_INSERT_DELIVERIES, {
            "schools": [r.school_id for r in found], "outboxes": [r.outbox_id for r in found],
            "recipients": [r.recipient_id for r in found],
            "channels": [r.channel for r in found],
            "subscriptions": [r.subscription_id for r in found],
            "statuses": ["held" if digest else "pending" for digest in held], "dues": dues})
    hooks = await session.execute(_WEBHOOK_DELIVERIES, {
        "schools": params["schools"], "ids": params["ids"], "kinds": params["kinds"],
        "created": [r.created_at for r in rows], "now": now})
    await session.execute(_MARK_FANNED, {"schools": params["schools"], "ids": params["ids"]})
    return len(found) + int(hooks.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DigestItem:
    """One change a digest reports: which kind, for which student (first name) in which
    subject, and the id of the entry (a message's, read in the diary)."""

    kind: str
    entity: str
    entity_id: uuid.UUID
    student_first_name: str | None
    subject_name: str | None


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this worker, with what its message needs."""

    school_id: uuid.UUID
    id: uuid.UUID
    attempts: int
    idempotency_key: str
    channel: str
    recipient_id: uuid.UUID | None
    email: str | None
    kind: str
    student_first_name: str | None
    subject_name: str | None
    # a webhook's: where, its secret, whether its token may still read, and the event's ids
    webhook_id: uuid.UUID | None
    url: str | None
    secret: str | None
    token_live: bool | None
    entity: str
    op: str
    entity_id: uuid.UUID
    student_id: uuid.UUID | None
    group_id: uuid.UUID | None
    occurred_at: datetime
    # a push delivery's browser subscription
    push_subscription_id: uuid.UUID | None = None
    endpoint: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    # a digest's changes, oldest first
    items: tuple[DigestItem, ...] = ()


# What a message may say of an outbox row `o`: the student's first name and the subject
# (through the lesson, for homework). One fragment for a delivery and a digest's items.
_DETAILS = """
  LEFT JOIN lessons ls ON o.kind = 'homework' AND ls.school_id = o.school_id
                      AND ls.id = o.entity_id
  LEFT JOIN persons st ON st.school_id = o.school_id AND st.id = o.student_id
  LEFT JOIN study_groups g ON g.school_id = o.school_id
                          AND g.id = COALESCE(o.group_id, ls.group_id)
  LEFT JOIN subjects sj ON sj.school_id = g.school_id AND sj.id = g.subject_id"""

# A digest has no outbox row: its kind is `digest`, its entity itself.
_CLAIM = text("""
WITH due AS (
  SELECT school_id, id FROM notification_deliveries
   WHERE (status = 'pending' AND next_attempt_at <= :now)
      OR (status = 'sending' AND locked_until < :now)
   ORDER BY next_attempt_at
   LIMIT :batch
     FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE notification_deliveries d
     SET status = 'sending', attempts = d.attempts + 1, locked_until = :lease_end
    FROM due WHERE d.school_id = due.school_id AND d.id = due.id
  RETURNING d.*
)
SELECT l.school_id, l.id, l.attempts, l.idempotency_key, l.channel, l.recipient_id,
       np.email, COALESCE(o.kind, l.channel) AS kind, st.first_name AS student_first_name,
       sj.name AS subject_name, l.webhook_id, w.url, w.secret,
       (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > :now)
        AND 'read' = ANY (t.scopes)) AS token_live,
       COALESCE(o.entity, 'notification_deliveries') AS entity, COALESCE(o.op, 'insert') AS op,
       COALESCE(o.entity_id, l.id) AS entity_id, o.student_id, o.group_id,
       COALESCE(o.created_at, l.created_at) AS occurred_at,
       l.push_subscription_id, ps.endpoint, ps.p256dh, ps.auth
  FROM leased l
  LEFT JOIN notification_outbox o ON o.school_id = l.school_id AND o.id = l.outbox_id
  LEFT JOIN notification_preferences np ON np.school_id = l.school_id
                                       AND np.person_id = l.recipient_id""" + _DETAILS + """
  LEFT JOIN webhooks w ON w.school_id = l.school_id AND w.id = l.webhook_id
  LEFT JOIN api_tokens t ON t.id = w.token_id
  LEFT JOIN push_subscriptions ps ON ps.school_id = l.school_id
                                 AND ps.id = l.push_subscription_id""")

_DIGEST_ITEMS = text("""
SELECT i.digest_id, o.kind, o.entity, o.entity_id, st.first_name AS student_first_name,
       sj.name AS subject_name
  FROM notification_deliveries i
  JOIN notification_outbox o ON o.school_id = i.school_id AND o.id = i.outbox_id""" + _DETAILS + """
 WHERE (i.school_id, i.digest_id) IN (SELECT * FROM unnest(CAST(:schools AS uuid[]),
                                                            CAST(:ids AS uuid[])))
 ORDER BY o.created_at, o.id""")


async def claim(session: AsyncSession, *, now: datetime | None = None, lease: timedelta = LEASE,
                batch: int = BATCH) -> list[Claimed]:
    """Lease up to `batch` due deliveries to the caller (commit right after: the lease is what
    keeps other workers off them, not a held lock). One more statement when digests are
    among them, for their items."""
    now = now or datetime.now(UTC)
    rows = (await session.execute(_CLAIM, {"now": now, "lease_end": now + lease,
                                            "batch": batch})).all()
    digests = [r for r in rows if r.channel == CHANNEL_DIGEST]
    items: dict[uuid.UUID, list[DigestItem]] = {r.id: [] for r in digests}
    if digests:
        found = await session.execute(_DIGEST_ITEMS, {"schools": [r.school_id for r in digests],
                                                      "ids": [r.id for r in digests]})
        for r in found:
            items[r.digest_id].append(DigestItem(
                kind=r.kind, entity=r.entity, entity_id=r.entity_id,
                student_first_name=r.student_first_name, subject_name=r.subject_name))
    return [Claimed(**r._asdict(), items=tuple(items.get(r.id, ()))) for r in rows]


_SENT = text("""
UPDATE notification_deliveries
   SET status = 'sent', sent_at = clock_timestamp(), locked_until = NULL, last_error = NULL,
       response_status = :response
 WHERE school_id = :school AND id = :id AND status = 'sending' AND attempts = :attempts""")

_FAILED = text("""
UPDATE notification_deliveries
   SET status = CASE WHEN attempts >= :max THEN 'dead' ELSE 'pending' END,
       next_attempt_at = :retry_at, locked_until = NULL, last_error = :error,
       response_status = :response
 WHERE school_id = :school AND id = :id AND status = 'sending' AND attempts = :attempts""")


async def record_sent(session: AsyncSession, delivery: Claimed,
                      response: int | None = None) -> None:
    await session.execute(_SENT, {"school": delivery.school_id, "id": delivery.id,
                                  "attempts": delivery.attempts, "response": response})


async def record_failure(session: AsyncSession, delivery: Claimed, error: str, *,
                         now: datetime | None = None, max_attempts: int = MAX_ATTEMPTS,
                         base: timedelta = BACKOFF_BASE, response: int | None = None) -> None:
    now = now or datetime.now(UTC)
    await session.execute(_FAILED, {
        "school": delivery.school_id, "id": delivery.id, "attempts": delivery.attempts,
        "max": max_attempts, "retry_at": now + backoff(delivery.attempts, base),
        "error": error[:1000], "response": response})


_RETRY = text("""
UPDATE notification_deliveries
   SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(),
       locked_until = NULL
 WHERE school_id = :school AND id = :id AND status = 'dead'""")


async def retry_dead(session: AsyncSession, school_id: uuid.UUID,
                     delivery_id: uuid.UUID) -> bool:
    """Put one dead letter back in the queue with its attempts reset; False when there is no
    dead delivery of that id in the school."""
    result = await session.execute(_RETRY, {"school": school_id, "id": delivery_id})
    return bool(result.rowcount)  # type: ignore[attr-defined]
