"""The load run's users, for locust (`locust --headless`, started by bench/load.py).

Each user loops with no think time: a student's diary week (50%), a teacher's journal page
(35%) or a 30-mark setMarks (15%), with the documents of bench/scenarios.py and the variables
bench/load.py prepared from the bench database (ZHURNAL_LOAD_SPEC). A request fails on any
HTTP status but 200, on GraphQL errors and on a payload's user errors.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, task

# Locust puts this file's folder first on the path, where bench/server.py would shadow the
# project's `server` package: the documents come with the variables, nothing is imported.
SPEC: dict[str, Any] = json.loads(Path(os.environ["ZHURNAL_LOAD_SPEC"]).read_text())
DIARY, JOURNAL, SET_MARKS = (SPEC["documents"][k] for k in ("diary", "journal", "setMarks"))
# One process, one thread (gevent): plain iterators hand each request the next variables.
DIARY_WEEKS = itertools.cycle(SPEC["diary"])
LESSONS = itertools.cycle(SPEC["setMarks"])


class JournalUser(FastHttpUser):
    wait_time = constant(0)

    def _post(self, name: str, query: str, variables: dict[str, Any], token: str) -> None:
        with self.client.post("/graphql", json={"query": query, "variables": variables},
                              headers={"Authorization": f"Bearer {token}"}, name=name,
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            body = response.json()
            if body.get("errors"):
                response.failure(f"GraphQL errors: {body['errors']}"[:300])
                return
            for value in (body.get("data") or {}).values():
                if isinstance(value, dict) and value.get("errors"):
                    response.failure(f"user errors: {value['errors']}"[:300])
                    return
            response.success()

    @task(50)
    def diary(self) -> None:
        self._post("diary", DIARY, next(DIARY_WEEKS), SPEC["tokens"]["student"])

    @task(35)
    def journal(self) -> None:
        self._post("journal", JOURNAL, SPEC["journal"], SPEC["tokens"]["teacher"])

    @task(15)
    def set_marks(self) -> None:
        self._post("setMarks", SET_MARKS, next(LESSONS), SPEC["tokens"]["teacher"])
