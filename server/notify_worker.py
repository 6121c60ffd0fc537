"""`zhurnal worker`: delivers the notification outbox (docs/notifications.md).

A loop: fan the outbox out to deliveries, make the daily digests whose hour has come, claim
due deliveries (FOR UPDATE SKIP LOCKED, so several workers may run at once), send each,
record the outcome; once an hour, purge what was delivered long ago. Only PostgreSQL is
needed. Email (and digests) go over SMTP with the standard library (smtplib, in a thread): no
dependency, any server; settings ZHURNAL_SMTP_* (SmtpSettings). Web Push is encrypted and
VAPID-signed by pywebpush (keys ZHURNAL_VAPID_*). Webhooks are POSTed with httpx, signed
(resolvers/notifications/webhooks.py). Delivery is at least once: a worker that dies
after sending but before recording it leaves a lease that runs out, and the message is sent
again with the same Message-ID (its idempotency key), so the receiving side can tell.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.audit import seal
from db.engine import transaction
from db.models import School
from db.tenancy import set_tenant_async
from resolvers.notifications import digest, purge, push, queue, webhooks
from resolvers.notifications.unsubscribe import make_token

log = logging.getLogger(__name__)

SUBJECT = "Новая запись в дневнике"
KIND_TEXT = {
    "mark": "Новая или изменённая отметка",
    "absence": "Отметка о посещаемости",
    "homework": "Домашнее задание задано или изменено",
    "grade": "Оценка за период, год, экзамен или итоговая",
    "message": "У вас новое сообщение",
}
# A message's email says only that one arrived (no sender, no text): it is read in the diary.
MESSAGE_SUBJECT = "Новое сообщение в дневнике"
# A digest's subject names the day only.
DIGEST_SUBJECT = "Электронный дневник: сводка за {day}"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "zhurnal@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10.0
    # Where links in an email point: the server's public address.
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls) -> SmtpSettings:
        env = os.environ.get
        return cls(host=env("ZHURNAL_SMTP_HOST", "localhost"),
                   port=int(env("ZHURNAL_SMTP_PORT", "25")),
                   user=env("ZHURNAL_SMTP_USER") or None,
                   password=env("ZHURNAL_SMTP_PASSWORD") or None,
                   sender=env("ZHURNAL_SMTP_FROM", "zhurnal@localhost"),
                   starttls=env("ZHURNAL_SMTP_STARTTLS", "0") == "1",
                   ssl=env("ZHURNAL_SMTP_SSL", "0") == "1",
                   timeout=float(env("ZHURNAL_SMTP_TIMEOUT", "10")),
                   public_url=env("ZHURNAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"))


def _item_lines(kind: str, first_name: str | None, subject: str | None, entity: str,
                entity_id: object) -> list[str]:
    """What an email says of one change: which kind of entry, for which child, in which
    subject (only what the recipient may see in the diary); a message by its id alone."""
    lines = [KIND_TEXT.get(kind, "Новая запись") + "."]
    if first_name:
        lines.append(f"Ученик: {first_name}.")
    if subject:
        lines.append(f"Предмет: {subject}.")
    if kind == "message":
        lines.append(f"Номер: {entity}/{entity_id}.")
    return lines


def build_email(d: queue.Claimed, smtp: SmtpSettings, secret: str) -> EmailMessage:
    """The message of one delivery: a subject with no mark and no name, a body with only what
    the recipient may see (which kind of entry, for which of their children, in which subject;
    the entry itself is read in the diary), and an unsubscribe link. A digest lists each
    change of its day so."""
    link = (f"{smtp.public_url}/notifications/unsubscribe?token="
            f"{make_token(secret, d.school_id, d.recipient_id, queue.CHANNEL_EMAIL)}")
    msg = EmailMessage()
    if d.channel == queue.CHANNEL_DIGEST:
        day = d.idempotency_key.rsplit(":", 1)[-1]
        msg["Subject"] = DIGEST_SUBJECT.format(day=".".join(reversed(day.split("-"))))
    else:
        msg["Subject"] = MESSAGE_SUBJECT if d.kind == "message" else SUBJECT
    msg["From"] = smtp.sender
    msg["To"] = d.email or ""
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{d.idempotency_key.replace(':', '.')}@zhurnal>"
    msg["X-Zhurnal-Idempotency-Key"] = d.idempotency_key
    msg["List-Unsubscribe"] = f"<{link}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if d.channel == queue.CHANNEL_DIGEST:
        lines = [f"Записей за день: {len(d.items)}.", ""]
        for n, item in enumerate(d.items, 1):
            found = _item_lines(item.kind, item.student_first_name, item.subject_name,
                                item.entity, item.entity_id)
            lines += [f"{n}. {found[0]}", *(f"   {line}" for line in found[1:])]
    else:
        lines = _item_lines(d.kind, d.student_first_name, d.subject_name, d.entity,
                            d.entity_id)
    lines += ["", "Подробности — в электронном дневнике.", "",
              f"Отписаться от писем: {link}"]
    msg.set_content("\n".join(lines))
    return msg


def send_email(msg: EmailMessage, smtp: SmtpSettings) -> None:
    """One message over SMTP (blocking; the worker runs it in a thread)."""
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


class DeliveryFailed(Exception):
    """A failed attempt, with the receiver's HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# Sends one delivery; returns the receiver's HTTP status (webhooks) or None; raises on failure.
