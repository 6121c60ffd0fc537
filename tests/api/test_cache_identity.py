"""Cache identity: every `id` in real responses names one object, under one type name, with
one set of field values, so normalised caches (Apollo, urql Graphcache, Relay) need no type
policies. Each document is sent as those clients send it, with `__typename` in every
selection set."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from graphql import FieldNode, NameNode, SelectionSetNode, Visitor, parse, print_ast, visit

from db import models as m
from db.engine import DatabaseUrls, owner_session, resolve_urls
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.api.test_aggregates import AGGREGATES, WORST
from tests.api.test_diary import DIARY, diary_vars
from tests.api.test_group_periods import PERIODS
from tests.api.test_journal import CELL, JOURNAL, MarkSpec, add_marks, issue_read_token, page_vars
from tests.factories import TwoSchools, seed_two_schools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.scratch import scratch_database
from tests.server_fixture import GraphQLClient, running_server, tokens_for

# This module has a database of its own. Its dashboard reads a region officer's aggregates
# over its class's days; on the session's database, which every other test fills with groups
# of the same year, that region's attainment section ran past the 15 s statement timeout on a
# slow machine (twice in five full runs), which is not what these tests are about.


@pytest.fixture(scope="module")
def database() -> Iterator[DatabaseUrls]:
    with scratch_database(resolve_urls()) as urls:
        yield urls


@pytest.fixture(scope="module")
def schools(database: DatabaseUrls) -> TwoSchools:
    return seed_two_schools(database.owner)


@pytest.fixture(scope="module")
def server_url(database: DatabaseUrls, schools: TwoSchools) -> Iterator[str]:
    with running_server(database) as base:
        yield base


@pytest.fixture(scope="module")
def gql(server_url: str) -> Iterator[GraphQLClient]:
    client = GraphQLClient(server_url)
    yield client
    client.http.close()


@pytest.fixture(scope="module")
def token_for(database: DatabaseUrls):
    return tokens_for(database)


ME = """
query Me {
  me {
    id login
    schools { school { id name } person { id fullName } roles }
    classes { id name }
    groups { id name kind periods { id name startsOn endsOn } }
    children { id fullName }
    students(on: "2015-09-01") {
      student { id fullName } school { id name } schoolClass { id name }
      groups { id name kind periods { id name startsOn endsOn } }
    }
  }
}
"""

WEB = Path(__file__).resolve().parents[2] / "web"
ME_ID = "query MeId { me { id login } }"
SCHOOLS = "query Schools { schools { edges { node { id name } } } }"
NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on School { name } ... on Period { name startsOn endsOn } }
}
"""


class AddTypename(Visitor):
    def leave_selection_set(self, node: SelectionSetNode, *_: Any) -> SelectionSetNode:
        if any(getattr(x, "name", None) and x.name.value == "__typename"  # type: ignore
               for x in node.selections):
            return node
        return SelectionSetNode(selections=(*node.selections,
                                            FieldNode(name=NameNode(value="__typename"))))


def with_typenames(document: str) -> str:
    """The document as Apollo and urql send it: `__typename` in every selection set (the
    operation's own included, which is harmless)."""
    return print_ast(visit(parse(document), AddTypename()))


Seen = dict[str, tuple[str, dict[str, Any], str]]


def collect(value: Any, seen: Seen, where: str, problems: list[str]) -> None:
    """Walk a response: each object with an `id` is checked against every earlier one."""
    if isinstance(value, list):
        for n, item in enumerate(value):
            collect(item, seen, f"{where}[{n}]", problems)
        return
    if not isinstance(value, dict):
        return
    if "id" in value and value["id"] is not None:
        typename = value.get("__typename")
        assert typename, f"{where}: an object with an id and no __typename"
        scalars = {k: v for k, v in value.items() if not isinstance(v, dict | list)
                   or (isinstance(v, list) and all(not isinstance(x, dict) for x in v))}
        first = seen.get(value["id"])
        if first is None:
            seen[value["id"]] = (typename, scalars, where)
        else:
            old_type, old_scalars, old_where = first
            if old_type != typename:
                problems.append(f"{value['id']}: {old_type} at {old_where}, {typename} at "
                                f"{where}")
            for key in old_scalars.keys() & scalars.keys():
                if old_scalars[key] != scalars[key]:
                    problems.append(f"{value['id']}.{key}: {old_scalars[key]!r} at "
                                    f"{old_where}, {scalars[key]!r} at {where}")
    for key, item in value.items():
        collect(item, seen, f"{where}.{key}", problems)


