"""PostgreSQL restarted under a stream of mark writes (issue 9, faults): every write the API
acknowledged is there afterwards, requests during the outage get the clear retryable 503 (never
a 500 or a hang), the same `zhurnal serve` process serves again once the database is back, and
a retry with the same `clientKey` leaves exactly one mark.

The suite's embedded PostgreSQL is shared by every test (and every engineer): the drill runs
on a throw-away cluster of its own, made with the pgserver wheel's initdb/pg_ctl and removed
afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from db import models as m
from db.audit_verify import verify_chains
from db.engine import DatabaseUrls, libpq_dsn, owner_engine, owner_session
from db.settings import APP_ROLE
from resolvers.auth.tokens import issue_access_token
from tests.api.test_marks import add_lesson, entry, gid, sql, today
from tests.factories import TwoSchools, seed_two_schools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.migrating import upgrade
from tests.server_fixture import free_port
from tests.system.test_cli import ZHURNAL
from tests.system.test_diary_events import _wait_healthy
from tests.system.test_faults import assert_retryable

SECRET = "restart-drill-secret-" + "r" * 40
BOUND = 30.0  # no request may take longer than this, outage or not
CLIENTS = 4
OUTAGE = 2.0  # seconds PostgreSQL stays down, at least
VALUES = ("5", "4", "3", "2")
SET_MARKS = """
mutation Drill($input: SetMarksInput!) {
  setMarks(input: $input) { marks { id value comment } replayed errors { field code message } }
}
"""
MARKS = """
query Marks($groupId: ID!, $from: Date!, $to: Date!) {
  marks(groupId: $groupId, from: $from, to: $to, first: 100) { edges { node { id } } }
}
"""


# --- a cluster of its own ---------------------------------------------------------------------

@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a TCP port of its own."""

    root: Path
    port: int
    user: str | None  # the system user postgres runs as (root may not run it)

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    def _run(self, tool: str, *args: str) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        # Output to a file, not a pipe: the server pg_ctl starts would inherit a pipe.
        with (self.root / "tools.log").open("ab") as out:
            subprocess.run([str(Path(POSTGRES_BIN_PATH) / tool), "-D", str(self.data_dir),
                            *args], stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=90, user=self.user)

    def init(self) -> None:
        self._run("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start on the same data and port; TCP only, no socket folder shared with anyone."""
        self._run("pg_ctl", "-w", "-t", "60", "-l", str(self.root / "postgres.log"),
                  "-o", f'-h 127.0.0.1 -p {self.port} -k ""', "start")

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-w", "-t", "60", "-m", mode, "stop")

    def owner(self, database: str) -> DatabaseUrls:
        owner = make_url(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}")
        return DatabaseUrls(owner=owner, app=owner.set(username=APP_ROLE))

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="zhurnal-drill-"))
    user = None
    if os.geteuid() == 0:  # postgres refuses root: run it as pgserver's user, as pgserver does
        from pgserver._commands import POSTGRES_BIN_PATH
        from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

        account = ensure_user_exists("pgserver")
        assert account is not None
        ensure_prefix_permissions(Path(POSTGRES_BIN_PATH))
        os.chown(root, account.pw_uid, account.pw_gid)
        user = account.pw_name
    cluster = Cluster(root, free_port(), user)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            cluster.stop("immediate")  # unless it is not running
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Drill:
    cluster: Cluster
    urls: DatabaseUrls
    schools: TwoSchools
    jg: JournalGroup
    lesson_id: uuid.UUID
    token: str
    base: str
    server: subprocess.Popen[bytes]
    server_log: Path


