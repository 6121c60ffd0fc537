"""A read's transaction ends after its answer (server/graphql.py `_end`, issue 18): only a query
of a person's session that sent nothing but SELECT statements; mutations, anonymous requests
and transactions that sent anything else end before they answer. Every connection comes back
to the pool either way."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from starlette.routing import Route

from db.engine import DatabaseUrls, app_engine, app_sessions, only_read
from server.app import create_app
from server.graphql import ZhurnalGraphQL
from tests.api.test_auth import LOGIN, LOGOUT
from tests.factories import PASSWORD, TwoSchools
from tests.journal_factory import make_journal_group
from tests.server_fixture import TEST_SETTINGS

ME = "query { me { login } }"


def test_only_select_statements_are_a_read_and_each_transaction_starts_clean(
    database: DatabaseUrls,
) -> None:
    async def run() -> list[bool]:
        engine = app_engine(database.app)
        sessions = app_sessions(engine)
        seen = []
        try:
            async with sessions() as s:
                await s.begin()
                await s.execute(text("SELECT 1"))
                seen.append(await only_read(s))
                await s.execute(text("SET LOCAL statement_timeout = 5000"))
                seen.append(await only_read(s))
                await s.execute(text("SELECT 2"))
                seen.append(await only_read(s))  # a write stays noted to the end
                await s.rollback()
            async with sessions() as s:  # the same pooled connection (LIFO), a new transaction
                await s.begin()
                await s.execute(text(" select 3"))
                seen.append(await only_read(s))
                await s.execute(text("-- a comment first\nSELECT 4"))
                seen.append(await only_read(s))  # what does not open with SELECT is a write
                await s.commit()
        finally:
            await engine.dispose()
        return seen

    assert asyncio.run(run()) == [True, False, False, True, False]


def test_a_persons_query_ends_after_its_answer_and_the_rest_before(
    database: DatabaseUrls, schools: TwoSchools,
) -> None:
    group = make_journal_group(database.owner, schools.a, students=1, lessons=1)

    async def run() -> tuple[list[str], list[Any], int]:
        app = create_app(database, TEST_SETTINGS)
        graphql = next(r.endpoint for r in app.routes
                       if isinstance(r, Route) and r.path == "/graphql")
        assert isinstance(graphql, ZhurnalGraphQL)
        later: list[str] = []
        end_later = graphql._end_later

        def noted(session: Any) -> Any:  # noted when `run` makes the task, not when it runs
            later.append("read")
            return end_later(session)

        graphql._end_later = noted  # type: ignore[method-assign]
        answers: list[Any] = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                async def post(query: str, variables: dict | None = None,
                               token: str | None = None) -> Any:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = await client.post("/graphql", headers=headers, json={
                        "query": query, "variables": variables or {}})
                    return response.json()

                login = await post(LOGIN, {"login": group.teacher_login, "password": PASSWORD})
                tokens = login["data"]["login"]["tokens"]
                assert later == []  # a mutation commits before it answers
                for _ in range(3):
                    answers.append(await post(ME, token=tokens["accessToken"]))
                assert later == ["read"] * 3
                answers.append(await post("{ __typename }"))  # anonymous: before
                answers.append(await post(ME, token="Bearer not-a-token"))
                await post(LOGOUT, {"token": tokens["refreshToken"]},
                           token=tokens["accessToken"])
                assert later == ["read"] * 3
                # the logged-out session is refused at once, its reads' ends notwithstanding
                answers.append(await post(ME, token=tokens["accessToken"]))
            await graphql.drain()
            engine = graphql.sessions.kw["bind"]
            checked_out = engine.sync_engine.pool.checkedout()
        return later, answers, checked_out

    later, answers, checked_out = asyncio.run(run())
    assert [a["data"]["me"]["login"] for a in answers[:3]] == [group.teacher_login] * 3
    assert answers[3] == {"data": {"__typename": "Query"}}
    assert answers[5]["data"] is None or answers[5]["data"]["me"] is None
    assert later == ["read"] * 3
    assert checked_out == 0
