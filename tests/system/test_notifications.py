"""Notifications with real parts: the outbox written by triggers in the writer's transaction,
the worker over the real database (RLS on, the application role), email to a real SMTP server
in-process (aiosmtpd), the unsubscribe link over real HTTP."""

from __future__ import annotations

import asyncio
import email
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from email import policy
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import models as m
from db.engine import DatabaseUrls, app_engine, app_sessions, owner_session, transaction
from db.tenancy import set_tenant, set_tenant_async
from resolvers.notifications import push, queue
from resolvers.notifications.unsubscribe import make_token
from schema.ids import to_global_id as gid
from server import notify_worker as worker
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.server_fixture import STARTUP_SECONDS, TEST_SETTINGS, free_port

SECRET = TEST_SETTINGS.secret_key
VAPID = push.VapidKeys(*push.new_vapid_keys(), subject="mailto:test@example.test")


@dataclass
class Inbox:
    """What the in-process SMTP server received; `reject` makes it refuse every message."""

    messages: list[Message] = field(default_factory=list)
    reject: bool = False
    # a message to this address is recorded, then never answered (the sender hangs in DATA)
    stall_for: str | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd names it
        if self.reject:
            return "554 5.7.1 rejected by the test"
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        if self.stall_for is not None and msg["To"] == self.stall_for:
            self.stalled.set()
            await asyncio.sleep(60)
            return "451 4.3.0 the test gave up"
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [msg for msg in self.messages if msg["To"] == address]


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, worker.SmtpSettings]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, worker.SmtpSettings(host="127.0.0.1", port=port, timeout=5,
                                         public_url="http://zhurnal.test")
    finally:
        controller.stop()


@pytest.fixture()
async def sessions(database: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = app_engine(database.app)
    yield app_sessions(engine)
    await engine.dispose()


def prefer(database: DatabaseUrls, school_id: uuid.UUID, person_id: uuid.UUID, address: str,
           **values: object) -> None:
    """The person's preferences, replacing any an earlier test left (the schools' named
    people are shared by every test of the run)."""
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        s.execute(text("DELETE FROM notification_preferences WHERE school_id = :s "
                       "AND person_id = :p"), {"s": school_id, "p": person_id})
        s.add(m.NotificationPreference(school_id=school_id, id=uuid.uuid4(),
                                       person_id=person_id, email=address, **values))


def family(database: DatabaseUrls, schools: TwoSchools, **student_prefs: object
           ) -> tuple[JournalGroup, str, str]:
    """A journal group whose first student and their guardian (both with accounts) have
    email addresses; returns it with the two addresses."""
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    tag = uuid.uuid4().hex[:8]
    student, guardian = f"s-{tag}@example.test", f"g-{tag}@example.test"
    prefer(database, jg.school.id, jg.students[0], student, **student_prefs)
    prefer(database, jg.school.id, jg.guardian_id, guardian)
    return jg, student, guardian


def add_mark(database: DatabaseUrls, jg: JournalGroup, *, student: int = 0,
             rollback: bool = False) -> uuid.UUID:
    mark_id = uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Mark(school_id=jg.school.id, id=mark_id, group_id=jg.group_id, lesson_id=None,
                     student_id=jg.students[student], work_date=jg.lesson_dates[0],
                     work_type_id=jg.setup.work_type_ids["test"],
                     value_id=jg.setup.value_ids["2"], comment="Секретный комментарий"))
        s.flush()
        if rollback:
            s.rollback()
    return mark_id


def outbox_rows(database: DatabaseUrls, school_id: uuid.UUID, entity_id: uuid.UUID) -> int:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return s.scalar(select(func.count()).select_from(m.NotificationOutbox)
                        .where(m.NotificationOutbox.entity_id == entity_id)) or 0


def deliveries(database: DatabaseUrls, school_id: uuid.UUID,
               outbox_entity: uuid.UUID) -> list[m.NotificationDelivery]:
    """The email deliveries of the outbox row of a change (webhooks of other tests aside)."""
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        rows = s.scalars(select(m.NotificationDelivery).join(
            m.NotificationOutbox,
            (m.NotificationOutbox.school_id == m.NotificationDelivery.school_id)
            & (m.NotificationOutbox.id == m.NotificationDelivery.outbox_id))
            .where(m.NotificationOutbox.entity_id == outbox_entity,
                   m.NotificationDelivery.channel == "email")).all()
        s.expunge_all()
        return list(rows)


async def drain(sessions: async_sessionmaker[AsyncSession], settings: worker.SmtpSettings,
                **options: Any) -> int:
    """One pass of the worker with every channel, as `zhurnal worker` runs it, after the
    whole outbox is fanned out (other tests of this process leave rows in it)."""
    await fan_out_all(sessions, now=options.get("now"))
    options.setdefault("batch", 1000)
    async with httpx.AsyncClient() as client:
        send = worker.all_channels(settings, SECRET, client, VAPID)
        return await worker.run_once(sessions, send, **options)


