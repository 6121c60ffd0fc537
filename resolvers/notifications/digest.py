"""The daily email digest: at the school's digest hour, the email deliveries held for a
recipient who takes a digest become one delivery of channel `digest` per recipient and day.

Its idempotency key is `digest:<person>:<local day>` and unique in the school, so however
often (and by however many workers) the assembly runs, a recipient gets one digest a day; the
items move from `held` to `digested` in the same transaction as the digest is made. A digest
is then sent like any delivery (lease, retries, dead letter, the same Message-ID on a resend).
An item that finds its day's digest already claimed (made late, e.g. by a clock driven by a
test, or after the school moved its hour) goes to the next day's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Held items whose hour has come, locked so two workers assemble disjoint sets; each with the
# key of its digest (the local day of its hour in the school's time zone).
_DUE = text("""
SELECT d.school_id, d.id, d.recipient_id,
       'digest:' || d.recipient_id::text || ':'
         || to_char(d.next_attempt_at AT TIME ZONE sc.timezone, 'YYYY-MM-DD') AS key
  FROM notification_deliveries d
  JOIN schools sc ON sc.id = d.school_id
 WHERE d.status = 'held' AND d.next_attempt_at <= :now
 ORDER BY d.next_attempt_at
 LIMIT :batch
   FOR UPDATE OF d SKIP LOCKED""")

_MAKE = text("""
INSERT INTO notification_deliveries (school_id, id, recipient_id, channel, idempotency_key,
                                     next_attempt_at)
SELECT DISTINCT ON (k.school_id, k.key) k.school_id, gen_random_uuid(), k.recipient_id,
       'digest', k.key, :now
  FROM unnest(CAST(:schools AS uuid[]), CAST(:recipients AS uuid[]), CAST(:keys AS text[]))
       AS k(school_id, recipient_id, key)
ON CONFLICT (school_id, idempotency_key) DO NOTHING""")

# The digests still waiting to be claimed, locked: a worker claiming one now waits, so it
# reads the items attached here.
_ATTACH = text("""
WITH open AS (
  SELECT g.school_id, g.id, g.idempotency_key FROM notification_deliveries g
   WHERE (g.school_id, g.idempotency_key) IN (
           SELECT * FROM unnest(CAST(:schools AS uuid[]), CAST(:keys AS text[])))
     AND g.status = 'pending'
     FOR UPDATE
)
UPDATE notification_deliveries d
   SET status = 'digested', digest_id = open.id
  FROM unnest(CAST(:schools AS uuid[]), CAST(:ids AS uuid[]), CAST(:keys AS text[]))
       AS i(school_id, id, key)
  JOIN open ON open.school_id = i.school_id AND open.idempotency_key = i.key
 WHERE d.school_id = i.school_id AND d.id = i.id""")

_NEXT_DAY = text("""
UPDATE notification_deliveries SET next_attempt_at = next_attempt_at + interval '1 day'
 WHERE (school_id, id) IN (SELECT * FROM unnest(CAST(:schools AS uuid[]),
                                                CAST(:ids AS uuid[])))
   AND status = 'held'""")


async def assemble(session: AsyncSession, *, now: datetime | None = None,
                   batch: int = 1000) -> int:
    """Make the digests whose hour has come; the number of held emails gathered. Four
    statements whatever the batch holds."""
    now = now or datetime.now(UTC)
    rows = (await session.execute(_DUE, {"now": now, "batch": batch})).all()
    if not rows:
        return 0
    schools = [r.school_id for r in rows]
    keys = [r.key for r in rows]
    await session.execute(_MAKE, {"now": now, "schools": schools, "keys": keys,
                                  "recipients": [r.recipient_id for r in rows]})
    ids = [r.id for r in rows]
    attached = await session.execute(_ATTACH, {"schools": schools, "ids": ids, "keys": keys})
    await session.execute(_NEXT_DAY, {"schools": schools, "ids": ids})
    return int(attached.rowcount or 0)  # type: ignore[attr-defined]