@pytest.fixture()
def drill() -> Iterator[Drill]:
    """A migrated throw-away cluster with two small schools, a lesson today with CLIENTS
    students, and `zhurnal serve` on it."""
    with throwaway_cluster() as cluster:
        urls = cluster.owner("zhurnal")
        with psycopg.connect(libpq_dsn(cluster.owner("postgres").owner), autocommit=True) as c:
            c.execute('CREATE DATABASE "zhurnal"')
        try:
            upgrade(urls.owner)
            schools = seed_two_schools(urls.owner)
            jg = make_journal_group(urls.owner, schools.a, students=CLIENTS, lessons=1)
            lesson_id = add_lesson(urls, jg, today())
            with owner_session(urls.owner) as s:
                account_id = s.scalar(select(m.Account.id)
                                      .where(m.Account.login == jg.teacher_login))
            assert account_id is not None
            token = issue_access_token(SECRET, account_id, minutes=30)[0]
            port = free_port()
            log = cluster.root / "server.log"
            env = {**os.environ, "DATABASE_URL": libpq_dsn(urls.owner),
                   "ZHURNAL_SECRET_KEY": SECRET, "ZHURNAL_STATE_DIR": str(cluster.root)}
            for name in ("ZHURNAL_APP_DATABASE_URL", "ZHURNAL_APP_PASSWORD", "ZHURNAL_ENV"):
                env.pop(name, None)
            with log.open("wb") as out:
                server = subprocess.Popen([ZHURNAL, "serve", "--port", str(port)], env=env,
                                          stdout=out, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_healthy(base, server, log)
                yield Drill(cluster, urls, schools, jg, lesson_id, token, base, server, log)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
        finally:
            owner_engine(urls.owner).dispose()


# --- the writers ------------------------------------------------------------------------------

@dataclass
class Attempt:
    key: str
    value: str
    started: float
    elapsed: float
    response: httpx.Response | None
    failure: str | None = None  # no HTTP response at all

    @property
    def acknowledged(self) -> bool:
        if self.response is None or self.response.status_code != 200:
            return False
        body = self.response.json()
        return "errors" not in body and body["data"]["setMarks"]["errors"] == []

    @property
    def mark(self) -> dict[str, Any]:
        assert self.response is not None
        [mark] = self.response.json()["data"]["setMarks"]["marks"]
        return mark


def write(http: httpx.Client, d: Drill, student: int, key: str, value: str) -> Attempt:
    variables = {"input": {"lessonId": gid("Lesson", d.lesson_id), "clientKey": key,
                           "marks": [entry(d.jg, student, value, comment=key)]}}
    started = time.monotonic()
    try:
        response = http.post("/graphql", json={"query": SET_MARKS, "variables": variables},
                             headers={"Authorization": f"Bearer {d.token}"})
    except httpx.HTTPError as err:
        return Attempt(key, value, started, time.monotonic() - started, None, repr(err))
    return Attempt(key, value, started, time.monotonic() - started, response)


def write_once(d: Drill, student: int, key: str, value: str) -> Attempt:
    with httpx.Client(base_url=d.base, timeout=BOUND) as http:
        return write(http, d, student, key, value)


@dataclass
class Writer:
    """One client writing marks for its own student, one request after another."""

    n: int
    d: Drill
    stop: threading.Event
    attempts: list[Attempt] = field(default_factory=list)
    thread: threading.Thread | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.d.base, timeout=BOUND + 5) as http:
            i = 0
            while not self.stop.is_set():
                key = f"drill-{self.n}-{i}-{uuid.uuid4().hex[:6]}"
                attempt = write(http, self.d, self.n, key, VALUES[i % len(VALUES)])
                self.attempts.append(attempt)
                i += 1
                # a client backs off when refused (a quarter of Retry-After: a short test)
                time.sleep(0.02 if attempt.acknowledged else 0.25)

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for a in list(self.attempts) if a.started >= moment and a.acknowledged)


def wait_until(condition: Callable[[], bool], seconds: float, what: str, d: Drill) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert d.server.poll() is None, d.server_log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s\n{d.cluster.log()}"
        time.sleep(0.05)


