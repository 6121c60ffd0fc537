"""diaryEvents: live diary updates over graphql-transport-ws, fed by LISTEN/NOTIFY, across two
real server processes (a write through B reaches a subscriber on A); and nothing lost: every
event carries a cursor, a subscription replays the diary event log after `after:` (or after its
socket's connection_ack), a listener that lost its connection catches up from the log, and
grades are diary events."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from db import models as m
from db.engine import (
    DatabaseUrls,
    app_engine,
    app_sessions,
    libpq_dsn,
    owner_session,
    transaction,
)
from db.tenancy import set_tenant, set_tenant_async
from resolvers.auth.tokens import issue_access_token
from resolvers.events.diary import catch_up, read_events
from resolvers.events.log import REPLAY_WINDOW, encode_cursor, positions, purge
from resolvers.events.notifications import LISTENER_APPLICATION_NAME, DiaryListener
from schema.ids import to_global_id as gid
from tenants.access import resolve_access
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.server_fixture import STARTUP_SECONDS, free_port
from tests.sql_counter import count_statements
from tests.system.test_cli import ZHURNAL

SECRET = "diary-events-test-secret-" + "z" * 40
WAIT = 5.0  # every wait for the server is bounded: the test must never hang
WEB = Path(__file__).resolve().parents[2] / "web"

DIARY_EVENTS = """
subscription Events($studentId: ID!) {
  diaryEvents(studentId: $studentId) {
    kind op studentId lessonId entityId occurredAt
    mark { label workTypeName workDate subjectName comment }
    attendance { kind lateMinutes }
    lesson { date subjectName status topic homework homeworkLinks homeworkDueOn }
  }
}
"""

SET_MARKS = """
mutation SetMarks($input: SetMarksInput!) {
  setMarks(input: $input) { marks { id } errors { field code message } }
}
"""

UPDATE_LESSON = """
mutation UpdateLesson($input: UpdateLessonInput!) {
  updateLesson(input: $input) { errors { field code message } }
}
"""


@dataclass
class Servers:
    a: str  # ws://… of process A (subscribers)
    b: str  # http://… of process B (writers)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def servers(database: DatabaseUrls, schools: TwoSchools,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Two `zhurnal serve` processes on the test database, sharing one secret key."""
    tmp = tmp_path_factory.mktemp("diary_events")
    env = {**os.environ, "DATABASE_URL": libpq_dsn(database.owner),
           "ZHURNAL_SECRET_KEY": SECRET, "ZHURNAL_STATE_DIR": str(tmp)}
    procs: list[tuple[subprocess.Popen[bytes], Path, str]] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp / f"{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen([ZHURNAL, "serve", "--port", str(port)], env=env,
                                        stdout=out, stderr=subprocess.STDOUT)
            procs.append((proc, log, f"http://127.0.0.1:{port}"))
        for proc, log, base in procs:
            _wait_healthy(base, proc, log)
        yield Servers(a=procs[0][2].replace("http://", "ws://") + "/graphql", b=procs[1][2])
    finally:
        for proc, _, _ in procs:
            proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def token(database: DatabaseUrls, login: str) -> str:
    with owner_session(database.owner) as s:
        account_id = s.scalar(select(m.Account.id).where(m.Account.login == login))
    assert account_id is not None, login
    return issue_access_token(SECRET, account_id, minutes=5)[0]



