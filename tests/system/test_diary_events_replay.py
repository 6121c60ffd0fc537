"""diaryEvents loses nothing: every event carries a cursor, a subscription replays the diary
event log after `after:` (or after its socket's connection_ack), a listener that lost its
connection catches up from the log, and grades are diary events. Real server processes, real
PostgreSQL (the servers of test_diary_events: A for subscribers, B for writers)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from db import models as m
from db.engine import DatabaseUrls, app_engine, app_sessions, libpq_dsn, owner_session, transaction
from db.tenancy import set_tenant, set_tenant_async
from resolvers.events.diary import catch_up, read_events
from resolvers.events.log import REPLAY_WINDOW, encode_cursor, positions, purge
from resolvers.events.notifications import LISTENER_APPLICATION_NAME
from schema.ids import to_global_id as gid
from tenants.access import resolve_access
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements
from tests.system import test_diary_events as live
from tests.system.test_diary_events import (
    SET_MARKS,
    WAIT,
    Servers,
    closed_with,
    next_event,
    nothing_within,
    poke,
    post_b,
    receive,
    token,
    until_live,
)

# The two server processes of test_diary_events, started again for this module.
servers = live.servers

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
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                (LISTENER_APPLICATION_NAME,)).fetchone()
            assert dropped is not None and dropped[0] >= 2
            listening = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND datname = current_database()", (LISTENER_APPLICATION_NAME,)).fetchone()
        missed = add_mark(database, jg, "4", comment="пока слушатель переподключался")
        # then the subscriber reads it from the log once the listener is back
        event = await next_event(ws, 3 * WAIT)
        assert event["entityId"] == gid("Mark", missed)
        assert event["mark"]["label"] == "4"
        assert listening == (0,)  # it really was written while nobody listened
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
            s.add(m.Grade(school_id=jg.school.id, id=grade_id, academic_year_id=jg.school.year_id,
                          student_id=jg.students[0], subject_id=jg.setup.subject_id, kind=kind,
                          period_id=None, group_id=jg.group_id, state=m.GradeState.GRADED,
                          value_id=jg.setup.value_ids["5"]))
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