def second_subject(database: DatabaseUrls, jg: JournalGroup) -> tuple[uuid.UUID, uuid.UUID]:
    """Another subject of the same class, taught by the same teacher to the same students:
    (group, its one lesson, on the day of the first group's first lesson)."""
    school_id = jg.school.id
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        subject_id, group_id, lesson_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        s.add(m.Subject(school_id=school_id, id=subject_id, name=f"Алгебра {subject_id.hex[:6]}",
                        short_name="Алг"))
        s.flush()
        s.add(m.StudyGroup(school_id=school_id, id=group_id, academic_year_id=jg.school.year_id,
                           subject_id=subject_id, kind=m.GroupKind.WHOLE_CLASS,
                           class_id=jg.class_id, name=f"{group_id.hex[:4]} Алгебра"))
        s.flush()
        for student in jg.students:
            s.add(m.GroupMembership(school_id=school_id, group_id=group_id, student_id=student,
                                    starts_on=date(2015, 9, 1)))
        s.add(m.TeacherAssignment(school_id=school_id, group_id=group_id,
                                  teacher_id=jg.teacher_id, starts_on=date(2015, 9, 1)))
        s.add(m.Lesson(school_id=school_id, id=lesson_id, group_id=group_id,
                       date=jg.lesson_dates[0], lesson_number=5,
                       lesson_type_id=jg.setup.lesson_type_id,
                       scheduled_teacher_id=jg.teacher_id, actual_teacher_id=jg.teacher_id,
                       status=m.LessonStatus.HELD))
    return group_id, lesson_id


def aggregate_calls(jg: JournalGroup, admin: str, officer: str) -> list[tuple]:
    """The aggregates over the journal's days, as a dashboard reads them: by school and
    period (the administrator), by school and subject (the officer), the worst groups."""
    days = {"from": jg.lesson_dates[0].isoformat(), "to": jg.lesson_dates[-1].isoformat()}
    school = {**days, "schoolIds": [gid("School", jg.school.id)]}
    return [
        (SCHOOLS, None, officer),
        (AGGREGATES, {"filter": school, "groupBy": ["SCHOOL", "PERIOD"]}, admin),
        (AGGREGATES, {"filter": days, "groupBy": ["SCHOOL", "SUBJECT"]}, officer),
        (AGGREGATES, {"filter": days, "groupBy": ["GRADE_LEVEL"]}, officer),
        (WORST, {"filter": school, "limit": 5}, admin),
    ]


def two_subjects_of_one_class(database: DatabaseUrls, schools: TwoSchools
                              ) -> tuple[JournalGroup, uuid.UUID]:
    """One class learning two subjects (the journal group's and algebra), its first student
    with a «5» in the first and a «2» in algebra on the same day."""
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=2)
    algebra, algebra_lesson = second_subject(database, jg)
    add_marks(database, jg, [MarkSpec(0, 0, "5"), MarkSpec(1, 1, "4")])
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Mark(school_id=jg.school.id, id=uuid.uuid4(), group_id=algebra,
                     lesson_id=algebra_lesson, student_id=jg.students[0],
                     work_date=jg.lesson_dates[0], work_type_id=jg.setup.work_type_ids["test"],
                     value_id=jg.setup.value_ids["2"]))
    return jg, algebra


def post(gql, document: str, variables: dict | None, token: str) -> dict:
    body = gql.post(with_typenames(document), variables or {}, token=token)
    assert "errors" not in body, body
    return body