async def fan_out_all(sessions: async_sessionmaker[AsyncSession], *,
                      now: datetime | None = None) -> None:
    while True:
        async with transaction(sessions) as s:
            await set_tenant_async(s, (await s.scalars(select(m.School.id))).all())
            pending = await s.scalar(select(func.count()).select_from(m.NotificationOutbox)
                                     .where(m.NotificationOutbox.fanned_out_at.is_(None)))
            if not pending:
                break
            await queue.fan_out(s, batch=1000, now=now)


def test_a_committed_mark_writes_one_outbox_row(database: DatabaseUrls,
                                                schools: TwoSchools) -> None:
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    mark_id = add_mark(database, jg)
    assert outbox_rows(database, jg.school.id, mark_id) == 1


def test_a_rolled_back_mark_writes_no_outbox_row(database: DatabaseUrls,
                                                 schools: TwoSchools) -> None:
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    mark_id = add_mark(database, jg, rollback=True)
    assert outbox_rows(database, jg.school.id, mark_id) == 0


def test_homework_set_on_a_lesson_writes_an_outbox_row_a_topic_does_not(
        database: DatabaseUrls, schools: TwoSchools) -> None:
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(text("UPDATE lessons SET topic = 'Дроби' WHERE school_id = :s AND id = :l"),
                  {"s": jg.school.id, "l": jg.lesson_ids[0]})
    assert outbox_rows(database, jg.school.id, jg.lesson_ids[0]) == 0
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(text("UPDATE lessons SET homework = '№ 5' WHERE school_id = :s AND id = :l"),
                  {"s": jg.school.id, "l": jg.lesson_ids[0]})
    assert outbox_rows(database, jg.school.id, jg.lesson_ids[0]) == 1


def test_the_application_role_of_another_school_sees_no_outbox_row(
        database: DatabaseUrls, schools: TwoSchools, app_conn) -> None:
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    mark_id = add_mark(database, jg)
    app_conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.b.id),))
    for table in ("notification_outbox", "notification_deliveries",
                  "notification_preferences"):
        assert app_conn.execute(f"SELECT count(*) FROM {table} WHERE school_id = %s",
                                (schools.a.id,)).fetchone() == (0,)
    assert app_conn.execute("SELECT count(*) FROM notification_outbox WHERE entity_id = %s",
                            (mark_id,)).fetchone() == (0,)


