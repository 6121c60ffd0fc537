"""The diary cache (server/diary_cache.py): answers kept per viewer, dropped on change.

Through a server of its own with the cache on (the suite's server keeps it off, so tests that
write with the owner and read at once never race the notification). The unit tests pin the
rules that keep it safe: the key is per viewer, an answer computed while a change arrived is
not stored, nothing is used while the listener is down.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import DatabaseUrls
from resolvers.events.notifications import DiaryNotice
from server.diary_cache import DiaryCache, access_digest, diary_argument
from tenants.access import AccessContext, SchoolMembership
from tests.api.test_diary import DIARY, FIRST, diary_vars, set_lesson
from tests.api.test_journal import MarkSpec, add_marks
from tests.factories import TwoSchools
from tests.journal_factory import make_journal_group
from tests.server_fixture import TEST_SETTINGS, GraphQLClient, running_server
from tests.sql_counter import count_statements


@pytest.fixture(scope="module")
def cached_gql(database: DatabaseUrls, schools: TwoSchools):
    with running_server(database, replace(TEST_SETTINGS, diary_cache_entries=100)) as base:
        client = GraphQLClient(base)
        yield client
        client.http.close()


def read(gql, token: str, student: uuid.UUID) -> dict | None:
    result = gql.post(DIARY, diary_vars(student, FIRST, FIRST + timedelta(days=6)), token=token)
    assert "errors" not in result, result
    return result["data"]["diary"]


def labels(diary: dict) -> list[str]:
    return [m["label"] for d in diary["days"] for lesson in d["lessons"] for m in lesson["marks"]]


def eventually(check, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_repeated_read_is_answered_without_the_diary_statement(
    cached_gql, token_for, schools: TwoSchools, database: DatabaseUrls,
) -> None:
    # given a student with a mark, whose diary was read once
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=5)
    add_marks(database, jg, [MarkSpec(0, 0, "5")])
    token = token_for(jg.student_logins[0])
    first = read(cached_gql, token, jg.students[0])
    # when it is read again
    with count_statements() as counter:
        again = read(cached_gql, token, jg.students[0])
    # then the same answer, and only the access context ran
    assert again == first and labels(first) == ["5"]
    assert counter.count == 1, counter.statements


def test_a_new_mark_and_a_lesson_change_reach_the_next_read(
    cached_gql, token_for, schools: TwoSchools, database: DatabaseUrls,
) -> None:
    # given a cached diary
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=5)
    token = token_for(jg.student_logins[0])
    assert labels(read(cached_gql, token, jg.students[0])) == []
    read(cached_gql, token, jg.students[0])
    # when a mark is written (committed elsewhere: the NOTIFY reaches the server) ...
    add_marks(database, jg, [MarkSpec(0, 1, "4")])
    # then a read within the notification's delay, far under the cache's 60 s, shows it
    assert eventually(lambda: labels(read(cached_gql, token, jg.students[0])) == ["4"])
    # and the same for a lesson's homework (a lessons event drops the school's answers)
    set_lesson(database, jg, 1, homework="§ 12, № 3")

    def homework() -> list[str | None]:
        diary = read(cached_gql, token, jg.students[0])
        return [lesson["homework"] for d in diary["days"] for lesson in d["lessons"]]

    assert eventually(lambda: "§ 12, № 3" in homework())


def test_another_viewer_never_gets_a_cached_answer(
    cached_gql, token_for, schools: TwoSchools, database: DatabaseUrls,
) -> None:
    # given the student's diary cached for the student
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=5)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=5)
    add_marks(database, jg, [MarkSpec(0, 0, "5")])
    own = read(cached_gql, token_for(jg.student_logins[0]), jg.students[0])
    assert own is not None and labels(own) == ["5"]
    # when the same document with the same variables comes from others
    strangers = {
        "school B's administrator": schools.b.logins["admin"],
        "a student of another class": other.student_logins[0],
        "another child's guardian": other.guardian_login,
        "a teacher of another group": other.teacher_login,
    }
    answers = {who: read(cached_gql, token_for(login), jg.students[0])
               for who, login in strangers.items()}
    # then none of them sees it, and the student still does
    assert answers == {who: None for who in strangers}
    assert read(cached_gql, token_for(jg.student_logins[0]), jg.students[0]) == own


# --- the rules, on the class itself -----------------------------------------------------------


def viewer(school: uuid.UUID, person: uuid.UUID, **relations: frozenset[uuid.UUID]
           ) -> AccessContext:
    return AccessContext(account_id=uuid.uuid4(), memberships={school: SchoolMembership(
        school_id=school, person_id=person, roles=frozenset(), **relations)})


def notice(entity: str, school: uuid.UUID, student: uuid.UUID | None = None) -> DiaryNotice:
    return DiaryNotice(school_id=school, entity=entity, op="insert", id=uuid.uuid4(),
                       received_at=datetime.now(UTC), student_id=student)


def ready() -> DiaryCache:
    cache = DiaryCache(max_entries=10)
    cache.connected(True)
    return cache


SCHOOL, STUDENT = uuid.uuid4(), uuid.uuid4()
VARIABLES = diary_vars(STUDENT, FIRST, FIRST + timedelta(days=6))


def test_the_key_differs_by_viewer_and_by_their_rights() -> None:
    cache = ready()
    parent = viewer(SCHOOL, uuid.uuid4(), child_ids=frozenset({STUDENT}))
    same_account_fewer_rights = replace(parent, memberships={SCHOOL: replace(
        parent.memberships[SCHOOL], child_ids=frozenset())})
    keys = [cache.lookup(v, DIARY, "Diary", VARIABLES)
            for v in (parent, viewer(SCHOOL, uuid.uuid4()), same_account_fewer_rights)]
    assert all(k is not None for k in keys)
    assert len({k.key for k in keys if k}) == 3
    assert cache.lookup(parent, DIARY, "Diary", VARIABLES) == keys[0]


def test_only_a_lone_diary_query_is_cached() -> None:
    assert diary_argument(DIARY, "Diary") == ("variable", "studentId")
    assert diary_argument(DIARY, None) == ("variable", "studentId")
    assert diary_argument('{ diary(studentId: "x", from: "2015-09-01", to: "2015-09-02") '
                          "{ studentId } }", None) == ("literal", "x")
    for document in (
        "mutation M { logout { errors { code } } }",
        '{ diary(studentId: "x", from: "a", to: "b") { studentId } me { login } }',
        '{ d: diary(studentId: "x", from: "a", to: "b") @include(if: true) { studentId } }',
        "{ me { login } }",
        "not graphql",
    ):
        assert diary_argument(document, None) is None, document


def test_a_change_drops_the_answers_it_touches_and_an_answer_computed_across_it_is_not_kept(
) -> None:
    cache = ready()
    who = viewer(SCHOOL, STUDENT)
    lookup = cache.lookup(who, DIARY, "Diary", VARIABLES)
    assert lookup is not None
    cache.put(lookup, {"diary": 1}, frozenset({SCHOOL}))
    assert cache.get(lookup) == {"diary": 1}
    # another student's mark: kept; this student's mark: dropped
    cache.heard(notice("marks", SCHOOL, uuid.uuid4()))
    assert cache.get(lookup) == {"diary": 1}
    cache.heard(notice("attendance", SCHOOL, STUDENT))
    assert cache.get(lookup) is None
    # a request that began before a change and ends after it stores nothing
    started = cache.lookup(who, DIARY, "Diary", VARIABLES)
    assert started is not None
    cache.heard(notice("lessons", SCHOOL))
    cache.put(started, {"diary": "stale"}, frozenset({SCHOOL}))
    assert cache.get(started) is None
    # a lesson of the school drops the school's answers
    fresh = cache.lookup(who, DIARY, "Diary", VARIABLES)
    assert fresh is not None
    cache.put(fresh, {"diary": 2}, frozenset({SCHOOL}))
    cache.heard(notice("lessons", SCHOOL))
    assert cache.get(fresh) is None and len(cache) == 0


def test_nothing_is_used_while_the_listener_is_down() -> None:
    cache = ready()
    who = viewer(SCHOOL, STUDENT)
    lookup = cache.lookup(who, DIARY, "Diary", VARIABLES)
    assert lookup is not None
    cache.put(lookup, {"diary": 1}, frozenset({SCHOOL}))
    # when the listener disconnects: emptied, and no key is given out
    cache.connected(False)
    assert len(cache) == 0 and cache.lookup(who, DIARY, "Diary", VARIABLES) is None
    # an answer from before the disconnection is not stored after it either
    cache.put(lookup, {"diary": 1}, frozenset({SCHOOL}))
    cache.connected(True)
    cache.put(lookup, {"diary": 1}, frozenset({SCHOOL}))
    assert len(cache) == 0


def test_the_cache_is_bounded() -> None:
    cache = ready()
    for _ in range(15):
        who = viewer(SCHOOL, uuid.uuid4())
        lookup = cache.lookup(who, DIARY, "Diary", VARIABLES)
        assert lookup is not None
        cache.put(lookup, {"diary": 1}, frozenset({SCHOOL}))
    assert len(cache) == 10


def test_the_access_digest_is_kept_per_context_object_and_follows_every_right() -> None:
    school, person, child = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parent = AccessContext(account_id=uuid.uuid4(), memberships={school: SchoolMembership(
        school_id=school, person_id=person, roles=frozenset(), child_ids=frozenset({child}))})
    assert access_digest(parent) == access_digest(parent)
    # another context, even of the same account, is digested afresh: a right less, another key
    fewer = replace(parent, memberships={school: replace(parent.memberships[school],
                                                         child_ids=frozenset())})
    assert access_digest(fewer) != access_digest(parent)
    # an equal context built anew (a rebuilt kept context) has the same digest
    assert access_digest(replace(parent)) == access_digest(parent)
