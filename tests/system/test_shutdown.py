"""Graceful shutdown of `zhurnal serve` (issue 9, faults): on SIGTERM the requests in flight
finish with their answers, new connections are refused, and the process exits 0 in bounded
time, also when a request would outlive the grace period. And SIGTERM keeps its meaning in
processes other than the command line that start the embedded server (pytest above all)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn
from db.settings import APP_ROLE
from tests.api.test_marks import add_lesson, entry, gid, sql, today
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.server_fixture import free_port
from tests.system.test_cli import ZHURNAL
from tests.system.test_diary_events import SECRET, _wait_healthy, token
from tests.system.test_faults import assert_retryable

BOUND = 30.0  # seconds: every wait of these tests is bounded
SET_MARKS = """
mutation Write($input: SetMarksInput!) {
  setMarks(input: $input) { marks { id value comment } errors { field code message } }
}
"""
MARKS = """
query Marks($groupId: ID!, $from: Date!, $to: Date!) {
  marks(groupId: $groupId, from: $from, to: $to, first: 100) { edges { node { id comment } } }
}
"""


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serve(database: DatabaseUrls, tmp_path: Path, *args: str) -> Iterator[Served]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": libpq_dsn(database.owner),
           "ZHURNAL_SECRET_KEY": SECRET, "ZHURNAL_STATE_DIR": str(tmp_path)}
    with log.open("wb") as out:
        proc = subprocess.Popen([ZHURNAL, "serve", "--port", str(port), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        yield Served(f"http://127.0.0.1:{port}", proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def marks_locked(database: DatabaseUrls) -> Iterator[psycopg.Connection]:
    """The marks table locked by another transaction: every request that reads or writes a
    mark waits in PostgreSQL (a slow request, as long as the test wants) until the lock goes."""
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        conn.execute("LOCK TABLE marks IN ACCESS EXCLUSIVE MODE")
        try:
            yield conn
        finally:
            conn.rollback()


def waiting_on_the_lock(database: DatabaseUrls) -> int:
    with psycopg.connect(libpq_dsn(database.owner), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND usename = %s AND wait_event_type = 'Lock'", (APP_ROLE,)).fetchone()
    assert row is not None
    return int(row[0])


def wait_until(condition: Any, what: str, seconds: float = BOUND) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)


@dataclass
class InFlight:
    """Requests sent from threads; each keeps its answer (or the transport error)."""

    base: str
    bearer: str
    answers: dict[str, httpx.Response | Exception] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)

    def send(self, name: str, query: str, variables: dict[str, Any]) -> None:
        def run() -> None:
            try:
                self.answers[name] = httpx.post(
                    f"{self.base}/graphql", json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {self.bearer}"}, timeout=BOUND)
            except httpx.HTTPError as err:
                self.answers[name] = err

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=BOUND)
            assert not thread.is_alive(), "a request hung"


def refuses_connections(base: str) -> bool:
    """No new request is served: the connection is refused, or, when the kernel had queued
    it just before the listening socket closed, reset with no answer."""
    try:
        httpx.get(f"{base}/healthz", timeout=2)
    except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
        return True
    return False


def write_mark(jg: JournalGroup, lesson_id: Any, student: int, value: str, comment: str
               ) -> dict[str, Any]:
    return {"input": {"lessonId": gid("Lesson", lesson_id),
                      "marks": [entry(jg, student, value, comment=comment)]}}


@pytest.fixture()
def lesson(database: DatabaseUrls, schools: TwoSchools) -> tuple[JournalGroup, Any]:
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=1)
    return jg, add_lesson(database, jg, today())


def test_sigterm_lets_requests_in_flight_finish_refuses_new_ones_and_exits_0(
    database: DatabaseUrls, lesson: tuple[JournalGroup, Any], tmp_path: Path
) -> None:
    jg, lesson_id = lesson
    with serve(database, tmp_path) as server:
        with marks_locked(database):
            # given three writes and a read held in PostgreSQL by a lock (slow requests)
            flight = InFlight(server.base, token(database, jg.teacher_login))
            for n, value in enumerate(("5", "4", "3")):
                flight.send(f"write{n}", SET_MARKS,
                            write_mark(jg, lesson_id, n, value, f"in flight {n} {tmp_path.name}"))
            flight.send("read", MARKS, {"groupId": gid("StudyGroup", jg.group_id),
                                        "from": today().isoformat(), "to": today().isoformat()})
            wait_until(lambda: waiting_on_the_lock(database) == 4, "four requests in flight")
            # when the server is asked to stop
            server.proc.send_signal(signal.SIGTERM)
            # then it stops accepting connections while the requests are still running
            wait_until(lambda: refuses_connections(server.base), "new connections refused", 10)
            assert flight.answers == {}
            assert server.proc.poll() is None
        # and once the slow requests can go on (the lock is released), they all finish
        flight.join()
        for name, answer in flight.answers.items():
            assert isinstance(answer, httpx.Response), f"{name}: {answer!r}"
            assert answer.status_code == 200, answer.text
            assert "errors" not in answer.json(), answer.text
        for n in range(3):
            assert flight.answers[f"write{n}"].json()["data"]["setMarks"]["errors"] == []
        # and the process exits 0, cleanly, in bounded time
        assert server.proc.wait(timeout=BOUND) == 0
        log = server.log.read_text()
        assert "Application shutdown complete" in log and "Traceback" not in log, log
    # and the acknowledged writes are stored
    rows = sql(database, jg.school.id, "SELECT comment FROM marks WHERE school_id = :school "
               "AND lesson_id = :lesson", lesson=lesson_id)
    assert sorted(r.comment for r in rows) == [f"in flight {n} {tmp_path.name}"
                                               for n in range(3)]


def test_a_request_past_the_grace_period_is_cancelled_and_the_process_still_exits(
    database: DatabaseUrls, lesson: tuple[JournalGroup, Any], tmp_path: Path
) -> None:
    jg, lesson_id = lesson
    grace = 2.0
    with serve(database, tmp_path, "--graceful-timeout", str(grace)) as server, \
            marks_locked(database):
        # (the server is gone before the lock is released: serve() kills nothing)
        # given a write held in PostgreSQL for longer than the grace period
        flight = InFlight(server.base, token(database, jg.teacher_login))
        flight.send("write", SET_MARKS, write_mark(jg, lesson_id, 0, "5", "held too long"))
        wait_until(lambda: waiting_on_the_lock(database) == 1, "a request in flight")
        # when the server is asked to stop
        stopping = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        # then it exits 0 once the grace period is over, without waiting for the request
        assert server.proc.wait(timeout=grace + 15) == 0
        took = time.monotonic() - stopping
        flight.join()
    assert grace <= took < grace + 15
    # and the client gets the clear retryable 503, not a 500
    answer = flight.answers["write"]
    assert isinstance(answer, httpx.Response), repr(answer)
    assert_retryable(answer)
    # and the cancelled write was not committed (once its backend is gone)
    wait_until(lambda: waiting_on_the_lock(database) == 0, "the backend ended")
    rows = sql(database, jg.school.id, "SELECT comment FROM marks WHERE school_id = :school "
               "AND lesson_id = :lesson", lesson=lesson_id)
    assert rows == []
    log = server.log.read_text()
    assert "timeout graceful shutdown exceeded" in log and "Traceback" not in log, log


SIGTERM_AFTER_START = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from db import embedded
    embedded.start(Path(sys.argv[1]), "zhurnal")
    print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)
    """
)


def test_starting_the_embedded_server_leaves_sigterm_alone_outside_the_command_line() -> None:
    # given the embedded server the suite uses (joined, not started again)
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the suite runs on DATABASE_URL: no embedded server to join")
    from db.settings import DatabaseSettings

    # when a process other than the command line starts (joins) it
    result = subprocess.run([sys.executable, "-c", SIGTERM_AFTER_START,
                             str(DatabaseSettings.from_env().data_dir)],
                            capture_output=True, text=True, timeout=120, check=False)
    # then its SIGTERM still has the default action: `kill` of pytest stops pytest, not a test
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True", result.stdout
