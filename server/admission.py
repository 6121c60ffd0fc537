"""How many operations a server process works on at once, and which goes next: writes first.

A process takes every request its clients send, but its event loop, its connection pool and
PostgreSQL's two cores work on all of them in turns: with 25 operations in flight, each one's
every statement waits behind the other 24 (the load run, issue 18: a teacher's setMarks took
24× its unloaded time, the reads 20–30×). The gate lets `slots` operations at a time into
their transaction; the others wait for a slot, mutations ahead of queries. The work done per
second is the same or better (fewer backends and tasks contend for the same cores), a write
waits only for the writes before it and one slot to free, and the reads, which a client can
send again and a cache may answer, take the queue.

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
    reads, each kind in arrival order. One per process (an asyncio object: one event loop)."""

    def __init__(self, slots: int, timeout: float) -> None:
        if slots < 1:
            raise ValueError("the admission gate needs at least one slot")
        self.slots = slots
        self.timeout = timeout
        self._free = slots
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
            self._release()

    async def _acquire(self, write: bool) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        queue = self._writes if write else self._reads
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(ticket)
        try:
            async with asyncio.timeout(self.timeout):
                await ticket
        except BaseException as err:
            if ticket.done() and not ticket.cancelled():
                self._release()  # the slot was handed over as the wait ended: pass it on
            else:
                ticket.cancel()
                if ticket in queue:  # a release may have passed over it already
                    queue.remove(ticket)
            if isinstance(err, TimeoutError):
                raise Busy(f"no slot freed in {self.timeout:g} s") from None
            raise

    def _release(self) -> None:
        """Hand the slot to the first waiting write, else the first waiting read."""
        for queue in (self._writes, self._reads):
            while queue:
                ticket = queue.popleft()
                if not ticket.done():
                    ticket.set_result(None)
                    return
        self._free += 1
