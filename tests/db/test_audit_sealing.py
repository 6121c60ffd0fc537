"""Audit rows are sealed into the chain after commit (migration 0018): writers of one school do
not wait for each other, the chain stays one unbroken line, and sealing resumes after a stop.

The lock-wait probe: two transactions of one school are open at once and both insert audit
rows. The second runs with a lock timeout, and a third connection looks in pg_locks for a
waiting lock; at 0015 (the chain trigger's per-school lock) the same probe finds the second
writer waiting, so the probe can tell.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from db.audit_verify import seal_chains, verify_chains
from db.engine import DatabaseUrls, libpq_dsn
from tests.factories import TwoSchools, seed_two_schools
from tests.migrating import upgrade
from tests.scratch import changes, scratch_database, write_audit

INSERT = ("INSERT INTO audit_log (school_id, id, action, entity) "
          "VALUES (%s, gen_random_uuid(), 'update', 'marks')")


@pytest.fixture(scope="module")
def two_schools(database: DatabaseUrls) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    with scratch_database(database) as urls:
        yield urls, seed_two_schools(urls.owner)


def writer(urls: DatabaseUrls, school_id: uuid.UUID) -> psycopg.Connection:
    """A connection as the application role with a transaction of school_id open."""
    conn = psycopg.connect(libpq_dsn(urls.app))
    conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(school_id),))
    return conn


def waiting_locks(urls: DatabaseUrls, pid: int) -> list[str]:
    with psycopg.connect(libpq_dsn(urls.owner), autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT locktype FROM pg_locks WHERE pid = %s AND NOT granted", (pid,))]


def probe(urls: DatabaseUrls, school_id: uuid.UUID) -> tuple[list[str], str | None]:
    """Writer 1 inserts and stays open; writer 2 inserts with a 3 s lock timeout while the
    probe looks for a waiting lock of writer 2. Returns (locks writer 2 waited on, writer 2's
    error if any); both roll back."""
    first, second = writer(urls, school_id), writer(urls, school_id)
    try:
        first.execute(INSERT, (school_id,))
        second.execute("SET LOCAL lock_timeout = '3s'")
        pid = second.info.backend_pid
        outcome: dict[str, str | None] = {"error": None}

        def insert() -> None:
            try:
                second.execute(INSERT, (school_id,))
            except psycopg.errors.LockNotAvailable as err:
                outcome["error"] = type(err).__name__

        thread = threading.Thread(target=insert)
        thread.start()
        seen: list[str] = []
        while thread.is_alive() and not seen:
            seen = waiting_locks(urls, pid)
            thread.join(0.05)
        thread.join()
        return seen, outcome["error"]
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()


def test_two_open_transactions_of_one_school_both_insert_audit_rows_without_waiting(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    urls, schools = two_schools
    # when two writers of school A insert audit rows while both are open
    waited, error = probe(urls, schools.a.id)
    # then neither waited for a lock
    assert waited == [] and error is None


def test_the_probe_finds_the_wait_of_the_chain_trigger_before_0018(
    database: DatabaseUrls,
) -> None:
    with scratch_database(database, migrate=False) as urls:
        upgrade(urls.owner, "0015")
        schools = seed_two_schools(urls.owner)
        waited, error = probe(urls, schools.a.id)
    assert waited == ["advisory"] and error == "LockNotAvailable"


def test_rows_of_concurrent_writers_are_sealed_into_one_unbroken_chain(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    urls, schools = two_schools
    # given two writers of school B, open at once, committing in the other order
    first, second = writer(urls, schools.b.id), writer(urls, schools.b.id)
    try:
        for _ in range(3):
            first.execute(INSERT, (schools.b.id,))
            second.execute(INSERT, (schools.b.id,))
        # then their rows wait unsealed, outside the chain
        assert first.execute("SELECT count(*) FROM audit_log WHERE school_id = %s "
                             "AND seq IS NULL", (schools.b.id,)).fetchone() == (3,)
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    # when each writer's request seals after its commit (here: once for both)
    sealed = seal_chains(urls.owner, schools.b.id)
    # then all six are chained, the school's chain verifies, and nothing waits
    assert sealed == 6
    [report] = [r for r in verify_chains(urls.owner, schools.b.id)]
    assert report.ok and report.unsealed == 0 and report.rows >= 6


def test_a_sealer_that_stops_half_way_leaves_the_rows_for_the_next(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    urls, schools = two_schools
    # given rows committed and not sealed (the writing process stopped after its commit)
    write_audit(urls.app, schools.a.id, *changes(schools.a.id, "lessons", 3), sealed=False)
    # when a sealer seals them but its transaction never commits (the process dies)
    with psycopg.connect(libpq_dsn(urls.app)) as conn:
        assert conn.execute("SELECT zhurnal_audit_seal()").fetchone() == (3,)
        conn.rollback()
    # then the rows are still waiting, and the next sealer chains them
    [waiting] = list(verify_chains(urls.owner, schools.a.id))
    assert waiting.ok and waiting.unsealed == 3
    assert seal_chains(urls.owner, schools.a.id) == 3
    [report] = list(verify_chains(urls.owner, schools.a.id))
    assert report.ok and report.unsealed == 0


def test_the_server_seals_what_a_previous_process_left_at_start_up(
    two_schools: tuple[DatabaseUrls, TwoSchools],
) -> None:
    from tests.server_fixture import running_server

    urls, schools = two_schools
    # given rows left unsealed
    write_audit(urls.app, schools.b.id, *changes(schools.b.id, "marks", 2), sealed=False)
    # when a server starts on the database
    with running_server(urls):
        pass
    # then they are sealed
    [report] = list(verify_chains(urls.owner, schools.b.id))
    assert report.ok and report.unsealed == 0


@pytest.mark.parametrize("change", [
    "after = '{\"value\": 99}'",  # the content of a waiting row
    "seq = 1000, hash = '\\x00', after = '{\"value\": 99}'",  # sealed, and changed with it
    "seq = NULL",  # unsealed again
])
def test_a_row_is_sealed_once_and_nothing_else_about_it_changes(
    two_schools: tuple[DatabaseUrls, TwoSchools], change: str,
) -> None:
    urls, schools = two_schools
    # given a sealed row and a waiting one of school A
    write_audit(urls.app, schools.a.id, *changes(schools.a.id, "marks", 1))
    write_audit(urls.app, schools.a.id, *changes(schools.a.id, "marks", 1), sealed=False)
    # when the owner changes one of them
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.a.id),))
        target = "seq IS NOT NULL" if change == "seq = NULL" else "seq IS NULL"
        # then the append-only trigger refuses
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"UPDATE audit_log SET {change} WHERE school_id = %s AND {target}",
                         (schools.a.id,))
    assert seal_chains(urls.owner) >= 1