async def test_a_committed_mark_is_emailed_to_the_student_and_guardian_only(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    jg, student, guardian = family(database, schools)
    # whatever earlier test modules left queued for the school's shared guardian goes out first
    # (to the address it had then): only this mark's deliveries are weighed below
    await drain(sessions, settings)
    # a guardian (with an account and an address) of another child of the school hears nothing
    other = f"other-{uuid.uuid4().hex[:8]}@example.test"
    prefer(database, jg.school.id, schools.a.people["guardian"], other)
    add_mark(database, jg)
    await drain(sessions, settings)
    assert len(inbox.to(student)) == 1
    assert len(inbox.to(guardian)) == 1
    assert inbox.to(other) == []
    msg = inbox.to(guardian)[0]
    assert msg["Subject"] == "Новая запись в дневнике"
    body = msg.get_content()
    # neither the mark nor its comment nor a surname travels by email
    assert "Секретный" not in body and "Фамилия" not in body
    assert "2" not in msg["Subject"]
    assert "Новая или изменённая отметка" in body
    assert "http://zhurnal.test/notifications/unsubscribe?token=" in body
    assert msg["List-Unsubscribe"].startswith("<http://zhurnal.test/notifications/unsubscribe")
    assert msg["Message-ID"] != inbox.to(student)[0]["Message-ID"]


async def test_a_rolled_back_mark_is_never_emailed(database: DatabaseUrls,
                                                   schools: TwoSchools, smtp,
                                                   sessions) -> None:
    inbox, settings = smtp
    jg, student, guardian = family(database, schools)
    add_mark(database, jg, rollback=True)
    await drain(sessions, settings)
    assert inbox.to(student) == [] and inbox.to(guardian) == []


async def test_a_worker_killed_after_sending_is_delivered_once_after_restart(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    jg, student, guardian = family(database, schools)
    mark_id = add_mark(database, jg)
    # worker A fans out, claims (short lease), sends the guardian's message, and dies before
    # recording it: its lease, not a held lock, kept others off
    await fan_out_all(sessions)
    async with transaction(sessions) as s:
        await set_tenant_async(s, [jg.school.id])
        leased = await queue.claim(s, lease=timedelta(seconds=1), batch=1000)
    mine = [d for d in leased if d.email in (student, guardian)]
    assert len(mine) == 2
    sent_by_a = next(d for d in mine if d.email == guardian)
    await worker.email_sender(settings, SECRET)(sent_by_a)
    # while the lease holds, a second worker takes nothing of them
    await drain(sessions, settings)
    assert len(inbox.to(guardian)) == 1 and inbox.to(student) == []
    # after the lease, the restarted worker delivers both; the guardian's again, same key
    await asyncio.sleep(1.2)
    await drain(sessions, settings)
    assert len(inbox.to(student)) == 1
    got = inbox.to(guardian)
    assert len({msg["Message-ID"] for msg in got}) == 1, "one message for the receiver"
    assert got[0]["X-Zhurnal-Idempotency-Key"] == sent_by_a.idempotency_key
    rows = deliveries(database, jg.school.id, mark_id)
    assert sorted(r.status for r in rows) == ["sent", "sent"]
    # and nothing more is sent later
    await drain(sessions, settings)
    assert len(inbox.to(student)) == 1 and len(inbox.to(guardian)) == 2


async def test_a_worker_killed_before_sending_delivers_exactly_once_after_restart(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    jg, student, guardian = family(database, schools)
    add_mark(database, jg)
    await fan_out_all(sessions)
    async with transaction(sessions) as s:
        await set_tenant_async(s, [jg.school.id])
        await queue.claim(s, lease=timedelta(seconds=1), batch=1000)
    await asyncio.sleep(1.2)
    await drain(sessions, settings)
    await drain(sessions, settings)
    assert len(inbox.to(student)) == 1 and len(inbox.to(guardian)) == 1


async def test_two_workers_at_once_send_each_message_once(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    families = [family(database, schools) for _ in range(4)]
    for jg, _, _ in families:
        for _ in range(3):
            add_mark(database, jg)
    await asyncio.gather(drain(sessions, settings), drain(sessions, settings))
    await asyncio.gather(drain(sessions, settings), drain(sessions, settings))
    for _, student, guardian in families:
        assert len(inbox.to(student)) == 3
        assert len(inbox.to(guardian)) == 3
        assert len({msg["Message-ID"] for msg in inbox.to(guardian)}) == 3


async def test_a_failing_smtp_server_is_retried_then_the_delivery_is_dead(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    inbox.reject = True
    jg, student, guardian = family(database, schools)
    mark_id = add_mark(database, jg)
    for attempt in range(1, 4):
        await drain(sessions, settings, max_attempts=3, base=timedelta(0))
        rows = deliveries(database, jg.school.id, mark_id)
        assert {r.attempts for r in rows} == {attempt}
        assert {r.status for r in rows} == ({"dead"} if attempt == 3 else {"pending"})
        assert all("554" in (r.last_error or "") for r in rows)
    await drain(sessions, settings, max_attempts=3, base=timedelta(0))
    assert {r.attempts for r in deliveries(database, jg.school.id, mark_id)} == {3}
    # an administrator retries one dead letter: it goes out once the server accepts again
    inbox.reject = False
    dead = next(r for r in deliveries(database, jg.school.id, mark_id)
                if r.recipient_id == jg.guardian_id)
    async with transaction(sessions) as s:
        await set_tenant_async(s, [jg.school.id])
        assert await queue.retry_dead(s, jg.school.id, dead.id)
    await drain(sessions, settings)
    assert len(inbox.to(guardian)) == 1 and inbox.to(student) == []


def test_backoff_doubles_from_thirty_seconds() -> None:
    assert [queue.backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert queue.backoff(30) == queue.BACKOFF_CAP


async def test_events_a_person_turned_off_are_not_sent(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    jg, student, guardian = family(database, schools, events=["homework"])
    add_mark(database, jg)
    await drain(sessions, settings)
    assert inbox.to(student) == [] and len(inbox.to(guardian)) == 1


async def test_a_delivery_due_in_quiet_hours_waits_for_their_end(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    # quiet hours around the present moment in the school's time zone
    now = datetime.now(UTC).astimezone(queue.ZoneInfo("Asia/Yakutsk"))
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    jg, student, guardian = family(database, schools, quiet_from=start, quiet_until=end)
    mark_id = add_mark(database, jg)
    await drain(sessions, settings)
    assert inbox.to(student) == [] and len(inbox.to(guardian)) == 1
    waiting = next(r for r in deliveries(database, jg.school.id, mark_id)
                   if r.recipient_id == jg.students[0])
    assert waiting.status == "pending"
    assert waiting.next_attempt_at > datetime.now(UTC) + timedelta(minutes=55)


def test_quiet_hours_wrap_midnight_in_the_school_time_zone() -> None:
    tz = "Asia/Yakutsk"  # UTC+9
    night, morning = clock(22, 0), clock(7, 0)
    # 23:30 local is inside; they end at 07:00 local next day = 22:00 UTC today
    at = datetime(2026, 1, 10, 14, 30, tzinfo=UTC)
    assert queue.quiet_end(at, tz, night, morning) == datetime(2026, 1, 10, 22, 0, tzinfo=UTC)
    # 06:00 local (21:00 UTC the day before) is inside, ending an hour later
    at = datetime(2026, 1, 9, 21, 0, tzinfo=UTC)
    assert queue.quiet_end(at, tz, night, morning) == datetime(2026, 1, 9, 22, 0, tzinfo=UTC)
    # noon local is outside
    assert queue.quiet_end(datetime(2026, 1, 10, 3, 0, tzinfo=UTC), tz, night, morning) is None


def test_the_unsubscribe_link_turns_email_off_over_http(
        database: DatabaseUrls, schools: TwoSchools, server_url: str) -> None:
    jg, _, _ = family(database, schools)
    person = jg.guardian_id
    token = make_token(SECRET, jg.school.id, person, "email")
    url = f"{server_url}/notifications/unsubscribe"
    page = httpx.get(url, params={"token": token})
    assert page.status_code == 200 and "<form" in page.text
    assert enabled(database, jg.school.id, person)  # a GET (a link scanner) changes nothing
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert httpx.post(url, params={"token": forged}).status_code == 400
    assert enabled(database, jg.school.id, person)
    done = httpx.post(url, params={"token": token}, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not enabled(database, jg.school.id, person)


def enabled(database: DatabaseUrls, school_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return bool(s.scalar(select(m.NotificationPreference.email_enabled)
                             .where(m.NotificationPreference.person_id == person_id)))




def test_zhurnal_worker_killed_mid_delivery_delivers_once_after_restart(
        database: DatabaseUrls, schools: TwoSchools, smtp, tmp_path) -> None:
    import os
    import signal
    import subprocess

    from db.engine import libpq_dsn
    from tests.system.test_cli import ZHURNAL

    inbox, settings = smtp
    jg, student, guardian = family(database, schools)
    inbox.stall_for = guardian  # the guardian's message hangs in DATA: the worker is mid-send
    mark_id = add_mark(database, jg)
    env = {**os.environ, "DATABASE_URL": libpq_dsn(database.owner),
           "ZHURNAL_STATE_DIR": str(tmp_path), "ZHURNAL_SECRET_KEY": SECRET,
           "ZHURNAL_SMTP_HOST": settings.host, "ZHURNAL_SMTP_PORT": str(settings.port)}
    proc = subprocess.Popen([ZHURNAL, "worker", "--poll", "0.2", "--lease", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not inbox.stalled.is_set():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # killed while the SMTP server holds the message
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
    inbox.stall_for = None
    assert [r.status for r in deliveries(database, jg.school.id, mark_id)
            if r.recipient_id == jg.guardian_id] == ["sending"]
    time.sleep(1.2)  # the dead worker's lease runs out
    for _ in range(3):  # a pass takes 100 due deliveries; other tests may leave some due
        again = subprocess.run([ZHURNAL, "worker", "--once"], env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert again.returncode == 0, again.stderr
        if inbox.to(guardian) and inbox.to(student):
            break
    got = inbox.to(guardian)
    assert len(got) >= 1 and len({msg["Message-ID"] for msg in got}) == 1
    assert len(inbox.to(student)) == 1
    assert {r.status for r in deliveries(database, jg.school.id, mark_id)} == {"sent"}


@dataclass
class Receiver:
    """A real HTTP server in a thread: records every POST, answers `status`."""

    url: str
    requests: list[tuple[dict[str, str], bytes]]
    status: list[int]


@pytest.fixture()
def receiver(database: DatabaseUrls) -> Iterator[Receiver]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[dict[str, str], bytes]] = []
    status = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server names it
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield Receiver(url, got, status)
    finally:
        server.shutdown()
        server.server_close()
        # the test's webhooks go with their receiver: later tests' events are not sent there
        with owner_session(database.owner) as s:
            s.execute(text("SELECT set_config('zhurnal.school_ids', "
                           "(SELECT string_agg(id::text, ',') FROM schools), true)"))
            s.execute(text("DELETE FROM webhooks WHERE url = :u"), {"u": url})


ISSUE = """mutation I($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { apiToken { id } secret errors { field code message } } }"""
CREATE = """mutation C($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url events } secret errors { field code } } }"""
LOG = """query L($id: ID!) { webhookDeliveries(webhookId: $id, first: 50) {
  edges { node { id status attempts responseStatus lastError idempotencyKey } } } }"""
REPLAY = """mutation R($id: ID!) { replayWebhookDelivery(input: {id: $id}) {
  delivery { status attempts } errors { field code } } }"""
REVOKE = """mutation V($id: ID!) { revokeApiToken(input: {id: $id}) { errors { code } } }"""


def webhook(gql, token_for, schools: TwoSchools, url: str, events: list[str] | None = None,
            scopes: tuple[str, ...] = ("READ",)) -> tuple[str, str, str]:
    """(webhook id, its secret, its token's id) for a new school-A token."""
    admin = token_for(schools.a.logins["admin"])
    issued = gql.post(ISSUE, {"input": {"name": f"hook-{uuid.uuid4().hex[:6]}",
                                        "scopes": list(scopes),
                                        "schoolId": gid("School", schools.a.id)}},
                      token=admin)["data"]["issueApiToken"]
    assert issued["errors"] == [], issued
    made = gql.post(CREATE, {"input": {"tokenId": issued["apiToken"]["id"], "url": url,
                                       "events": events}},
                    token=admin)["data"]["createWebhook"]
    assert made["errors"] == [], made
    assert made["secret"].startswith("whsec_")
    return made["webhook"]["id"], made["secret"], issued["apiToken"]["id"]


def mine(receiver: Receiver, mark_id: uuid.UUID) -> list[tuple[dict[str, str], bytes]]:
    return [(h, b) for h, b in receiver.requests if str(mark_id).encode() in b]


async def test_a_committed_mark_is_posted_signed_to_the_webhook_with_ids_only(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions, receiver, gql,
        token_for) -> None:
    import hashlib
    import hmac
    import json

    _, settings = smtp
    hook_id, secret, _ = webhook(gql, token_for, schools, receiver.url, ["MARK"])
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    before = time.time()
    mark_id = add_mark(database, jg)
    await drain(sessions, settings)
    got = mine(receiver, mark_id)
    assert len(got) == 1
    headers, body = got[0]
    # the signature, checked by an independent implementation of the documented scheme
    fields = dict(part.split("=", 1) for part in headers["x-zhurnal-signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert before - 5 <= int(fields["t"]) <= time.time() + 5
    forged = hmac.new(b"whsec_wrong", fields["t"].encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    assert forged != fields["v1"]
    event = json.loads(body)
    assert event["event"] == "mark" and event["entityId"] == str(mark_id)
    assert event["studentId"] == str(jg.students[0])
    assert event["schoolId"] == str(schools.a.id)
    assert headers["x-zhurnal-delivery"] == event["id"]
    # ids only: no comment, no mark, no name
    assert set(event) == {"id", "event", "op", "schoolId", "entity", "entityId", "studentId",
                          "groupId", "occurredAt"}
    assert "Секретный" not in body.decode() and "Фамилия" not in body.decode()
    log = gql.post(LOG, {"id": hook_id}, token=token_for(schools.a.logins["admin"]))
    statuses = [e["node"] for e in log["data"]["webhookDeliveries"]["edges"]]
    assert any(n["status"] == "sent" and n["responseStatus"] == 200
               and n["idempotencyKey"] == event["id"] for n in statuses)


async def test_a_webhook_filter_and_a_revoked_token_send_nothing(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions, receiver, gql,
        token_for) -> None:
    _, settings = smtp
    webhook(gql, token_for, schools, receiver.url, ["HOMEWORK"])
    _, _, token_id = webhook(gql, token_for, schools, receiver.url)
    revoked = gql.post(REVOKE, {"id": token_id}, token=token_for(schools.a.logins["admin"]))
    assert revoked["data"]["revokeApiToken"]["errors"] == []
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    mark_id = add_mark(database, jg)
    await drain(sessions, settings)
    assert mine(receiver, mark_id) == []


async def test_a_failing_webhook_is_retried_then_dead_and_replayed_on_request(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions, receiver, gql,
        token_for) -> None:
    _, settings = smtp
    admin = token_for(schools.a.logins["admin"])
    hook_id, _, _ = webhook(gql, token_for, schools, receiver.url, ["MARK"])
    receiver.status[0] = 500
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    mark_id = add_mark(database, jg)
    for _ in range(3):
        await drain(sessions, settings, max_attempts=3, base=timedelta(0))
    assert len(mine(receiver, mark_id)) == 3  # three attempts, then no more
    await drain(sessions, settings, max_attempts=3, base=timedelta(0))
    assert len(mine(receiver, mark_id)) == 3
    nodes = [e["node"] for e in gql.post(LOG, {"id": hook_id}, token=admin)
             ["data"]["webhookDeliveries"]["edges"]]
    dead = [n for n in nodes if n["status"] == "dead"]
    assert len(dead) == 1 and dead[0]["attempts"] == 3
    assert dead[0]["responseStatus"] == 500 and dead[0]["lastError"] == "HTTP 500"
    # the receiver is fixed; the administrator replays the delivery: it arrives, same id
    receiver.status[0] = 200
    replayed = gql.post(REPLAY, {"id": dead[0]["id"]}, token=admin)
    assert replayed["data"]["replayWebhookDelivery"]["errors"] == []
    assert replayed["data"]["replayWebhookDelivery"]["delivery"]["status"] == "pending"
    await drain(sessions, settings)
    got = mine(receiver, mark_id)
    assert len(got) == 4
    assert len({h["x-zhurnal-delivery"] for h, _ in got}) == 1


def school_zone(database: DatabaseUrls, school_id: uuid.UUID) -> str:
    with owner_session(database.owner) as s:
        return s.scalar(select(m.School.timezone).where(m.School.id == school_id)) or ""



async def test_a_daily_digest_gathers_the_day_into_one_email_at_the_school_hour(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    # given a student who takes a daily digest (their guardian hears of each change at once)
    inbox, settings = smtp
    jg, student, guardian = family(database, schools, email_mode="digest")
    # and another family of the school who takes one too
    other, other_student, _ = family(database, schools, email_mode="digest")
    await drain(sessions, settings)
    zone = school_zone(database, jg.school.id)
    start = datetime.now(UTC)
    hour = queue.digest_time(start, zone, queue.DEFAULT_DIGEST_HOUR)
    # when marks come in over the day, the clock driven up to the school's digest hour
    first = add_mark(database, jg)
    add_mark(database, other)
    await drain(sessions, settings, now=start)
    add_mark(database, jg)
    await drain(sessions, settings, now=hour - timedelta(minutes=1))
    assert inbox.to(student) == [], "nothing before the hour"
    assert len(inbox.to(guardian)) == 2
    held = [r for r in deliveries(database, jg.school.id, first)
            if r.recipient_id == jg.students[0]]
    assert [r.status for r in held] == ["held"]
    assert held[0].next_attempt_at == hour
    await drain(sessions, settings, now=hour + timedelta(minutes=1))
    # then one email lists both, its subject naming the day only
    got = inbox.to(student)
    assert len(got) == 1
    local_day = hour.astimezone(queue.ZoneInfo(zone)).date()
    assert got[0]["Subject"] == f"Электронный дневник: сводка за {local_day:%d.%m.%Y}"
    body = got[0].get_content()
    assert "Записей за день: 2." in body
    assert body.count("Новая или изменённая отметка") == 2
    assert "Секретный" not in body and "Фамилия" not in body
    assert "/notifications/unsubscribe?token=" in body
    assert got[0]["X-Zhurnal-Idempotency-Key"].strip() == (
        f"digest:{jg.students[0]}:{local_day:%Y-%m-%d}")
    # each recipient's digest holds their own changes only
    theirs = inbox.to(other_student)
    assert len(theirs) == 1 and "Записей за день: 1." in theirs[0].get_content()
    # and a restarted worker (a new engine, the same clock or later) sends nothing twice
    engine = app_engine(database.app)
    try:
        restarted = app_sessions(engine)
        await drain(restarted, settings, now=hour + timedelta(minutes=2))
        await drain(restarted, settings, now=hour + timedelta(hours=3))
    finally:
        await engine.dispose()
    assert len(inbox.to(student)) == 1
    # a mark after the hour waits for the next day's digest
    add_mark(database, jg)
    await drain(sessions, settings, now=hour + timedelta(minutes=10))
    await drain(sessions, settings, now=hour + timedelta(hours=23))
    assert len(inbox.to(student)) == 1
    await drain(sessions, settings, now=hour + timedelta(days=1, minutes=1))
    got = inbox.to(student)
    assert len(got) == 2 and "Записей за день: 1." in got[1].get_content()
    assert len({msg["Message-ID"] for msg in got}) == 2


def test_the_digest_hour_is_the_school_local_hour_today_or_tomorrow() -> None:
    tz = "Asia/Yakutsk"  # UTC+9: 18:00 local is 09:00 UTC
    morning = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)  # 10:00 local
    assert queue.digest_time(morning, tz, 18) == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    evening = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # 18:00 local: today's has come
    assert queue.digest_time(evening, tz, 18) == datetime(2026, 1, 11, 9, 0, tzinfo=UTC)


def write_message(database: DatabaseUrls, jg: JournalGroup) -> uuid.UUID:
    """A message of the group's teacher to the first student's guardian, with its outbox row,
    as resolvers/messages writes them."""
    school, thread, message = jg.school.id, uuid.uuid4(), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [school])
        s.add(m.MessageThread(school_id=school, id=thread, student_id=jg.students[0],
                              staff_id=jg.teacher_id, started_by_id=jg.teacher_id))
        s.flush()
        for person in (jg.teacher_id, jg.guardian_id):
            s.add(m.MessageParticipant(school_id=school, id=uuid.uuid4(), thread_id=thread,
                                       person_id=person))
        s.add(m.Message(school_id=school, id=message, thread_id=thread,
                        author_id=jg.teacher_id, body="Зайдите в школу"))
        s.flush()
        s.add(m.NotificationOutbox(school_id=school, id=uuid.uuid4(), kind="message",
                                   entity="messages", op="insert", entity_id=message))
    return message


async def test_a_guardian_who_turned_message_email_off_gets_marks_but_no_message_email(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions) -> None:
    inbox, settings = smtp
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    address = f"quiet-{uuid.uuid4().hex[:8]}@example.test"
    prefer(database, jg.school.id, jg.guardian_id, address, message_email=False)
    write_message(database, jg)
    add_mark(database, jg)
    await drain(sessions, settings)
    got = inbox.to(address)
    assert [msg["Subject"] for msg in got] == ["Новая запись в дневнике"]
    # with it on, the message is emailed (naming no one, carrying no text)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(text("UPDATE notification_preferences SET message_email = true "
                       "WHERE school_id = :s AND person_id = :p"),
                  {"s": jg.school.id, "p": jg.guardian_id})
    write_message(database, jg)
    await drain(sessions, settings)
    got = inbox.to(address)
    assert [msg["Subject"] for msg in got][1:] == ["Новое сообщение в дневнике"]
    assert "Зайдите" not in got[1].get_content()


def decrypt_push(body: bytes, browser_key, auth_secret: bytes) -> bytes:
    """RFC 8291 / RFC 8188 (aes128gcm) decryption as a browser does it, written here from the
    RFCs with `cryptography` alone, independently of the library the worker encrypts with."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt,
                    info=info).derive(ikm)

    salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender_public = body[21:21 + id_length]
    ciphertext = body[21 + id_length:]
    assert id_length == 65 and len(ciphertext) <= record_size  # one record
    shared = browser_key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), sender_public))
    browser_public = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    ikm = hkdf(auth_secret, shared, b"WebPush: info\x00" + browser_public + sender_public, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
    assert padded.endswith(b"\x02"), "the last record's delimiter"
    return padded[:-1]


REGISTER_PUSH = """mutation R($input: RegisterPushSubscriptionInput!) {
  registerPushSubscription(input: $input) { subscriptions { id } errors { field code } } }"""


def browser_subscribes(gql, token: str, endpoint: str):
    """A browser's key pair and auth secret, registered for the viewer with `endpoint`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    made = gql.post(REGISTER_PUSH, {"input": {"endpoint": endpoint, "keys": {
        "p256dh": push.b64url(public), "auth": push.b64url(auth)}}},
        token=token)["data"]["registerPushSubscription"]
    assert made["errors"] == [], made
    return key, auth


def push_subscriptions(database: DatabaseUrls, school_id: uuid.UUID, endpoint: str) -> int:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return s.scalar(select(func.count()).select_from(m.PushSubscription)
                        .where(m.PushSubscription.endpoint == endpoint)) or 0


async def test_a_mark_is_pushed_encrypted_and_signed_to_the_guardians_browser(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions, receiver, gql,
        token_for) -> None:
    import json

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    # given a guardian whose browser (the test's receiver plays its push service) subscribed
    _, settings = smtp
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    endpoint = f"{receiver.url}/push/{uuid.uuid4().hex}"
    key, auth = browser_subscribes(gql, token_for(jg.guardian_login), endpoint)
    # when a mark is given and the worker runs
    mark_id = add_mark(database, jg)
    await drain(sessions, settings)
    # then the push service got one request for the browser
    got = [(h, b) for h, b in receiver.requests
           if h.get("authorization", "").startswith("vapid ")]
    assert len(got) == 1
    headers, body = got[0]
    assert headers["content-encoding"] == "aes128gcm"
    # its VAPID token verifies against the server's public key, for this push service
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == VAPID.public_key
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                          push.unb64url(VAPID.public_key))
    origin = receiver.url.rsplit("/", 1)[0]
    claims = jwt.decode(fields["t"], key=public, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == VAPID.subject and claims["exp"] > time.time()
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(fields["t"], key=other, algorithms=["ES256"], audience=origin)
    # and the payload, decrypted with the browser's private key, carries a title and ids only
    event = json.loads(decrypt_push(body, key, auth))
    assert set(event) == {"id", "event", "title", "schoolId", "entity", "entityId",
                          "studentId"}
    assert event["event"] == "mark" and event["title"] == "Новая отметка"
    assert event["entityId"] == str(mark_id) and event["studentId"] == str(jg.students[0])
    text_ = json.dumps(event, ensure_ascii=False)
    assert "Секретный" not in text_ and "Фамилия" not in text_
    with pytest.raises(Exception):  # noqa: B017 - any failure: another browser cannot read it
        decrypt_push(body, ec.generate_private_key(ec.SECP256R1()), auth)
    # a push service that answers 410 Gone has dropped the browser: the subscription goes
    receiver.status[0] = 410
    add_mark(database, jg)
    await drain(sessions, settings)
    assert push_subscriptions(database, jg.school.id, endpoint) == 0
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        assert s.scalar(select(func.count()).select_from(m.AuditEntry).where(
            m.AuditEntry.entity == "push_subscriptions", m.AuditEntry.action == "delete",
            m.AuditEntry.request_id == "notify-worker")) >= 1
    receiver.status[0] = 200
    add_mark(database, jg)
    before = len(receiver.requests)
    await drain(sessions, settings)
    assert [h for h, _ in receiver.requests[before:]
            if h.get("authorization", "").startswith("vapid ")] == []


async def test_a_push_service_failing_otherwise_is_retried_not_forgotten(
        database: DatabaseUrls, schools: TwoSchools, smtp, sessions, receiver, gql,
        token_for) -> None:
    _, settings = smtp
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    endpoint = f"{receiver.url}/push/{uuid.uuid4().hex}"
    browser_subscribes(gql, token_for(jg.guardian_login), endpoint)
    receiver.status[0] = 503
    add_mark(database, jg)
    await drain(sessions, settings, base=timedelta(0))
    await drain(sessions, settings, base=timedelta(0))
    assert push_subscriptions(database, jg.school.id, endpoint) == 1
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        rows = s.scalars(select(m.NotificationDelivery).where(
            m.NotificationDelivery.channel == "push",
            m.NotificationDelivery.recipient_id == jg.guardian_id)).all()
        assert [(r.status, r.attempts, r.response_status) for r in rows] == [
            ("pending", 2, 503)]
        s.execute(text("DELETE FROM push_subscriptions WHERE endpoint = :e"), {"e": endpoint})


def delivery_at(database: DatabaseUrls, school_id: uuid.UUID, recipient: uuid.UUID, *,
                status: str, age: timedelta) -> uuid.UUID:
    """A delivery (and its outbox row) of `age` ago: sent then, or dead since then."""
    outbox, delivery = uuid.uuid4(), uuid.uuid4()
    then = datetime.now(UTC) - age
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        s.add(m.NotificationOutbox(school_id=school_id, id=outbox, kind="mark", entity="marks",
                                   op="insert", entity_id=uuid.uuid4(), created_at=then,
                                   fanned_out_at=then))
        s.flush()
        s.add(m.NotificationDelivery(
            school_id=school_id, id=delivery, outbox_id=outbox, recipient_id=recipient,
            channel="email", idempotency_key=f"{outbox}:{recipient}:email", status=status,
            attempts=1, next_attempt_at=then, created_at=then,
            sent_at=then if status == "sent" else None))
    return delivery


def still_there(database: DatabaseUrls, school_id: uuid.UUID, ids: list[uuid.UUID]
                ) -> set[uuid.UUID]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return set(s.scalars(select(m.NotificationDelivery.id)
                             .where(m.NotificationDelivery.id.in_(ids))))


async def test_the_worker_purges_old_deliveries_by_the_school_retention_and_keeps_the_rest(
        database: DatabaseUrls, schools: TwoSchools, sessions) -> None:
    # given school B keeps delivered rows 5 days, school A the default 30
    a, b = schools.a, schools.b
    with owner_session(database.owner) as s:
        set_tenant(s, [b.id])
        s.execute(text("INSERT INTO school_settings (school_id, id, notification_retention_days)"
                       " VALUES (:s, :i, 5) ON CONFLICT (school_id) DO UPDATE"
                       " SET notification_retention_days = 5"), {"s": b.id, "i": uuid.uuid4()})
    try:
        day = timedelta(days=1)
        a_old = delivery_at(database, a.id, a.people["guardian"], status="sent", age=31 * day)
        a_week = delivery_at(database, a.id, a.people["guardian"], status="sent", age=6 * day)
        a_dead_old = delivery_at(database, a.id, a.people["guardian"], status="dead",
                                 age=31 * day)
        a_dead = delivery_at(database, a.id, a.people["guardian"], status="dead", age=20 * day)
        a_pending = delivery_at(database, a.id, a.people["guardian"], status="pending",
                                age=90 * day)
        b_week = delivery_at(database, b.id, b.people["guardian"], status="sent", age=6 * day)
        b_new = delivery_at(database, b.id, b.people["guardian"], status="sent", age=4 * day)
        # when the worker purges
        gone = await worker.purge_old(sessions)
        # then what was delivered past each school's window goes, with its outbox row
        assert gone.sent >= 2 and gone.dead >= 1 and gone.outbox >= 3
        assert still_there(database, a.id, [a_old, a_week, a_dead_old, a_dead, a_pending]) == {
            a_week, a_dead, a_pending}
        assert still_there(database, b.id, [b_week, b_new]) == {b_new}
        with owner_session(database.owner) as s:
            set_tenant(s, [a.id, b.id])
            # a pending delivery keeps its outbox row however old (it is still to be sent)
            assert s.scalar(select(func.count()).select_from(m.NotificationOutbox).where(
                m.NotificationOutbox.created_at < datetime.now(UTC) - 30 * day)) == 1
    finally:
        with owner_session(database.owner) as s:
            set_tenant(s, [b.id])
            s.execute(text("UPDATE school_settings SET notification_retention_days = 30 "
                           "WHERE school_id = :s"), {"s": b.id})
