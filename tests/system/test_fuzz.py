"""Fuzzing the GraphQL API with schemathesis (GraphQL mode, hypothesis-graphql underneath):
random valid documents for every query and mutation, sent to the running test server with a
valid token. No answer may be a server error or leak a stack trace.

Bounded for CI: ZHURNAL_FUZZ_EXAMPLES examples per operation (default 10) and at most
ZHURNAL_FUZZ_SECONDS seconds per operation (default 4; later examples are then not sent).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import TwoSchools

EXAMPLES = int(os.environ.get("ZHURNAL_FUZZ_EXAMPLES", "10"))
SECONDS_PER_OPERATION = float(os.environ.get("ZHURNAL_FUZZ_SECONDS", "4"))

# What a stack trace or an unhandled exception looks like in a body.
LEAKS = re.compile(
    r"Traceback|File \"|\b(?!User)[A-Z][A-Za-z]*(?:Error|Exception)\b|sqlalchemy|psycopg|"
    r"asyncpg|strawberry\.|graphql\.error|\.py\b"
)

_started: dict[str, float] = {}


@pytest.fixture(scope="module")
def fuzz_token(token_for: Any, schools: TwoSchools) -> str:
    # School B's administrator: every mutation is reachable, and generated ids are random,
    # so nothing resolves to a row; whatever a fuzzed write might create stays in school B.
    return str(token_for(schools.b.logins["admin"]))


def load_operations() -> dict[str, Any]:
    """The operations schemathesis generates for, keyed by label ("Mutation.setMarks"). The
    schema is read at collection time (one test per operation); the server answers the same
    schema (test_schema_file.py holds them together)."""
    from graphql import introspection_from_schema

    from schema.root import schema as api

    loaded = schemathesis.graphql.from_dict(introspection_from_schema(api._schema))
    operations = (result.ok() for result in loaded.get_all_operations())
    return {operation.label: operation for operation in operations}


# schemathesis's own pytest plugin (`schema.parametrize()`) does not run under this pytest
# (it reads a private `_nodeid`), so its generator drives hypothesis here directly.
OPERATIONS = load_operations()


def leak(text: str) -> str | None:
    found = LEAKS.search(text)
    return found.group(0) if found else None


def test_fuzz_leak_pattern_catches_stack_traces_but_not_user_errors() -> None:
    # given / when / then
    assert leak('Traceback (most recent call last):\n  File "x.py", line 1') is not None
    assert leak('{"message":"IntegrityError: duplicate key"}') == "IntegrityError"
    assert leak('{"errors":[{"field":"input.name","code":"INVALID"}],"__typename":'
                '"Problem"}') is None


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_fuzz_no_server_error_and_no_stack_trace(label: str, gql: Any, fuzz_token: str
                                                 ) -> None:
    # given generated documents for one operation, bounded in number and in time
    operation = OPERATIONS[label]
    started = time.monotonic()
    sent: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        # the first example is always sent: building the generator can use up the budget
        # (the first fuzz test to run pays for it, whichever it is in a shuffled order)
        if sent and time.monotonic() - started > SECONDS_PER_OPERATION:
            return
        # when
        response = gql.http.post("/graphql", json={"query": case.body},
                                 headers={"Authorization": f"Bearer {fuzz_token}"})
        sent.append(response.status_code)
        # then
        assert response.status_code < 500, (case.body, response.text[:500])
        found = leak(response.text)
        assert found is None, (found, case.body, response.text[:500])

    check()
    assert sent