Sender = Callable[[queue.Claimed], Awaitable[int | None]]


def email_sender(smtp: SmtpSettings, secret: str) -> Sender:
    async def send(d: queue.Claimed) -> int | None:
        if not d.email:
            raise DeliveryFailed("the recipient has no email address any more")
        if d.channel == queue.CHANNEL_DIGEST and not d.items:
            return None  # its changes are gone (purged with their rows): nothing to say
        await asyncio.to_thread(send_email, build_email(d, smtp, secret), smtp)
        return None
    return send


WEBHOOK_TIMEOUT = 10.0


def webhook_sender(client: httpx.AsyncClient) -> Sender:
    """POST the signed payload; any 2xx is delivered, anything else (or no answer) a failed
    attempt."""
    async def send(d: queue.Claimed) -> int | None:
        if not d.url or not d.secret:
            raise DeliveryFailed("the webhook was deleted")
        if not d.token_live:
            raise DeliveryFailed("the webhook's token is revoked, expired or may not read")
        body = webhooks.payload(
            delivery_key=d.idempotency_key, kind=d.kind, op=d.op, school_id=d.school_id,
            entity=d.entity, entity_id=d.entity_id, student_id=d.student_id,
            group_id=d.group_id, occurred_at=d.occurred_at)
        headers = {"Content-Type": "application/json",
                   webhooks.SIGNATURE_HEADER: webhooks.sign(d.secret, int(time.time()), body),
                   webhooks.DELIVERY_HEADER: d.idempotency_key}
        try:
            response = await client.post(d.url, content=body, headers=headers,
                                         timeout=WEBHOOK_TIMEOUT)
        except httpx.HTTPError as err:
            raise DeliveryFailed(f"{type(err).__name__}: {err}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
        return response.status_code
    return send


class SubscriptionGone(DeliveryFailed):
    """The push service no longer knows the subscription (404 or 410): it is deleted."""


PUSH_TTL = 24 * 3600  # a browser offline for a day misses the push; the diary still has it


def push_sender(vapid: push.VapidKeys | None) -> Sender:
    """Encrypt the payload for the browser (RFC 8291, aes128gcm) and POST it to its push
    service with a VAPID token (pywebpush); any answer up to 202 is delivered."""
    from pywebpush import WebPushException, webpush

    def post(d: queue.Claimed, body: bytes) -> int:
        assert vapid is not None and d.endpoint and d.p256dh and d.auth
        response = webpush(
            subscription_info={"endpoint": d.endpoint,
                               "keys": {"p256dh": d.p256dh, "auth": d.auth}},
            data=body, vapid_private_key=vapid.private_key,
            vapid_claims={"sub": vapid.subject}, content_encoding="aes128gcm",
            ttl=PUSH_TTL, timeout=WEBHOOK_TIMEOUT)
        return int(getattr(response, "status_code", 201))

    async def send(d: queue.Claimed) -> int | None:
        if vapid is None:
            raise DeliveryFailed("Web Push is not configured (ZHURNAL_VAPID_PRIVATE_KEY, "
                                 "ZHURNAL_VAPID_PUBLIC_KEY)")
        if not d.endpoint:
            raise DeliveryFailed("the push subscription is gone")
        body = push.payload(delivery_key=d.idempotency_key, kind=d.kind,
                            school_id=d.school_id, entity=d.entity, entity_id=d.entity_id,
                            student_id=d.student_id)
        try:
            return await asyncio.to_thread(post, d, body)
        except WebPushException as err:
            status = getattr(err.response, "status_code", None)
            if status in (404, 410):
                raise SubscriptionGone(f"HTTP {status}: subscription gone", status) from None
            raise DeliveryFailed(f"HTTP {status}" if status else str(err), status) from None
    return send


def by_channel(**senders: Sender) -> Sender:
    """One sender that hands each delivery to its channel's."""
    async def send(d: queue.Claimed) -> int | None:
        chosen = senders.get(d.channel)
        if chosen is None:
            raise DeliveryFailed(f"no sender for channel {d.channel}")
        return await chosen(d)
    return send


def all_channels(smtp: SmtpSettings, secret: str, client: httpx.AsyncClient,
                 vapid: push.VapidKeys | None = None) -> Sender:
    """The sender `zhurnal worker` uses: email and digests over SMTP, Web Push signed with
    `vapid`, webhooks with `client`."""
    mail = email_sender(smtp, secret)
    return by_channel(email=mail, digest=mail, push=push_sender(vapid),
                      webhook=webhook_sender(client))


async def _all_schools(session: AsyncSession) -> None:
    schools = (await session.scalars(select(School.id))).all()
    await set_tenant_async(session, schools)


async def run_once(sessions: async_sessionmaker[AsyncSession], send: Sender, *,
                   max_attempts: int = queue.MAX_ATTEMPTS,
                   base: timedelta = queue.BACKOFF_BASE,
                   lease: timedelta = queue.LEASE, batch: int = queue.BATCH,
                   now: datetime | None = None) -> int:
    """One pass: fan out, make the digests whose hour has come, claim, send, record. The
    number of deliveries attempted. `now` stands for the clock (a test drives it)."""
    async with transaction(sessions) as session:
        await _all_schools(session)
        await queue.fan_out(session, batch=batch, now=now)
        await digest.assemble(session, now=now, batch=batch * 10)
    async with transaction(sessions) as session:
        await _all_schools(session)
        claimed = await queue.claim(session, lease=lease, batch=batch, now=now)
    for d in claimed:
        try:
            status = await send(d)
        except asyncio.CancelledError:
            raise
        except SubscriptionGone:
            assert d.push_subscription_id is not None
            log.info("push subscription %s gone; deleted", d.push_subscription_id)
            async with transaction(sessions) as session:
                await set_tenant_async(session, [d.school_id])
                await push.forget(session, d.school_id, d.push_subscription_id)
            await seal(sessions)
            continue
        except Exception as err:  # recorded; retried with backoff, then a dead letter
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            log.warning("delivery %s attempt %d failed: %s", d.id, d.attempts, reason)
            async with transaction(sessions) as session:
                await set_tenant_async(session, [d.school_id])
                await queue.record_failure(session, d, reason, max_attempts=max_attempts,
                                           base=base, response=getattr(err, "status", None),
                                           now=now)
            continue
        async with transaction(sessions) as session:
            await set_tenant_async(session, [d.school_id])
            await queue.record_sent(session, d, status)
    return len(claimed)


async def purge_old(sessions: async_sessionmaker[AsyncSession], *,
                    now: datetime | None = None) -> purge.Purged:
    """Delete what was delivered longer ago than each school keeps it (resolvers/
    notifications/purge.py), in every school."""
    async with transaction(sessions) as session:
        await _all_schools(session)
        return await purge.purge(session, now=now)


PURGE_EVERY = 3600.0  # seconds: a day's rows are few; once an hour keeps the queue small


async def run_forever(sessions: async_sessionmaker[AsyncSession], send: Sender, *,
                      poll: float = 1.0, lease: timedelta = queue.LEASE) -> None:
    """`run_once` until cancelled; sleeps `poll` seconds when there was nothing to do, and
    keeps going when the database is away. Purges old rows once an hour."""
    purged_at = float("-inf")
    while True:
        try:
            if time.monotonic() - purged_at >= PURGE_EVERY:
                purged_at = time.monotonic()
                gone = await purge_old(sessions)
                if gone.sent or gone.dead or gone.outbox:
                    log.info("purged %s", gone)
            done = await run_once(sessions, send, lease=lease)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("notification worker pass failed: %s", err)
            done = 0
        if not done:
            await asyncio.sleep(poll)
