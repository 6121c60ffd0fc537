"""diaryEvents: live diary updates over graphql-transport-ws, fed by LISTEN/NOTIFY, across two
real server processes (a write through B reaches a subscriber on A)."""

from __future__ import annotations

import asyncio
import json
import os
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
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.tenancy import set_tenant
from resolvers.auth.tokens import issue_access_token
from resolvers.events.notifications import LISTENER_APPLICATION_NAME, DiaryListener
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.server_fixture import free_port
from tests.system.test_cli import ZHURNAL

SECRET = "diary-events-test-secret-" + "z" * 40
WAIT = 5.0  # every wait for the server is bounded: the test must never hang

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
    deadline = time.monotonic() + 30
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