async def open_socket(url: str, authorization: str | None) -> ClientConnection:
    """Connect and send connection_init; the caller reads the ack (or the close)."""
    ws = await asyncio.wait_for(connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                                        open_timeout=WAIT), WAIT)
    payload = {"Authorization": authorization} if authorization is not None else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def receive(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def subscribe(url: str, bearer: str, student_id: uuid.UUID) -> ClientConnection:
    ws = await open_socket(url, f"Bearer {bearer}")
    assert (await receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": DIARY_EVENTS, "variables": {"studentId": gid("Person", student_id)}}}))
    return ws


async def next_event(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    message = await receive(ws, timeout)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["diaryEvents"]


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    try:
        message = await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected message: {message!r}")


def poke(database: DatabaseUrls, jg: JournalGroup, student: int = 0) -> None:
    """A change in the student's diary written straight into the database as the owner
    (an attendance entry of the last lesson; each call changes it)."""
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        lesson_id, student_id = jg.lesson_ids[-1], jg.students[student]
        row = s.scalar(select(m.Attendance).where(m.Attendance.lesson_id == lesson_id,
                                                  m.Attendance.student_id == student_id))
        if row is None:
            s.add(m.Attendance(school_id=jg.school.id, id=uuid.uuid4(), lesson_id=lesson_id,
                               student_id=student_id, kind=m.AttendanceKind.LATE,
                               late_minutes=1))
        else:
            row.late_minutes = (row.late_minutes or 0) % 40 + 1


async def until_live(ws: ClientConnection, write: Callable[[], None]) -> None:
    """The subscription is registered a moment after `subscribe` is sent: write until an
    event comes back (bounded), then drain whatever else arrived."""
    deadline = time.monotonic() + 3 * WAIT
    while True:
        write()
        try:
            await next_event(ws, 0.5)
            break
        except TimeoutError:
            assert time.monotonic() < deadline, "the subscription never went live"
    while True:
        try:
            await asyncio.wait_for(ws.recv(), 0.3)
        except TimeoutError:
            return


async def post_b(servers: Servers, query: str, variables: dict[str, Any], bearer: str
                 ) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=servers.b, timeout=WAIT) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed) as err:
        await receive(ws)
    rcvd = err.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd else (None, None)


async def with_sockets(*sockets: ClientConnection) -> None:
    for ws in sockets:
        await ws.close()


# --- authentication at connection_init ---------------------------------------------------

async def test_diary_events_connection_without_token_is_refused(servers: Servers) -> None:
    # given / when
    ws = await open_socket(servers.a, None)
    # then
    code, reason = await closed_with(ws)
    assert code == 4403
    assert reason is not None and "Authorization" in reason


async def test_diary_events_connection_with_forged_token_is_refused(servers: Servers) -> None:
    # given a token signed with another secret
    forged = issue_access_token("another-secret-" + "q" * 40, uuid.uuid4(), minutes=5)[0]
    # when
    ws = await open_socket(servers.a, f"Bearer {forged}")
    # then
    code, reason = await closed_with(ws)
    assert code == 4403
    assert reason is not None and "token" in reason


async def test_diary_events_queries_over_the_socket_are_refused(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    ws = await open_socket(servers.a, f"Bearer {token(database, schools.a.logins['admin'])}")
    assert (await receive(ws))["type"] == "connection_ack"
    # when
    await ws.send(json.dumps({"id": "q", "type": "subscribe",
                              "payload": {"query": "{ me { login } }"}}))
    # then
    message = await receive(ws)
    assert message["type"] == "error"
    assert "HTTP POST" in message["payload"][0]["message"]
    await ws.close()


# --- authorisation at subscribe time -----------------------------------------------------

async def refused(url: str, bearer: str, student_id: uuid.UUID) -> dict[str, Any]:
    ws = await subscribe(url, bearer, student_id)
    try:
        message = await receive(ws)
        assert message["type"] == "next", message
        return message["payload"]
    finally:
        await ws.close()


async def test_diary_events_student_of_another_school_is_not_found(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given school A's guardian, school B's student, and an id that does not exist
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    bearer = token(database, jg.guardian_login)
    # when
    other_school = await refused(servers.a, bearer, schools.b.people["student"])
    missing = await refused(servers.a, bearer, uuid.uuid4())
    # then: the same error for both, and no data
    assert other_school["data"] is None
    assert other_school["errors"][0]["message"] == missing["errors"][0]["message"]
    assert other_school["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "student", "guardian"])
async def test_diary_events_other_roles_are_refused(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools, role: str
) -> None:
    # given a student of a new class: school A's named people do not teach or lead it
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    # when
    payload = await refused(servers.a, token(database, schools.a.logins[role]), jg.students[0])
    # then
    assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_diary_events_officer_and_other_school_admin_are_refused(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    for login in (schools.officer_logins["region"], schools.b.logins["admin"]):
        # when
        payload = await refused(servers.a, token(database, login), jg.students[0])
        # then
        assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND", login


async def test_diary_events_over_http_is_refused(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    # when
    async with httpx.AsyncClient(base_url=servers.b, timeout=WAIT) as http:
        response = await http.post(
            "/graphql", json={"query": DIARY_EVENTS,
                              "variables": {"studentId": gid("Person", jg.students[0])}},
            headers={"Authorization": f"Bearer {token(database, jg.guardian_login)}"})
    # then: no stream over plain HTTP, and no data
    assert response.status_code in (200, 400, 405, 406), response.text
    assert "diaryEvents\":{" not in response.text


@pytest.mark.parametrize("who", ["admin", "group_teacher"])
async def test_diary_events_staff_who_may_read_the_diary_receive_events(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools, who: str
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    login = schools.a.logins["admin"] if who == "admin" else jg.teacher_login
    # when
    ws = await subscribe(servers.a, token(database, login), jg.students[0])
    try:
        # then events flow (until_live fails when none arrives)
        await until_live(ws, lambda: poke(database, jg))
    finally:
        await ws.close()


# --- events across processes -------------------------------------------------------------

async def test_diary_events_mark_written_through_another_process_reaches_the_guardian(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given the guardians of two students of different classes, subscribed on process A
    mine = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    guardian = await subscribe(servers.a, token(database, mine.guardian_login), mine.students[0])
    stranger = await subscribe(servers.a, token(database, other.guardian_login),
                               other.students[0])
    try:
        await until_live(guardian, lambda: poke(database, mine))
        await until_live(stranger, lambda: poke(database, other))
        teacher = token(database, mine.teacher_login)

        def mark(student: int, value: str, work_type: str) -> dict[str, Any]:
            return {"lessonId": gid("Lesson", mine.lesson_ids[0]), "marks": [{
                "studentId": gid("Person", mine.students[student]), "value": value,
                "workTypeId": gid("WorkType", mine.setup.work_type_ids[work_type])}]}

        # (a mark for the child's classmate first: it also warms process B up)
        classmate = await post_b(servers, SET_MARKS, {"input": mark(1, "3", "test")}, teacher)
        assert classmate["setMarks"]["errors"] == []
        # when the teacher sets the child's mark through process B
        started = time.monotonic()
        data = await post_b(servers, SET_MARKS, {"input": mark(0, "5", "classwork")}, teacher)
        responded = time.monotonic()
        assert data["setMarks"]["errors"] == []
        event = await next_event(guardian)
        latency = time.monotonic() - started
        print(f"\nsetMarks round trip on B: {(responded - started) * 1000:.0f} ms; "
              f"setMarks sent -> event on A: {latency * 1000:.0f} ms")
        # then the child's mark arrives, and only it
        assert event["kind"] == "MARK" and event["op"] == "CREATED"
        assert event["mark"]["label"] == "5"
        assert event["mark"]["workTypeName"] == "Работа на уроке (журнал)"
        assert event["mark"]["workDate"] == mine.lesson_dates[0].isoformat()
        assert event["studentId"] == gid("Person", mine.students[0])
        assert event["lessonId"] == gid("Lesson", mine.lesson_ids[0])
        assert event["entityId"] == data["setMarks"]["marks"][0]["id"]
        assert latency < WAIT
        assert await nothing_within(guardian, 1.0)
        assert await nothing_within(stranger, 0.2)
    finally:
        await with_sockets(guardian, stranger)


async def test_diary_events_mark_inserted_by_the_owner_reaches_the_student(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given the student themselves, subscribed
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    student = await subscribe(servers.a, token(database, jg.student_logins[0]), jg.students[0])
    try:
        await until_live(student, lambda: poke(database, jg))
        # when a mark row is inserted directly (the trigger fires for any writer)
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            s.add(m.Mark(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                         lesson_id=None, student_id=jg.students[0],
                         work_date=jg.lesson_dates[0],
                         work_type_id=jg.setup.work_type_ids["test"],
                         value_id=jg.setup.value_ids["4"], comment="Хорошо"))
        committed = time.monotonic()
        event = await next_event(student)
        print(f"\ncommit -> event on A: {(time.monotonic() - committed) * 1000:.1f} ms")
        # then
        assert event["kind"] == "MARK"
        assert event["lessonId"] is None
        assert event["mark"]["label"] == "4"
        assert event["mark"]["comment"] == "Хорошо"
    finally:
        await student.close()


async def test_diary_events_lesson_homework_reaches_the_members_subscriber(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian subscribed to a member of the group, and one of another group
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    guardian = await subscribe(servers.a, token(database, jg.guardian_login), jg.students[0])
    stranger = await subscribe(servers.a, token(database, other.guardian_login),
                               other.students[0])
    try:
        await until_live(guardian, lambda: poke(database, jg))
        await until_live(stranger, lambda: poke(database, other))
        # when the teacher sets the homework of a lesson through process B
        data = await post_b(servers, UPDATE_LESSON, {"input": {
            "id": gid("Lesson", jg.lesson_ids[0]), "homework": "Упр. 12, с. 34",
            "homeworkDueOn": jg.lesson_dates[1].isoformat()}},
            token(database, jg.teacher_login))
        assert data["updateLesson"]["errors"] == []
        event = await next_event(guardian)
        # then
        assert event["kind"] == "LESSON" and event["op"] == "UPDATED"
        assert event["entityId"] == gid("Lesson", jg.lesson_ids[0])
        assert event["lesson"]["homework"] == "Упр. 12, с. 34"
        assert event["lesson"]["homeworkDueOn"] == jg.lesson_dates[1].isoformat()
        assert event["lesson"]["subjectName"] == "Русский язык (журнал)"
        assert await nothing_within(stranger, 1.0)
    finally:
        await with_sockets(guardian, stranger)


async def test_diary_events_lesson_of_a_group_left_before_the_lesson_day_is_not_sent(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a student who left the group before the second lesson
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.GroupMembership)
                  .where(m.GroupMembership.group_id == jg.group_id)
                  .values(ends_on=jg.lesson_dates[0]))
    guardian = await subscribe(servers.a, token(database, jg.guardian_login), jg.students[0])
    try:
        await until_live(guardian, lambda: poke(database, jg))
        # when the homework of the later lesson changes
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            s.execute(update(m.Lesson).where(m.Lesson.id == jg.lesson_ids[1])
                      .values(homework="После ухода"))
        # then
        assert await nothing_within(guardian, 1.0)
    finally:
        await guardian.close()


async def test_diary_events_arrive_again_after_the_listener_connection_drops(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a live subscription
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    guardian = await subscribe(servers.a, token(database, jg.guardian_login), jg.students[0])
    try:
        await until_live(guardian, lambda: poke(database, jg))
        # when the database drops every listener connection
        with psycopg.connect(libpq_dsn(database.owner), autocommit=True) as conn:
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                (LISTENER_APPLICATION_NAME,)).fetchone()
        assert dropped is not None and dropped[0] >= 2  # processes A and B
        # then the listener reconnects and events flow again
        await until_live(guardian, lambda: poke(database, jg))
    finally:
        await guardian.close()


async def test_diary_events_inboxes_end_when_the_listener_stops() -> None:
    # given a listener (never started) with a subscriber
    listener = DiaryListener("postgresql://unused", sessions=None)  # type: ignore[arg-type]
    with listener.subscribe(uuid.uuid4(), uuid.uuid4()) as inbox:
        batches = inbox.batches()
        waiting = asyncio.ensure_future(anext(batches, None))
        await asyncio.sleep(0)
        # when
        await listener.stop()
        # then the stream ends without an error
        assert await asyncio.wait_for(waiting, 1) is None
    assert listener.subscriber_count == 0


async def test_diary_events_streams_end_when_the_server_stops(
    database: DatabaseUrls, schools: TwoSchools, tmp_path: Path
) -> None:
    # given a third server with a live subscription
    port = free_port()
    log = tmp_path / "c.log"
    env = {**os.environ, "DATABASE_URL": libpq_dsn(database.owner),
           "ZHURNAL_SECRET_KEY": SECRET, "ZHURNAL_STATE_DIR": str(tmp_path)}
    with log.open("wb") as out:
        proc = subprocess.Popen([ZHURNAL, "serve", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
        ws = await subscribe(f"ws://127.0.0.1:{port}/graphql", token(database, jg.guardian_login),
                             jg.students[0])
        await until_live(ws, lambda: poke(database, jg))
        # when
        proc.terminate()
        # then the socket is closed by the server (no hang), and the process exits cleanly
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await receive(ws, 3 * WAIT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012  # service restart: clients reconnect
        await asyncio.to_thread(proc.wait, 15)  # uvicorn re-raises SIGTERM once it is done
        assert "Application shutdown complete" in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)




# --- the access token's lifetime -------------------------------------------------------------

def short_token(database: DatabaseUrls, login: str, seconds: float) -> str:
    """An access token that expires `seconds` from now."""
    with owner_session(database.owner) as s:
        account_id = s.scalar(select(m.Account.id).where(m.Account.login == login))
    assert account_id is not None, login
    issued = datetime.now(UTC) - timedelta(minutes=1) + timedelta(seconds=seconds)
    return issue_access_token(SECRET, account_id, minutes=1, issued_at=issued)[0]


def unauthenticated(message: dict[str, Any]) -> bool:
    errors = (message.get("payload") or {}).get("errors") if message["type"] == "next" \
        else message.get("payload")
    return message["type"] in ("next", "error") and any(
        (e.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
        and "expired" in e["message"] for e in errors or [])


async def test_diary_events_subscription_ends_when_its_access_token_expires(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a live subscription whose token expires in a few seconds
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    guardian = await subscribe(servers.a, short_token(database, jg.guardian_login, 4),
                               jg.students[0])
    try:
        await until_live(guardian, lambda: poke(database, jg))
        # when the token expires, with no event in between
        message = await receive(guardian, 4 + 2 * WAIT)
        while message["type"] == "next" and "errors" not in message["payload"]:
            message = await receive(guardian, 2 * WAIT)  # an event before the expiry
        # then the subscription ends with a clear error
        assert unauthenticated(message), message
        # and subscribing again on the same socket is refused alike
        await guardian.send(json.dumps({"id": "2", "type": "subscribe", "payload": {
            "query": DIARY_EVENTS, "variables": {"studentId": gid("Person", jg.students[0])}}}))
        again = await receive(guardian)
        while again.get("id") != "2":
            again = await receive(guardian)
        assert unauthenticated(again), again
    finally:
        await guardian.close()


# --- nothing lost: cursors, replay, the log -------------------------------------------------

EVENTS = """
subscription Events($studentId: ID!, $after: String) {
  diaryEvents(studentId: $studentId, after: $after) {
    cursor kind op studentId entityId occurredAt
    mark { label }
    attendance { kind lateMinutes }
    grade { id kind state value period { name } academicYear { name } subject { name }
            student { id } }
  }
}
"""

SET_PERIOD_GRADE = """
mutation Set($input: SetPeriodGradeInput!) {
  setPeriodGrade(input: $input) { grade { id } errors { field code message } }
}
"""


async def open_with(url: str, payload: dict[str, Any]) -> ClientConnection:
    ws = await asyncio.wait_for(connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                                        open_timeout=WAIT), WAIT)
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def send_subscribe(ws: ClientConnection, student_id: uuid.UUID,
                         after: str | None = None, op_id: str = "1") -> None:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {
        "query": EVENTS, "variables": {"studentId": gid("Person", student_id),
                                       "after": after}}}))


async def follow(url: str, bearer: str, student_id: uuid.UUID, after: str | None = None
                 ) -> ClientConnection:
    ws = await open_with(url, {"Authorization": f"Bearer {bearer}"})
    assert (await receive(ws))["type"] == "connection_ack"
    await send_subscribe(ws, student_id, after)
    return ws


def add_mark(database: DatabaseUrls, jg: JournalGroup, value: str, student: int = 0,
             comment: str | None = None) -> uuid.UUID:
    """A mark written straight into the database as the owner (the trigger logs it)."""
    mark_id = uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Mark(school_id=jg.school.id, id=mark_id, group_id=jg.group_id, lesson_id=None,
                     student_id=jg.students[student], work_date=jg.lesson_dates[0],
                     work_type_id=jg.setup.work_type_ids["test"],
                     value_id=jg.setup.value_ids[value], comment=comment))
    return mark_id


async def events(ws: ClientConnection, n: int) -> list[dict[str, Any]]:
    return [await next_event(ws) for _ in range(n)]


# --- subscribe, then mutate at once --------------------------------------------------------

async def test_a_mark_committed_right_after_subscribing_is_delivered(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian who sends subscribe and does not wait for anything
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    ws = await open_with(servers.a, {"Authorization":
                                     f"Bearer {token(database, jg.guardian_login)}"})
    try:
        assert (await receive(ws))["type"] == "connection_ack"
        await send_subscribe(ws, jg.students[0])
        # when a mark is committed at once (before the server has even authorised the
        # subscription: a direct write takes a millisecond)
        mark_id = add_mark(database, jg, "3")
        # then it is delivered, with its cursor
        event = await next_event(ws)
        assert event["kind"] == "MARK" and event["entityId"] == gid("Mark", mark_id)
        assert event["mark"]["label"] == "3" and event["cursor"]
        assert await nothing_within(ws, 0.5)
    finally:
        await ws.close()


async def test_a_mutation_sent_right_after_subscribing_is_delivered(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian subscribed on A, and the teacher's mutation sent through B right away
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    ws = await follow(servers.a, token(database, jg.guardian_login), jg.students[0])
    try:
        # when
        data = await post_b(servers, SET_MARKS, {"input": {
            "lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [{
                "studentId": gid("Person", jg.students[0]), "value": "5",
                "workTypeId": gid("WorkType", jg.setup.work_type_ids["classwork"])}]}},
            token(database, jg.teacher_login))
        assert data["setMarks"]["errors"] == []
        # then
        event = await next_event(ws)
        assert event["entityId"] == data["setMarks"]["marks"][0]["id"]
        assert event["mark"]["label"] == "5"
    finally:
        await ws.close()


async def test_a_mark_committed_between_connection_ack_and_subscribe_is_delivered(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian whose socket is acknowledged, who reads the diary before subscribing
    # (README's recipe: connect, then read, then subscribe)
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    before = add_mark(database, jg, "2")  # committed before the socket: in the diary read
    ws = await open_with(servers.a, {"authToken": token(database, jg.guardian_login)})
    try:
        assert (await receive(ws))["type"] == "connection_ack"
        # when a mark is committed meanwhile, and only then the client subscribes
        meanwhile = add_mark(database, jg, "4")
        await send_subscribe(ws, jg.students[0])
        # then that mark is delivered, and not the one from before the socket
        event = await next_event(ws)
        assert event["entityId"] == gid("Mark", meanwhile) != gid("Mark", before)
        assert await nothing_within(ws, 0.5)
    finally:
        await ws.close()


def test_the_graphql_ws_client_as_the_readme_shows_it_loses_nothing(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given the README's recipe in the real client library (graphql-ws in Node, web/clients/
    # live-diary.mjs): a guardian's socket on A, the teacher's mutations through B
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    node = shutil.which("node")
    if node is None:
        pytest.fail("this test needs Node.js (`node` on PATH)")
    if not (WEB / "node_modules" / "graphql-ws").is_dir():
        pytest.fail("web/node_modules is missing: run `make web` (npm ci in web/)")
    # when it subscribes and mutates at once; then the socket breaks, the mark is deleted
    # before graphql-ws reconnects by itself and subscribes again
    result = subprocess.run([node, "clients/live-diary.mjs"], cwd=WEB, timeout=120,
                            capture_output=True, text=True, env={
        **os.environ, "ZHURNAL_WS_URL": servers.a, "ZHURNAL_HTTP_URL": servers.b,
        "ZHURNAL_READER_TOKEN": token(database, jg.guardian_login),
        "ZHURNAL_WRITER_TOKEN": token(database, jg.teacher_login),
        "ZHURNAL_STUDENT_ID": gid("Person", jg.students[0]),
        "ZHURNAL_LESSON_ID": gid("Lesson", jg.lesson_ids[0]),
        "ZHURNAL_WORK_TYPE_ID": gid("WorkType", jg.setup.work_type_ids["classwork"])})
    # then the mark's creation arrived live, and its deletion on the reconnect, each once
    assert result.returncode == 0, result.stderr[-4000:]
    got = json.loads(result.stdout)
    assert (got["connections"], got["events"]) == (2, 2)
    assert (got["created"]["kind"], got["created"]["op"]) == ("MARK", "CREATED")
    assert got["created"]["entityId"] == got["markId"]
    assert got["created"]["mark"]["label"] == "5"
    assert (got["replayed"]["op"], got["replayed"]["entityId"]) == ("DELETED", got["markId"])
    assert got["replayed"]["cursor"] != got["created"]["cursor"]


# --- reconnecting with after ----------------------------------------------------------------

async def test_a_client_that_reconnects_with_after_receives_what_it_missed_once_in_order(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian who received one event, then lost their socket
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    bearer = token(database, jg.guardian_login)
    ws = await follow(servers.a, bearer, jg.students[0])
    first = add_mark(database, jg, "2")
    seen = await next_event(ws)
    assert seen["entityId"] == gid("Mark", first)
    await ws.close()
    # when two marks are written meanwhile, and the client comes back with the cursor
    missed = [add_mark(database, jg, "4"), add_mark(database, jg, "5")]
    ws = await follow(servers.a, bearer, jg.students[0], after=seen["cursor"])
    try:
        # then it receives exactly those two, in order, and not the one it had
        replayed = await events(ws, 2)
        assert [e["entityId"] for e in replayed] == [gid("Mark", i) for i in missed]
        assert [e["mark"]["label"] for e in replayed] == ["4", "5"]
        assert replayed[0]["cursor"] != replayed[1]["cursor"] != seen["cursor"]
        assert await nothing_within(ws, 0.5)
        # and live events follow, each once
        live = add_mark(database, jg, "3")
        assert (await next_event(ws))["entityId"] == gid("Mark", live)
        assert await nothing_within(ws, 0.5)
    finally:
        await ws.close()


async def test_events_written_while_the_listener_connection_is_down_are_delivered(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a live subscription
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    ws = await follow(servers.a, token(database, jg.guardian_login), jg.students[0])
    try:
        await until_live(ws, lambda: poke(database, jg))
        # when the database drops every LISTEN connection, and a mark is committed at once
        # (the listeners wait half a second before reconnecting: nobody hears its NOTIFY)
        with psycopg.connect(libpq_dsn(database.owner), autocommit=True) as conn:
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid, 2000)) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                (LISTENER_APPLICATION_NAME,)).fetchone()
            assert dropped is not None and dropped[0] >= 2
            missed = add_mark(database, jg, "4", comment="пока слушатель переподключался")
            listening = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND datname = current_database()", (LISTENER_APPLICATION_NAME,)).fetchone()
        # then the subscriber reads it from the log once the listener is back
        event = await next_event(ws, 3 * WAIT)
        assert event["entityId"] == gid("Mark", missed)
        assert event["mark"]["label"] == "4"
        assert listening == (0,)  # still nobody listening: it was written while nobody did
        assert await nothing_within(ws, 0.5)
    finally:
        await ws.close()


async def test_a_cursor_of_another_student_or_school_replays_nothing_of_theirs(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a guardian's child, another student of the same school, and a school B student,
    # with events written for each
    mine = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    school_b = make_journal_group(database.owner, schools.b, students=1, lessons=1)
    other_ws = await follow(servers.a, token(database, other.guardian_login), other.students[0])
    b_ws = await follow(servers.a, token(database, school_b.guardian_login),
                        school_b.students[0])
    try:
        add_mark(database, other, "2")
        add_mark(database, school_b, "2")
        other_cursor = (await next_event(other_ws))["cursor"]
        b_cursor = (await next_event(b_ws))["cursor"]
        own = add_mark(database, mine, "5")
        add_mark(database, other, "3")
        add_mark(database, school_b, "3")
        bearer = token(database, mine.guardian_login)
        for after in (other_cursor, b_cursor, encode_cursor(0, datetime.now(UTC))):
            # when the guardian replays their child's stream from someone else's cursor
            ws = await follow(servers.a, bearer, mine.students[0], after=after)
            try:
                # then only their child's event comes
                event = await next_event(ws)
                assert event["entityId"] == gid("Mark", own)
                assert event["studentId"] == gid("Person", mine.students[0])
                assert await nothing_within(ws, 0.5)
            finally:
                await ws.close()
        # and the other student's stream is still refused to them, cursor or not
        ws = await follow(servers.a, bearer, other.students[0], after=other_cursor)
        try:
            message = await receive(ws)
            assert message["payload"]["data"] is None
            assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        finally:
            await ws.close()
    finally:
        await other_ws.close()
        await b_ws.close()


# --- the replay window ----------------------------------------------------------------------

async def test_a_cursor_older_than_the_window_is_refused_with_a_clear_error(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a cursor of 25 hours ago, and one that is not a cursor at all
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    bearer = token(database, jg.guardian_login)
    stale = encode_cursor(1, datetime.now(UTC) - REPLAY_WINDOW - timedelta(hours=1))
    errors = {}
    for after in (stale, "not-a-cursor"):
        # when
        ws = await follow(servers.a, bearer, jg.students[0], after=after)
        try:
            message = await receive(ws)
        finally:
            await ws.close()
        # then the subscription ends with an error naming the argument, and no data
        assert message["type"] == "next" and message["payload"]["data"] is None, message
        errors[after] = message["payload"]["errors"][0]
    assert errors[stale]["extensions"] == {"code": "CURSOR_EXPIRED", "argument": "after"}
    assert "'after'" in errors[stale]["message"] and "24 h" in errors[stale]["message"]
    assert errors["not-a-cursor"]["extensions"] == {"code": "BAD_USER_INPUT",
                                                    "argument": "after"}
    assert "'after'" in errors["not-a-cursor"]["message"]


async def test_events_older_than_the_window_are_not_replayed_and_are_purged(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a log row of 25 hours ago for the student (as if the purge had not run yet)
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    old_mark = add_mark(database, jg, "2")
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        row = s.scalar(select(m.DiaryEventEntry).where(
            m.DiaryEventEntry.entity_id == old_mark))
        assert row is not None
        row.created_at = datetime.now(UTC) - REPLAY_WINDOW - timedelta(hours=1)
    recent = add_mark(database, jg, "5")
    # when the guardian replays from the start of the window
    ws = await follow(servers.a, token(database, jg.guardian_login), jg.students[0],
                      after=encode_cursor(0, datetime.now(UTC)))
    try:
        # then only the recent event comes
        assert (await next_event(ws))["entityId"] == gid("Mark", recent)
        assert await nothing_within(ws, 0.5)
    finally:
        await ws.close()
    # and the purge deletes the old row, and only it
    engine = app_engine(database.app, pool_size=1)
    try:
        async with transaction(app_sessions(engine)) as session:
            assert await purge(session) >= 1
        async with transaction(app_sessions(engine)) as session:
            await set_tenant_async(session, [jg.school.id])
            left = (await session.scalars(select(m.DiaryEventEntry.entity_id).where(
                m.DiaryEventEntry.entity_id.in_([old_mark, recent])))).all()
        assert left == [recent]
    finally:
        await engine.dispose()


# --- connection_init ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    lambda t: {"Authorization": f"Bearer {t}"},
    lambda t: {"authorization": f"Bearer {t}"},
    lambda t: {"Authorization": t},
    lambda t: {"authToken": t},
    lambda t: {"authToken": f"Bearer {t}"},
    lambda t: {"token": t},
    lambda t: {"token": f"Bearer {t}"},
    lambda t: {"headers": {"Authorization": f"Bearer {t}"}},
    lambda t: {"headers": {"Authorization": t}},
], ids=["Authorization", "authorization", "Authorization-bare", "authToken-bare",
        "authToken-bearer", "token-bare", "token-bearer", "headers.Authorization",
        "headers.Authorization-bare"])
async def test_connection_init_accepts_the_token_where_client_libraries_put_it(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools, payload: Any
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    # when the token comes under this key
    ws = await open_with(servers.a, payload(token(database, jg.guardian_login)))
    try:
        # then the socket is acknowledged as the guardian: their child's events come
        assert (await receive(ws))["type"] == "connection_ack"
        await send_subscribe(ws, jg.students[0])
        mark_id = add_mark(database, jg, "4")
        assert (await next_event(ws))["entityId"] == gid("Mark", mark_id)
    finally:
        await ws.close()


@pytest.mark.parametrize("payload", [
    {"token": "not-a-token"}, {"authToken": ""}, {"headers": {"Authorization": "Bearer"}},
    {"headers": "Bearer x"}, {"Token": "x"},
])
async def test_connection_init_without_a_valid_token_under_any_key_is_refused(
    servers: Servers, payload: dict[str, Any]
) -> None:
    # given / when
    ws = await open_with(servers.a, payload)
    # then
    code, reason = await closed_with(ws)
    assert code == 4403, (code, reason)


# --- grades (issue 15) ----------------------------------------------------------------------

async def test_a_period_grade_set_through_the_api_is_a_grade_event_for_its_readers(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given the guardian and the group teacher following a student, and a stranger guardian
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    guardian = await follow(servers.a, token(database, jg.guardian_login), jg.students[0])
    teacher = await follow(servers.a, token(database, jg.teacher_login), jg.students[0])
    stranger = await follow(servers.a, token(database, other.guardian_login), other.students[0])
    try:
        await until_live(stranger, lambda: poke(database, other))
        # when the teacher sets the student's first-quarter grade through process B
        data = await post_b(servers, SET_PERIOD_GRADE, {"input": {
            "groupId": gid("StudyGroup", jg.group_id),
            "periodId": gid("Period", jg.setup.period_ids[0]),
            "studentId": gid("Person", jg.students[0]), "state": "GRADED", "value": "4"}},
            token(database, jg.teacher_login))
        assert data["setPeriodGrade"]["errors"] == []
        grade_id = data["setPeriodGrade"]["grade"]["id"]
        # then the guardian and the teacher receive it, carrying the Grade
        for ws in (guardian, teacher):
            event = await next_event(ws)
            assert (event["kind"], event["op"]) == ("GRADE", "CREATED"), event
            assert event["entityId"] == grade_id
            grade = event["grade"]
            assert grade["id"] == grade_id
            assert (grade["kind"], grade["state"], grade["value"]) == ("PERIOD", "GRADED", "4")
            assert grade["period"]["name"] and grade["subject"]["name"]
            assert grade["student"]["id"] == gid("Person", jg.students[0])
        # and the stranger nothing
        assert await nothing_within(stranger, 1.0)
    finally:
        for ws in (guardian, teacher, stranger):
            await ws.close()


@pytest.mark.parametrize("kind", [m.GradeKind.YEAR, m.GradeKind.EXAM, m.GradeKind.FINAL])
async def test_year_exam_and_final_grades_are_grade_events_new_and_changed(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools, kind: m.GradeKind
) -> None:
    # given the student, following their own diary
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    student = await follow(servers.a, token(database, jg.student_logins[0]), jg.students[0])
    try:
        await until_live(student, lambda: poke(database, jg))
        # when a grade of this kind is written (by any writer: the trigger logs it), then
        # changed
        grade_id = uuid.uuid4()
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            exam_kind_id = None
            if kind is m.GradeKind.EXAM:  # an exam result names its exam kind (migration 0016)
                exam_kind_id = uuid.uuid4()
                s.add(m.ExamKind(school_id=jg.school.id, id=exam_kind_id,
                                 name=f"Экзамен {exam_kind_id.hex[:6]}", short_name="Экз",
                                 level=m.ExamLevel.INTERMEDIATE, system_id=jg.setup.system_id))
                s.flush()
            s.add(m.Grade(school_id=jg.school.id, id=grade_id, academic_year_id=jg.school.year_id,
                          student_id=jg.students[0], subject_id=jg.setup.subject_id, kind=kind,
                          period_id=None, group_id=jg.group_id, state=m.GradeState.GRADED,
                          value_id=jg.setup.value_ids["5"], exam_kind_id=exam_kind_id))
        created = await next_event(student)
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            row = s.get(m.Grade, (jg.school.id, grade_id))
            assert row is not None
            row.value_id = jg.setup.value_ids["4"]
        changed = await next_event(student)
        # then both are GRADE events carrying the grade as it is now
        assert (created["kind"], created["op"]) == ("GRADE", "CREATED")
        assert (changed["kind"], changed["op"]) == ("GRADE", "UPDATED")
        for event in (created, changed):
            assert event["grade"]["id"] == gid("Grade", grade_id)
            assert event["grade"]["kind"] == kind.name
            assert event["grade"]["academicYear"]["name"] == "2015/2016"
        assert changed["grade"]["value"] == "4"
    finally:
        await student.close()


# --- statements ----------------------------------------------------------------------------

async def test_a_replay_reads_in_a_number_of_statements_that_does_not_grow_with_the_events(
    database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given two students, one with 2 events and one with 12 (marks, attendance, a lesson)
    few = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    many = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    engine = app_engine(database.app, pool_size=1)
    sessions = app_sessions(engine)
    async with transaction(sessions) as session:
        start = (await positions(session, [schools.a.id]))[schools.a.id]
    for jg, n in ((few, 1), (many, 10)):
        for _ in range(n):
            add_mark(database, jg, "4")
        poke(database, jg)
        with owner_session(database.owner) as s:
            set_tenant(s, [jg.school.id])
            lesson = s.get(m.Lesson, (jg.school.id, jg.lesson_ids[0]))
            assert lesson is not None
            lesson.homework = "№ 5"
    counts = []
    try:
        for jg, expected in ((few, 3), (many, 12)):
            with owner_session(database.owner) as s:
                account = s.scalar(select(m.Account.id).where(
                    m.Account.login == jg.guardian_login))
            # when the guardian's replay is read, with its details
            with count_statements() as counter:
                async with transaction(sessions) as session:
                    access = await resolve_access(session, account, None)
                    before = counter.count
                    notices = await catch_up(session, access, jg.school.id, jg.students[0],
                                             start)
                    found = await read_events(session, jg.school.id, jg.students[0], notices)
                    counts.append(counter.count - before)
            assert len(found) == expected, found
            assert [e.cursor for e in found] == sorted(e.cursor for e in found)  # type: ignore[type-var]
    finally:
        await engine.dispose()
    # then the same number of statements for 3 events as for 12
    assert counts[0] == counts[1], counts


async def test_a_lesson_and_a_mark_committed_together_both_arrive_in_commit_order(
    servers: Servers, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given a live subscription
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    ws = await follow(servers.a, token(database, jg.guardian_login), jg.students[0])
    try:
        await until_live(ws, lambda: poke(database, jg))
        for n in range(3):
            # when one transaction changes the lesson's homework, then writes a mark
            mark_id = uuid.uuid4()
            with owner_session(database.owner) as s:
                set_tenant(s, [jg.school.id])
                lesson = s.get(m.Lesson, (jg.school.id, jg.lesson_ids[0]))
                assert lesson is not None
                lesson.homework = f"Упр. {n + 1}"
                s.flush()
                s.add(m.Mark(school_id=jg.school.id, id=mark_id, group_id=jg.group_id,
                             lesson_id=None, student_id=jg.students[0],
                             work_date=jg.lesson_dates[0],
                             work_type_id=jg.setup.work_type_ids["test"],
                             value_id=jg.setup.value_ids["4"]))
            # then both arrive, in the order they were written (the lesson's routing reads
            # the database, the mark's does not: neither may overtake the other)
            got = await events(ws, 2)
            assert [e["kind"] for e in got] == ["LESSON", "MARK"], got
            assert got[1]["entityId"] == gid("Mark", mark_id)
            assert await nothing_within(ws, 0.3)
    finally:
        await ws.close()
