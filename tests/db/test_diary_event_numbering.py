"""Diary events are numbered at commit (migration 0017): writers of one school do not wait for
each other's open transactions, and cursors still grow in commit order within a school.

The same lock-wait probe as tests/db/test_audit_sealing.py: two transactions of one school are
open at once and both write diary events; a third connection looks in pg_locks for a waiting
lock of the second. When the number (and its lock) was taken at the write instead of at the
commit, the probe found the second writer waiting.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn
from tests.db.test_audit_sealing import waiting_locks, writer
from tests.factories import TwoSchools, seed_two_schools
from tests.scratch import scratch_database

LOG = ("SELECT zhurnal_log_diary_event(%s, 'marks', 'insert', %s, gen_random_uuid(), "
       "NULL, NULL)")


@pytest.fixture(scope="module")
def two_schools(database: DatabaseUrls) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    with scratch_database(database) as urls:
        yield urls, seed_two_schools(urls.owner)


def cursor_of(urls: DatabaseUrls, entity_id: uuid.UUID) -> int | None:
    with psycopg.connect(libpq_dsn(urls.owner), autocommit=True) as conn:
        row = conn.execute("SELECT cursor FROM diary_events WHERE entity_id = %s",
                           (entity_id,)).fetchone()
        return row[0] if row else None


def test_two_open_transactions_of_one_school_both_write_diary_events_without_waiting(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    urls, schools = two_schools
    school = schools.a.id
    first, second = writer(urls, school), writer(urls, school)
    a, b = uuid.uuid4(), uuid.uuid4()
    try:
        # given writer 1 has written an event and stays open
        first.execute(LOG, (school, a))
        second.execute("SET LOCAL lock_timeout = '3s'")
        pid = second.info.backend_pid
        outcome: dict[str, str | None] = {"error": None}

        def write() -> None:
            try:
                second.execute(LOG, (school, b))
            except psycopg.errors.LockNotAvailable as err:
                outcome["error"] = type(err).__name__

        # when writer 2 writes one of the same school meanwhile
        thread = threading.Thread(target=write)
        thread.start()
        seen: list[str] = []
        while thread.is_alive() and not seen:
            seen = waiting_locks(urls, pid)
            thread.join(0.05)
        thread.join()
        # then it did not wait, and neither row has a number before its commit
        assert (seen, outcome["error"]) == ([], None)
        assert first.execute("SELECT cursor FROM diary_events WHERE entity_id = %s",
                             (a,)).fetchone() == (None,)
        # and the later commit gets the higher cursor, whichever wrote first
        second.commit()
        first.commit()
        cb, ca = cursor_of(urls, b), cursor_of(urls, a)
        assert ca is not None and cb is not None and cb < ca
    finally:
        first.close()
        second.close()


def test_a_rolled_back_event_takes_no_cursor_and_leaves_no_row(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    urls, schools = two_schools
    conn = writer(urls, schools.a.id)
    gone = uuid.uuid4()
    try:
        conn.execute(LOG, (schools.a.id, gone))
        conn.rollback()
    finally:
        conn.close()
    with psycopg.connect(libpq_dsn(urls.owner), autocommit=True) as owner:
        assert owner.execute("SELECT count(*) FROM diary_events WHERE entity_id = %s",
                             (gone,)).fetchone() == (0,)