def test_ids_name_one_object_with_one_set_of_values_across_responses(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: one class learning two subjects; a student with different marks in each
    jg, algebra = two_subjects_of_one_class(database, schools)
    algebra_vars = {**page_vars(jg), "groupId": gid("StudyGroup", algebra)}
    teacher, admin = token_for(jg.teacher_login), token_for(schools.a.logins["admin"])
    officer = token_for(schools.officer_logins["region"])
    guardian, student = token_for(jg.guardian_login), token_for(jg.student_logins[0])
    calls = [
        (JOURNAL, page_vars(jg), teacher), (JOURNAL, algebra_vars, teacher),
        (JOURNAL, page_vars(jg), admin), (JOURNAL, algebra_vars, admin),
        (CELL, {"groupId": gid("StudyGroup", jg.group_id),
                "lessonId": gid("Lesson", jg.lesson_ids[0]),
                "studentId": gid("Person", jg.students[0])}, teacher),
        (DIARY, diary_vars(jg.students[0], jg.lesson_dates[0], jg.lesson_dates[-1]), guardian),
        (DIARY, diary_vars(jg.students[0], jg.lesson_dates[0], jg.lesson_dates[-1]), student),
        (ME, None, teacher), (ME, None, admin), (ME, None, guardian), (ME, None, student),
        (PERIODS, {"id": gid("StudyGroup", algebra), "on": "2015-09-01"}, teacher),
        *aggregate_calls(jg, admin, officer),
    ]
    # when: every response goes through one cache, as in one browser tab
    seen: Seen = {}
    problems: list[str] = []
    responses = []
    for n, (document, variables, token) in enumerate(calls):
        data = post(gql, document, variables, token)["data"]
        responses.append(data)
        collect(data, seen, f"call {n}", problems)
    # then
    assert problems == []
    assert len(seen) > 10  # the walk saw the objects it checks
    # and the aggregates' rows (no id of their own: a cache keeps them inside the report)
    # name schools and periods by the ids under which those objects appear elsewhere
    rows = [r for data in responses if "aggregates" in data
            for r in data["aggregates"].get("rows", [])]
    assert rows and all("id" not in r for r in rows)
    references = {(r["schoolId"], "School") for r in rows if r.get("schoolId")} | {
        (r["periodId"], "Period") for r in rows if r.get("periodId")}
    assert any(kind == "Period" for _, kind in references)
    # (those the calls did not show, e.g. other tests' schemes in school A, read as nodes,
    # as a cache would: through the same walk)
    for kind, reader in (("School", officer), ("Period", admin)):
        unseen = sorted(ref for ref, k in references if k == kind and ref not in seen)
        if unseen:
            collect(post(gql, NODES, {"ids": unseen}, reader)["data"], seen, kind, problems)
    assert problems == []
    assert {(ref, seen[ref][0] if ref in seen else None) for ref, _ in references} == references


def test_viewer_id_is_stable_per_viewer_and_differs_between_viewers(
    gql, token_for, schools: TwoSchools
) -> None:
    # given: two sessions of one administrator, a teacher and an integrator token
    read_token = issue_read_token(gql, token_for, schools)
    admin_login = schools.a.logins["admin"]
    # when
    first = post(gql, ME_ID, None, token_for(admin_login))["data"]["me"]
    again = post(gql, ME_ID, None, token_for(admin_login))["data"]["me"]
    teacher = post(gql, ME_ID, None, token_for(schools.a.logins["teacher"]))["data"]["me"]
    integrator = post(gql, ME_ID, None, read_token)["data"]["me"]
    # then
    assert first["id"] == again["id"]
    assert len({first["id"], teacher["id"], integrator["id"]}) == 3
    assert first["__typename"] == "Viewer"


def apollo_cache(base: str, token: str, pages: list[dict], *, key_rows_by_student: bool
                 ) -> dict:
    """web/clients/apollo-cache.mjs: the pages read through one Apollo InMemoryCache."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("this test needs Node.js (`node` on PATH)")
    if not (WEB / "node_modules" / "@apollo" / "client").is_dir():
        pytest.fail("web/node_modules is missing: run `make web` (npm ci in web/)")
    result = subprocess.run(
        [node, "--conditions=development", "clients/apollo-cache.mjs"], cwd=WEB, timeout=120,
        capture_output=True, text=True, env={
            **os.environ, "ZHURNAL_HTTP_URL": base, "ZHURNAL_TOKEN": token,
            "ZHURNAL_PAGES": json.dumps(pages),
            "ZHURNAL_KEY_ROWS_BY_STUDENT": "1" if key_rows_by_student else "0"})
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_apollo_client_cache_with_no_type_policies_keeps_each_page_as_answered(
    server_url: str, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given one class's geometry and algebra pages, the same students with other marks
    jg, algebra = two_subjects_of_one_class(database, schools)
    pages = [page_vars(jg), {**page_vars(jg), "groupId": gid("StudyGroup", algebra)}]
    teacher = token_for(jg.teacher_login)
    # when Apollo Client reads them one after the other into one cache, as in one tab
    got = apollo_cache(server_url, teacher, pages, key_rows_by_student=False)
    # then each page read back from the cache is the one the server answered, with no
    # warning (no "Cache data may be lost", `me` included)
    assert got["pages"] == [{"rows": 3, "marks": 2, "sameAsAnswered": True},
                            {"rows": 3, "marks": 1, "sameAsAnswered": True}]
    assert got["warnings"] == []
    # and the control: rows keyed by the student's id (the grid before issue 17) mix them up
    keyed = apollo_cache(server_url, teacher, pages, key_rows_by_student=True)
    assert [p["sameAsAnswered"] for p in keyed["pages"]] == [False, True]
