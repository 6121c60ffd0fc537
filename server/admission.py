"""How many operations a server process works on at once, and which goes next: writes first.

A process takes every request its clients send, but its event loop, its connection pool and
PostgreSQL's two cores work on all of them in turns: with 25 operations in flight, each one's
every statement waits behind the other 24 (the load run, issue 18: a teacher's setMarks took
20–25× its unloaded time). The gate lets `slots` operations at a time into their
transaction; the others wait for a slot, mutations ahead of queries. The work done per
second is the same or better (fewer backends and tasks contend for the same cores), a write
waits only for the writes before it and one slot to free, and the reads, which a client can
send again and a cache may answer, take the queue. Writes never hold the last slot, so a burst
of them (every student logging in at 8:00, each login hashing for a while) slows the reads but
never shuts them out.

An operation that waits longer than `timeout` seconds for its slot gets the same retryable 503
as a pool that ran dry (server/graphql.py), so an overloaded process answers instead of
queueing without end. Subscriptions, exports and health checks do not pass the gate.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Busy(Exception):
    """No slot freed within the timeout: the process is overloaded; the client may retry."""


class Admission:
    """At most `slots` operations inside at once; waiting writes are let in before waiting
    reads, each kind in arrival order. Writes hold at most `slots - 1` of them (the only one
    when there is one), so a burst of writes (a morning of logins, whose hashing is slow)
    never shuts out the reads. One per process (an asyncio object: one event loop)."""

    def __init__(self, slots: int, timeout: float) -> None:
        if slots < 1:
            raise ValueError("the admission gate needs at least one slot")
        self.slots = slots
        self.timeout = timeout
        self.max_writes = max(1, slots - 1)
        self._free = slots
        self._writes_inside = 0
        self._writes: deque[asyncio.Future[None]] = deque()
        self._reads: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._writes) + len(self._reads)

    @property
    def inside(self) -> int:
        return self.slots - self._free

    @asynccontextmanager
    async def slot(self, *, write: bool) -> AsyncIterator[None]:
        await self._acquire(write)
        try:
            yield
        finally:
            self._release(write)

    async def _acquire(self, write: bool) -> None:
        queue = self._writes if write else self._reads
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(ticket)
        self._dispatch()
        if ticket.done():
            return
        try:
            async with asyncio.timeout(self.timeout):
                await ticket
        except BaseException as err:
            if ticket.done() and not ticket.cancelled():
                self._release(write)  # the slot was handed over as the wait ended: pass it on
            else:
                ticket.cancel()
                if ticket in queue:  # a dispatch may have passed over it already
                    queue.remove(ticket)
            if isinstance(err, TimeoutError):
                raise Busy(f"no slot freed in {self.timeout:g} s") from None
            raise

    def _release(self, write: bool) -> None:
        self._free += 1
        if write:
            self._writes_inside -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand the free slots out: to the first waiting write while writes hold fewer than
        `max_writes`, else to the first waiting read."""
        while self._free > 0:
            if self._writes and self._writes_inside < self.max_writes:
                ticket, write = self._writes.popleft(), True
            elif self._reads:
                ticket, write = self._reads.popleft(), False
            else:
                return
            if ticket.done():
                continue  # cancelled while waiting
            self._free -= 1
            self._writes_inside += write
            ticket.set_result(None)
