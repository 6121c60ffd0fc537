"""The scenarios of issue 8 as GraphQL requests, and how each is timed."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.fixtures import Fixtures

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { tokens { accessToken } errors { field code message } }
}"""

JOURNAL = """
query Journal($groupId: ID!, $periodId: ID!) {
  journal(groupId: $groupId, periodId: $periodId) {
    group { groupId name }
    period { periodId name startsOn endsOn }
    gradingSystem { gradingSystemId name labels }
    lessons { lessonId date lessonNumber status topic homework lessonType teacher isSubstitution }
    students {
      studentId fullName startsOn endsOn marks markIds attendance
      extraMarks { markId workDate label }
      average periodGrade
    }
  }
}"""

DIARY = """
query Diary($studentId: ID!, $from: Date!, $to: Date!) {
  diary(studentId: $studentId, from: $from, to: $to) {
    studentId studentName
    days {
      date
      lessons {
        lessonId lessonNumber status subject teacher topic homework homeworkLinks homeworkDueOn
        marks { label workType comment }
        attendance lateMinutes
      }
      homeworkDue { subject homework }
      workMarks { label }
    }
  }
}"""

# The district aggregate: a municipal officer's report over a quarter, a row per school, with
# the main sections (marks and their bands, успеваемость/качество, attendance, timeliness,
# curriculum, period grades); worstGroups is left out (a separate statement, not a section).
DISTRICT = """
query District($filter: AggregateFilter!, $groupBy: [AggregateDimension!]) {
  aggregates(filter: $filter, groupBy: $groupBy) {
    from to
    rows {
      schoolId schoolName threshold
      marks { suppressed students marks gradedMarks bands { twos threes fours fives }
              averagePoint averageFivePoint successRate qualityRate }
      attendance { suppressed students studentLessons absentLessons rate absent ill excused
                   late }
      timeliness { lessonsHeld topicOnTime attendanceOnTime lessonsWithHomework
                   homeworkOnTime marks marksOnTime overallShare }
      curriculum { lessonTypeCode plannedHours held fulfilment }
      periodGrades { suppressed students expected graded deferred notAttested exempt missing }
    }
  }
}"""

SET_MARKS = """
mutation SetMarks($input: SetMarksInput!) {
  setMarks(input: $input) {
    marks { id }
    errors { field code message }
  }
}"""


# The fixed cost of an authenticated request (issue 18): the smallest authenticated question
# against the smallest anonymous one, sent alternately (interleaved) so both see the same load.
ME = "query Me { me { login } }"
TYPENAME = "query Anonymous { __typename }"


class BenchError(RuntimeError):
    """A request that did not succeed: the benchmark stops rather than time failures."""


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any],
               token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers=headers)
    if response.status_code != 200:
        raise BenchError(f"HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if body.get("errors"):
        raise BenchError(f"GraphQL errors: {body['errors']}")
    data = body["data"]
    for value in data.values():
        if isinstance(value, dict) and value.get("errors"):
            raise BenchError(f"user errors: {value['errors']}")
    return data


@dataclass
class Session:
    """The tokens of the scenarios' viewers (logged in once)."""

    teacher: str
    student: str
    officer: str


async def login(client: httpx.AsyncClient, login: str, password: str) -> str:
    data = await post(client, LOGIN, {"input": {"login": login, "password": password}})
    return str(data["login"]["tokens"]["accessToken"])


async def open_session(client: httpx.AsyncClient, fx: Fixtures) -> Session:
    return Session(await login(client, fx.teacher_login, fx.password),
                   await login(client, fx.student_login, fx.password),
                   await login(client, fx.officer_login, fx.password))


Request = Callable[[httpx.AsyncClient], Awaitable[Any]]


def requests_for(fx: Fixtures, session: Session) -> dict[str, Request]:
    """One request of each scenario."""

    async def journal(client: httpx.AsyncClient) -> None:
        data = await post(client, JOURNAL, fx.journal_vars, session.teacher)
        if data["journal"] is None:
            raise BenchError("the journal is null: the teacher cannot read it?")

    async def diary(client: httpx.AsyncClient) -> None:
        # cold: another week each time (the server's diary cache never has the answer)
        data = await post(client, DIARY, fx.next_diary_vars(), session.student)
        if data["diary"] is None:
            raise BenchError("the diary is null")

    async def diary_cached(client: httpx.AsyncClient) -> None:
        # the same week again: answered from the diary cache after the first request
        data = await post(client, DIARY, fx.diary_vars, session.student)
        if data["diary"] is None:
            raise BenchError("the diary is null")

    async def set_marks(client: httpx.AsyncClient) -> None:
        data = await post(client, SET_MARKS, fx.set_marks_vars(), session.teacher)
        if len(data["setMarks"]["marks"]) != 30:
            raise BenchError("setMarks did not write 30 marks")

    async def district(client: httpx.AsyncClient) -> None:
        data = await post(client, DISTRICT, fx.district_vars, session.officer)
        rows = data["aggregates"]["rows"]
        # Every school of the municipality has lessons in the quarter: a row each, figures in.
        if len(rows) != fx.district_schools:
            raise BenchError(f"the district report has {len(rows)} rows, expected "
                             f"{fx.district_schools} (one per school of the municipality)")
        if not any(r["timeliness"]["lessonsHeld"] for r in rows):
            raise BenchError("the district report counts no held lesson")

    async def do_login(client: httpx.AsyncClient) -> None:
        await login(client, fx.teacher_login, fx.password)

    async def me(client: httpx.AsyncClient) -> None:
        data = await post(client, ME, {}, session.teacher)
        if data["me"]["login"] != fx.teacher_login:
            raise BenchError(f"me is {data['me']}, not the teacher")

    return {"me": me, "journal": journal, "diary": diary, "diary cached": diary_cached,
            "setMarks": set_marks, "district": district, "login": do_login}


async def anonymous(client: httpx.AsyncClient) -> None:
    """`{ __typename }` without a token: what the authenticated `me` is compared with."""
    data = await post(client, TYPENAME, {})
    if data != {"__typename": "Query"}:
        raise BenchError(f"__typename answered {data}")


# Scenarios measured against another request of the same server, interleaved, rather than
# against a psycopg floor: the floor's column shows that request's figures.
INTERLEAVED_FLOORS: dict[str, Request] = {"me": anonymous}


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def throughput(client: httpx.AsyncClient, request: Request, n: int,
                     concurrency: int) -> float:
    """Requests per second with `concurrency` requests in flight, `n` in all."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await request(client)

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t)


async def interleaved(client: httpx.AsyncClient, request: Request, other: Request, n: int
                      ) -> tuple[list[float], list[float]]:
    """`n` of each request, alternating (after 2 untimed warm-ups of each), in seconds: a
    difference between the two is not a difference between two moments of a shared machine."""
    for _ in range(2):
        await request(client)
        await other(client)
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(2 * n):
        first = i % 2 == (i // 2) % 2  # ABBA order: neither always runs right after the other
        t = time.perf_counter()
        await (request if first else other)(client)
        times[0 if first else 1].append(time.perf_counter() - t)
    return times