# --- the drill --------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_restart_drill_loses_no_acknowledged_write_and_the_server_recovers(
    drill: Drill, mode: str
) -> None:
    d = drill
    stop = threading.Event()
    writers = [Writer(n, d, stop) for n in range(CLIENTS)]
    began = time.monotonic()
    for w in writers:
        w.start()
    try:
        # given a stream of acknowledged writes
        wait_until(lambda: all(w.acknowledged_since(began) >= 3 for w in writers), BOUND,
                   "writes before the restart", d)
        # when PostgreSQL stops (fast: sessions are terminated; immediate: as a crash)
        d.cluster.stop(mode)
        down = time.monotonic()

        def refused_since_down() -> list[Attempt]:
            return [a for w in writers for a in list(w.attempts)
                    if a.started >= down and a.response is not None
                    and a.response.status_code == 503]

        wait_until(lambda: len(refused_since_down()) >= 2 * CLIENTS
                   and time.monotonic() - down >= OUTAGE, BOUND, "refusals during the outage", d)
        health_down = httpx.get(f"{d.base}/healthz", timeout=BOUND)
        ready_down = httpx.get(f"{d.base}/readyz", timeout=BOUND)
        # and is started again on the same data and port
        d.cluster.start()
        up = time.monotonic()
        wait_until(lambda: all(w.acknowledged_since(up) >= 3 for w in writers), BOUND,
                   "writes after the restart", d)
    finally:
        stop.set()
        for w in writers:
            assert w.thread is not None
            w.thread.join(timeout=BOUND + 10)
    attempts = [a for w in writers for a in w.attempts]

    # then every request had an answer within the bound: 200, or the clear retryable 503
    assert [a.failure for a in attempts if a.failure] == []
    assert max(a.elapsed for a in attempts) < BOUND
    statuses = Counter(a.response.status_code for a in attempts if a.response is not None)
    assert set(statuses) <= {200, 503}, statuses
    for a in attempts:
        assert a.response is not None
        if a.response.status_code == 503:
            assert_retryable(a.response)
        else:
            assert a.acknowledged, a.response.text
    assert health_down.status_code == 200
    assert ready_down.status_code == 503, ready_down.text
    # and the same process serves again, at once: every request sent after PostgreSQL was back
    assert d.server.poll() is None
    after = [a for a in attempts if a.started >= up]
    assert after and all(a.acknowledged for a in after), \
        [a.response.text for a in after if a.response is not None and not a.acknowledged][:3]
    with httpx.Client(base_url=d.base, timeout=BOUND) as http:
        assert http.get("/readyz").status_code == 200
        read = http.post("/graphql", json={"query": MARKS, "variables": {
            "groupId": gid("StudyGroup", d.jg.group_id), "from": today().isoformat(),
            "to": today().isoformat()}}, headers={"Authorization": f"Bearer {d.token}"})
        assert read.status_code == 200 and "errors" not in read.json(), read.text
        assert read.json()["data"]["marks"]["edges"]

        # when every write that was not acknowledged is sent again with its clientKey
        unacknowledged = [a for a in attempts if not a.acknowledged]
        student = {a.key: int(a.key.split("-")[1]) for a in attempts}
        retries = [write(http, d, student[a.key], a.key, a.value) for a in unacknowledged]
    # then each is acknowledged (replayed when the first attempt did commit after all)
    assert all(r.acknowledged for r in retries), [r.response.text for r in retries
                                                   if r.response is not None][:3]

    # when PostgreSQL restarts again while the server is idle, its pool full of connections
    # to the old server
    d.cluster.stop(mode)
    d.cluster.start()
    # then the very first requests afterwards, at once, are served: each dead connection is
    # found on checkout (pool_pre_ping) and replaced, none reaches a request
    with ThreadPoolExecutor(CLIENTS) as pool:
        idle = list(pool.map(lambda n: write_once(d, n, f"idle-{n}-{uuid.uuid4().hex[:6]}",
                                                  VALUES[n % len(VALUES)]), range(CLIENTS)))
    assert all(a.acknowledged for a in idle), [a.failure or a.response.text for a in idle
                                               if a.response is None or not a.acknowledged]

    # and the database holds exactly one mark per key, with its value: nothing acknowledged
    # was lost, nothing was written twice
    rows = sql(d.urls, d.schools.a.id,
               "SELECT mk.id, mk.comment, v.label FROM marks mk JOIN mark_values v "
               "ON v.school_id = mk.school_id AND v.id = mk.value_id "
               "WHERE mk.school_id = :school AND mk.lesson_id = :lesson", lesson=d.lesson_id)
    per_key = Counter(r.comment for r in rows)
    assert [k for k, n in per_key.items() if n != 1] == []
    assert set(per_key) == {a.key for a in attempts + idle}
    stored = {r.comment: (gid("Mark", r.id), r.label) for r in rows}
    for a in [a for a in attempts if a.acknowledged] + retries + idle:
        assert stored[a.key] == (a.mark["id"], a.value), a.key
    # and the audit trail of the school is an unbroken chain
    assert all(report.ok for report in verify_chains(d.urls.owner, d.schools.a.id))

    replayed = sum(r.response is not None and r.response.json()["data"]["setMarks"]["replayed"]
                   for r in retries)
    first_after = min(a.started + a.elapsed for a in after) - up
    print(f"\n{mode}: {len(attempts)} writes, {statuses[200]} acknowledged, {statuses[503]} "
          f"refused with 503 (retried: {len(retries)}, of which replayed {replayed}); outage "
          f"{up - down:.1f} s; first write acknowledged {first_after:.2f} s after the start; "
          f"slowest answer {max(a.elapsed for a in attempts):.2f} s")
