"""The access cache (tenants/access.py AccessCache) against the database's access stamps
(migration 0018): a kept context is used only while nothing it was built from has changed.

Each test changes one thing the context is built from, as the owner (another connection,
committed), and resolves again at once: the context must show the change. Each works on a
fresh journal group (its own teacher, students and guardian), so the shared schools stay as
the rest of the suite expects them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import psycopg
import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, app_engine, app_sessions, libpq_dsn, transaction
from tenants.access import ANONYMOUS, AccessCache, AccessContext
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements


@pytest.fixture()
def group(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=2, lessons=3)


def owner_sql(database: DatabaseUrls, school_id: uuid.UUID, statement: str,
              params: dict[str, object]) -> None:
    """One change by the owner, committed: another process, as far as the cache knows."""
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(school_id),))
        conn.execute(statement, params)


def account_of(database: DatabaseUrls, login: str) -> uuid.UUID:
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        row = conn.execute("SELECT id FROM accounts WHERE login = %s", (login,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


class Resolver:
    """One process's cache, resolving in a transaction of its own each time (as a request),
    and what the transaction's RLS scope was after the access statement."""

    def __init__(self, database: DatabaseUrls) -> None:
        self.cache = AccessCache()
        self.engine = app_engine(database.app, pool_size=1)
        self.sessions = app_sessions(self.engine)
        self.scope: str | None = None

    def __call__(self, account_id: uuid.UUID, session_id: uuid.UUID | None = None
                 ) -> AccessContext:
        async def run() -> AccessContext:
            try:
                async with transaction(self.sessions) as session:
                    access = await self.cache.resolve(session, account_id, session_id)
                    self.scope = (await session.execute(text(
                        "SELECT current_setting('zhurnal.school_ids', true)"))).scalar_one()
                    return access
            finally:
                # each call has an event loop of its own: its connection is closed in it, never
                # left pooled for a later loop (or the garbage collector, during another test)
                await self.engine.dispose()
        return asyncio.run(run())

    def close(self) -> None:
        asyncio.run(self.engine.dispose())


@pytest.fixture()
def resolve(database: DatabaseUrls) -> Iterator[Resolver]:
    resolver = Resolver(database)
    yield resolver
    resolver.close()


def test_a_kept_context_is_used_again_in_one_statement_with_its_scope_set(
    resolve: Resolver, group: JournalGroup, database: DatabaseUrls,
) -> None:
    # given a teacher whose context was resolved once
    account = account_of(database, group.teacher_login)
    first = resolve(account)
    assert group.group_id in first.memberships[group.school.id].taught_group_ids
    # when the next request resolves it
    with count_statements() as counter:
        again = resolve(account)
    # then the kept context, from the one access statement, with the RLS scope set to its
    # schools (the second statement is the test's own reading of the scope)
    assert again is first
    assert counter.count == 2 and "zhurnal_access_cached" in counter.statements[0]
    assert resolve.scope == str(group.school.id)


