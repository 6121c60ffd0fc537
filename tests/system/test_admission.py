"""The admission gate (server/admission.py): at most N operations of a process inside at once,
waiting writes let in before waiting reads, and an overloaded process answers a retryable 503
instead of queueing without end. The gate alone (plain asyncio), then the real server."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn
from schema.ids import to_global_id
from server.admission import Admission, Busy
from tests.factories import TwoSchools
from tests.server_fixture import TEST_SETTINGS, running_server


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_no_more_than_its_slots_are_inside_at_once() -> None:
    gate = Admission(3, timeout=5)
    inside = peak = 0

    async def work(i: int) -> None:
        nonlocal inside, peak
        async with gate.slot(write=i % 4 == 0):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.001 * (i % 3))
            inside -= 1

    await asyncio.gather(*(work(i) for i in range(40)))
    assert peak == 3
    assert (gate.inside, gate.waiting) == (0, 0)


async def test_waiting_writes_go_in_before_waiting_reads_each_in_arrival_order() -> None:
    gate = Admission(1, timeout=5)
    order: list[str] = []
    hold = asyncio.Event()

    async def holder() -> None:
        async with gate.slot(write=False):
            await hold.wait()

    async def op(name: str, write: bool) -> None:
        async with gate.slot(write=write):
            order.append(name)

    tasks = [asyncio.create_task(holder())]
    await _settle()
    for name, write in [("read 1", False), ("write 1", True), ("read 2", False),
                        ("write 2", True)]:
        tasks.append(asyncio.create_task(op(name, write)))
        await _settle()
    assert gate.waiting == 4 and order == []
    hold.set()
    await asyncio.gather(*tasks)
    assert order == ["write 1", "write 2", "read 1", "read 2"]


async def test_writes_leave_the_last_slot_to_reads_so_a_burst_of_writes_shuts_none_out() -> None:
    gate = Admission(3, timeout=5)
    leave = asyncio.Event()
    inside: list[str] = []

    async def op(name: str, write: bool) -> None:
        async with gate.slot(write=write):
            inside.append(name)
            await leave.wait()

    tasks = [asyncio.create_task(op(f"write {i}", True)) for i in range(4)]
    await _settle()
    assert (inside, gate.inside, gate.waiting) == (["write 0", "write 1"], 2, 2)
    tasks.append(asyncio.create_task(op("read", False)))
    await _settle()
    assert inside[-1] == "read" and gate.inside == 3
    leave.set()
    await asyncio.gather(*tasks)
    assert sorted(inside) == ["read", "write 0", "write 1", "write 2", "write 3"]
    assert (gate.inside, gate.waiting) == (0, 0)


async def test_a_wait_past_the_timeout_is_busy_and_gives_up_its_place() -> None:
    gate = Admission(1, timeout=0.05)
    hold = asyncio.Event()

    async def holder() -> None:
        async with gate.slot(write=True):
            await hold.wait()

    held = asyncio.create_task(holder())
    await _settle()
    with pytest.raises(Busy):
        async with gate.slot(write=True):
            pytest.fail("let in while the only slot was held")
    assert gate.waiting == 0
    hold.set()
    await held
    async with gate.slot(write=False):  # the slot came back, and nobody else holds it
        assert gate.inside == 1
    assert gate.inside == 0


async def test_a_cancelled_waiter_leaks_no_slot_even_when_handed_one_as_it_is_cancelled() -> None:
    gate = Admission(1, timeout=5)
    first = asyncio.Event()

    async def holder() -> None:
        async with gate.slot(write=False):
            await first.wait()

    async def waiter() -> None:
        async with gate.slot(write=False):
            pytest.fail("a cancelled waiter ran")

    held = asyncio.create_task(holder())
    await _settle()
    plain = asyncio.create_task(waiter())
    handed = asyncio.create_task(waiter())
    await _settle()
    plain.cancel()  # cancelled while waiting: its place goes
    await _settle()
    first.set()  # the holder leaves and hands the slot to `handed` ...
    await asyncio.sleep(0)
    handed.cancel()  # ... which is cancelled before it runs again: it must pass the slot on
    await asyncio.gather(held, plain, handed, return_exceptions=True)
    assert (gate.inside, gate.waiting) == (0, 0)
    async with gate.slot(write=True):
        assert gate.inside == 1


# The real server: one slot, held by a mutation that waits for a table lock the test holds.

CREATE_SUBJECT = """
mutation Create($input: CreateSubjectInput!) {
  createSubject(input: $input) { subject { id } errors { field code message } } }"""
ME = "query Me { me { login } }"


def _post(base: str, token: str, query: str, variables: dict | None = None) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                      headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _create_subject(base: str, token: str, school: uuid.UUID) -> httpx.Response:
    name = f"Предмет {uuid.uuid4().hex[:6]}"
    return _post(base, token, CREATE_SUBJECT, {"input": {
        "schoolId": to_global_id("School", school), "name": name, "shortName": name[:10]}})


class Sent(threading.Thread):
    """A request sent from its own thread; `done` is when its answer came back."""

    def __init__(self, send) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: httpx.Response | None = None
        self.done = 0.0
        self.start()

    def run(self) -> None:
        self.response = self.send()
        self.done = time.monotonic()


def _locked(database: DatabaseUrls) -> psycopg.Connection:
    """An owner connection holding `subjects` in EXCLUSIVE mode: inserts wait, reads go on."""
    conn = psycopg.connect(libpq_dsn(database.owner))
    conn.execute("LOCK TABLE subjects IN EXCLUSIVE MODE")
    return conn


@contextmanager
def _one_slot_held(database: DatabaseUrls, schools: TwoSchools, token_for, *,
                   wait: float) -> Iterator[tuple[str, str, Sent, psycopg.Connection]]:
    """A server with one slot and `wait` seconds of waiting for it, the slot held by a
    createSubject that waits for a lock the test holds: the server's URL, the administrator's
    token, the holding request and the lock (roll it back and the holder goes on)."""
    settings = dataclasses.replace(TEST_SETTINGS, concurrent_operations=1,
                                   pool_timeout_seconds=wait)
    admin = token_for(schools.a.logins["admin"])
    lock = _locked(database)
    try:
        with running_server(database, settings) as base:
            holding = Sent(lambda: _create_subject(base, admin, schools.a.id))
            time.sleep(0.5)
            yield base, admin, holding, lock
            lock.rollback()
            holding.join(60)
    finally:
        lock.close()


def test_a_waiting_mutation_is_let_in_before_a_query_that_waited_longer(
    database: DatabaseUrls, schools: TwoSchools, token_for
) -> None:
    # given a server whose one slot is held
    with _one_slot_held(database, schools, token_for, wait=30) as (base, admin, holding, lock):
        # when a query, and after it a mutation, wait for the slot; then the lock goes
        query = Sent(lambda: _post(base, admin, ME))
        time.sleep(0.5)
        mutation = Sent(lambda: _create_subject(base, admin, schools.a.id))
        time.sleep(0.5)
        assert holding.response is None and query.response is None
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        lock.rollback()
        for sent in (holding, query, mutation):
            sent.join(60)
    # then all three succeed, and the mutation that came last was answered before the query
    for sent in (holding, query, mutation):
        assert sent.response is not None and sent.response.status_code == 200
        assert "errors" not in sent.response.json(), sent.response.text
    assert holding.done < mutation.done < query.done
    # and /metrics showed one operation inside the gate and two waiting
    assert "zhurnal_operations_active 1.0" in metrics
    assert "zhurnal_operations_waiting 2.0" in metrics


def test_an_operation_that_cannot_get_a_slot_in_time_is_a_retryable_503(
    database: DatabaseUrls, schools: TwoSchools, token_for
) -> None:
    # given a server whose one slot is held, and a second of waiting allowed
    with _one_slot_held(database, schools, token_for, wait=1) as (base, admin, holding, lock):
        # when a query comes
        refused = _post(base, admin, ME)
        lock.rollback()
        holding.join(60)
        after = _post(base, admin, ME)
    # then it is refused in about that second, retryably, and the next is served
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    [error] = refused.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
    assert after.status_code == 200 and after.json()["data"]["me"]["login"]
