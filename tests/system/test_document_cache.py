"""The document cache of the edge (server/documents.py Memo): a miss is worked out in a worker
thread, a hit is answered on the loop without one, failures are not kept, the size is bounded."""

from __future__ import annotations

import asyncio
import threading

import pytest
from graphql import GraphQLError

from server.documents import Memo, parse_bounded


def test_a_miss_runs_in_a_thread_and_a_hit_runs_nothing() -> None:
    threads: list[int] = []

    def work(x: int) -> int:
        threads.append(threading.get_ident())
        return x * 2

    memo = Memo(work)

    async def main() -> tuple[int, int, int]:
        first = await memo.off_loop(21)
        loop_thread = threading.get_ident()
        second = await memo.off_loop(21)
        return first, second, loop_thread

    first, second, loop_thread = asyncio.run(main())
    assert (first, second) == (42, 42)
    assert len(threads) == 1  # the hit did not call the function again
    assert threads[0] != loop_thread  # and the miss ran off the loop


def test_a_failure_is_not_kept() -> None:
    calls = 0

    def fails(x: str) -> str:
        nonlocal calls
        calls += 1
        raise GraphQLError(f"bad {x}")

    memo = Memo(fails)
    for _ in range(2):
        with pytest.raises(GraphQLError):
            asyncio.run(memo.off_loop("doc"))
    assert calls == 2


def test_the_least_recently_used_goes_first() -> None:
    calls: list[int] = []
    memo = Memo(lambda x: calls.append(x) or x, max_entries=2)
    memo(1), memo(2), memo(1), memo(3)  # 2 was used least recently: it goes
    memo(1), memo(3)
    assert calls == [1, 2, 3]
    memo(2)
    assert calls == [1, 2, 3, 2]


def test_the_parse_cache_hands_out_one_document_per_text() -> None:
    # Validation is kept by the document's identity: the same text must give the same object.
    assert parse_bounded("{ __typename }") is parse_bounded("{ __typename }")
    with pytest.raises(GraphQLError):
        parse_bounded("{ unclosed")