CHANGES = {
    "role removed": (
        "DELETE FROM person_roles WHERE school_id = %(school)s AND person_id = %(teacher)s",
        lambda a, g: a.memberships[g.school.id].roles == frozenset()),
    "assignment ended": (
        "UPDATE teacher_assignments SET ends_on = date '2015-10-01' "
        "WHERE school_id = %(school)s AND teacher_id = %(teacher)s",
        lambda a, g: a.memberships[g.school.id].taught_group_ids == frozenset()),
    "assignment removed": (
        "DELETE FROM teacher_assignments WHERE school_id = %(school)s "
        "AND teacher_id = %(teacher)s",
        lambda a, g: a.memberships[g.school.id].taught_group_ids == frozenset()),
    "substitution given": (
        "UPDATE lessons SET actual_teacher_id = %(teacher)s "
        "WHERE school_id = %(school)s AND id = %(other_lesson)s",
        lambda a, g: len(a.memberships[g.school.id].substitute_lesson_ids) == 1),
    "class led": (
        "UPDATE classes SET class_teacher_id = %(teacher)s "
        "WHERE school_id = %(school)s AND id = %(class)s",
        lambda a, g: a.memberships[g.school.id].led_class_ids == frozenset({g.class_id})),
    "person unlinked from the account": (
        "UPDATE persons SET account_id = NULL WHERE school_id = %(school)s AND id = %(teacher)s",
        lambda a, g: a is ANONYMOUS or g.school.id not in a.memberships),
    "account deactivated": (
        "UPDATE accounts SET is_active = false WHERE id = %(account)s",
        lambda a, g: a is ANONYMOUS),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_committed_elsewhere_reaches_the_very_next_request(
    resolve: Resolver, group: JournalGroup, database: DatabaseUrls, schools: TwoSchools,
    change: str,
) -> None:
    # given a teacher's context kept by this process, and another group's lesson (taught by
    # someone else) for the substitution
    account = account_of(database, group.teacher_login)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    kept = resolve(account)
    assert resolve(account) is kept
    statement, shows = CHANGES[change]
    assert not shows(kept, group)
    # when the owner commits the change
    owner_sql(database, group.school.id, statement, {
        "school": group.school.id, "teacher": group.teacher_id, "class": group.class_id,
        "other_lesson": other.lesson_ids[0], "account": account})
    # then the very next resolution shows it
    assert shows(resolve(account), group)


def test_a_revoked_session_is_anonymous_at_once_with_no_school_in_scope(
    resolve: Resolver, group: JournalGroup, database: DatabaseUrls,
) -> None:
    # given a guardian's login session, its context kept
    account = account_of(database, group.guardian_login)
    session_id = uuid.uuid4()
    owner_sql(database, group.school.id,
              "INSERT INTO refresh_tokens (id, account_id, token_hash, expires_at) "
              "VALUES (%(id)s, %(account)s, %(hash)s, now() + interval '1 day')",
              {"id": session_id, "account": account, "hash": uuid.uuid4().bytes})
    kept = resolve(account, session_id)
    assert kept.is_authenticated and resolve(account, session_id) is kept
    # when the session is revoked (logout, elsewhere)
    owner_sql(database, group.school.id,
              "UPDATE refresh_tokens SET revoked_at = now() WHERE id = %(id)s",
              {"id": session_id})
    # then the next request is anonymous, and its transaction sees no school
    assert resolve(account, session_id) is ANONYMOUS
    assert resolve.scope == ""


def test_a_guardianship_removed_drops_the_child_at_once(
    resolve: Resolver, group: JournalGroup, database: DatabaseUrls,
) -> None:
    # given a guardian's context with their child
    account = account_of(database, group.guardian_login)
    assert resolve(account).memberships[group.school.id].child_ids == {group.students[0]}
    # when the guardianship is removed
    owner_sql(database, group.school.id,
              "DELETE FROM guardianships WHERE school_id = %(school)s AND student_id = %(child)s",
              {"school": group.school.id, "child": group.students[0]})
    # then the child is gone from the next request's context
    assert resolve(account).memberships[group.school.id].child_ids == frozenset()


def test_an_officer_context_is_not_kept(
    resolve: Resolver, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given a municipal officer (their reach follows the schools of a municipality)
    account = account_of(database, next(iter(schools.officer_logins.values())))
    # when resolved twice
    first, second = resolve(account), resolve(account)
    # then each is resolved afresh
    assert first.is_officer and second == first and second is not first
    assert len(resolve.cache) == 0


@pytest.mark.parametrize("day", [date(2026, 1, 15), date(2026, 7, 15)])
def test_every_time_zone_changes_its_date_on_a_quarter_hour_of_utc(day: date) -> None:
    """The relations hold "today" in each school's time zone (migration 0009); the stamp
    carries the UTC quarter hour, which is enough only if no zone's midnight falls between."""
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    offsets = {noon.astimezone(ZoneInfo(z)).utcoffset() for z in available_timezones()
               if not z.startswith(("posix/", "right/"))}
    assert offsets and all(o is not None and o % timedelta(minutes=15) == timedelta(0)
                           for o in offsets)
