"""`zhurnal audit verify`: intact chains pass; a changed, removed or inserted row is named.

Tampering needs the owner to switch the append-only trigger off, so every test here works on
its own scratch database and the shared test database stays valid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn, owner_engine
from tests.factories import TwoSchools, seed_two_schools
from tests.scratch import changes, scratch_database, write_audit
from tests.system.test_cli import assert_one_clear_line, run


@pytest.fixture(scope="module")
def pristine(database: DatabaseUrls) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    """Two schools, 5 audit rows in A (by its teacher) and 3 in B: copied for each test."""
    with scratch_database(database) as urls:
        schools = seed_two_schools(urls.owner)
        write_audit(urls.app, schools.a.id, *changes(schools.a.id, "lessons", 5),
                    person_id=schools.a.people["teacher"])
        write_audit(urls.app, schools.b.id, *changes(schools.b.id, "lessons", 3))
        owner_engine(urls.owner).dispose()  # a template must have no connections
        yield urls, schools


@pytest.fixture()
def chained(database: DatabaseUrls, pristine) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    """A fresh copy of the pristine database, to tamper with."""
    template, schools = pristine
    with scratch_database(database, template=template) as urls:
        yield urls, schools


def verify(urls: DatabaseUrls, *args: str):
    return run("audit", "verify", *args, env={"DATABASE_URL": libpq_dsn(urls.owner)})


def tamper(urls: DatabaseUrls, school_id: uuid.UUID, statement: str, *params: object) -> str:
    """Run `statement` as the owner with the append-only trigger off; returns the id of the
    row at the seq given as the last parameter (read before the change)."""
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(school_id),))
        row = conn.execute("SELECT id FROM audit_log WHERE school_id = %s AND seq = %s",
                           (school_id, params[-1])).fetchone()
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_append_only")
        conn.execute(statement, params)
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_append_only")
    assert row is not None
    return str(row[0])


def test_audit_verify_passes_intact_chains_and_prints_counts(chained) -> None:
    # given
    urls, schools = chained
    # when
    result = verify(urls)
    # then
    assert result.returncode == 0, result.stderr
    assert f"{schools.a.name} ({schools.a.id}): 5 rows, chain intact" in result.stdout
    assert f"{schools.b.name} ({schools.b.id}): 3 rows, chain intact" in result.stdout


def test_audit_verify_names_a_changed_row(chained) -> None:
    # given the owner rewrites the values of school A's third row
    urls, schools = chained
    row_id = tamper(urls, schools.a.id, "UPDATE audit_log SET after = '{\"value\": 99}' "
                    "WHERE school_id = %s AND seq = %s", schools.a.id, 3)
    # when
    result = verify(urls)
    # then
    assert result.returncode == 1
    broken = [line for line in result.stderr.splitlines() if "broken" in line]
    assert len(broken) == 1, result.stderr
    for needle in (str(schools.a.id), "seq 3", row_id, "changed"):
        assert needle in broken[0]
    assert f"{schools.b.name} ({schools.b.id}): 3 rows, chain intact" in result.stdout


@pytest.mark.parametrize("change", [
    "before = '{\"value\": 99}'", "action = 'delete'", "entity = 'marks'",
    "entity_id = gen_random_uuid()", "actor_person_id = gen_random_uuid()",
    "occurred_at = occurred_at - interval '1 day'", "request_id = 'forged'",
], ids=lambda change: change.split(" =")[0])
def test_audit_verify_names_a_row_changed_in_any_field_it_records(chained, change: str) -> None:
    """Guards against a hash that leaves a field out, e.g. `before`."""
    # given the owner rewrites one field of school A's third row (who, when, what, before)
    urls, schools = chained
    row_id = tamper(urls, schools.a.id, f"UPDATE audit_log SET {change} "
                    "WHERE school_id = %s AND seq = %s", schools.a.id, 3)
    # when
    result = verify(urls, "--school", str(schools.a.id))
    # then that row is named as changed
    assert result.returncode == 1, result.stdout
    for needle in (str(schools.a.id), "seq 3", row_id, "changed"):
        assert needle in result.stderr


def test_audit_verify_names_the_row_after_a_removed_one(chained) -> None:
    # given the owner deletes school A's second row
    urls, schools = chained
    tamper(urls, schools.a.id, "DELETE FROM audit_log WHERE school_id = %s AND seq = %s",
           schools.a.id, 2)
    # when
    result = verify(urls, "--school", str(schools.a.id))
    # then: the chain breaks at seq 3, which now follows seq 1
    assert result.returncode == 1
    assert "seq 3" in result.stderr and "follows seq 1" in result.stderr
    assert "removed" in result.stderr and str(schools.a.id) in result.stderr


def test_audit_verify_names_an_inserted_row(chained) -> None:
    # given the owner slips a row into school B's chain with the chain trigger off
    urls, schools = chained
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.b.id),))
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_chain")
        conn.execute(
            "INSERT INTO audit_log (school_id, id, seq, action, entity, prev_hash, hash) "
            "VALUES (%s, gen_random_uuid(), 4, 'update', 'marks', '\\x00', '\\x00')",
            (schools.b.id,))
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_chain")
    # when
    result = verify(urls, "--school", str(schools.b.id))
    # then
    assert result.returncode == 1
    assert "seq 4" in result.stderr and "removed or inserted" in result.stderr


def test_audit_verify_of_one_school_checks_only_that_school(chained) -> None:
    urls, schools = chained
    tamper(urls, schools.a.id, "DELETE FROM audit_log WHERE school_id = %s AND seq = %s",
           schools.a.id, 2)
    result = verify(urls, "--school", str(schools.b.id))
    assert result.returncode == 0 and str(schools.a.id) not in result.stdout


def test_audit_verify_of_an_unknown_school_is_one_clear_line(database: DatabaseUrls) -> None:
    missing = uuid.uuid4()
    assert_one_clear_line(verify(database, "--school", str(missing)), str(missing))
    assert_one_clear_line(verify(database, "--school", "school-a"), "--school", "UUID")


def test_audit_verify_names_a_reordered_row(chained) -> None:
    # given the owner swaps the places of school A's second and third rows
    urls, schools = chained
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(schools.a.id),))
        third = conn.execute("SELECT id FROM audit_log WHERE school_id = %s AND seq = 3",
                             (schools.a.id,)).fetchone()
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_append_only")
        for old, new in ((2, 0), (3, 2), (0, 3)):
            conn.execute("UPDATE audit_log SET seq = %s WHERE school_id = %s AND seq = %s",
                         (new, schools.a.id, old))
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_append_only")
    assert third is not None
    # when
    result = verify(urls, "--school", str(schools.a.id))
    # then the row now second is named: it links to a row that is not before it
    assert result.returncode == 1, result.stdout
    for needle in (str(schools.a.id), "seq 2", str(third[0]), "does not link"):
        assert needle in result.stderr


def test_audit_verify_counts_rows_not_sealed_yet_and_seal_chains_them(chained) -> None:
    # given rows committed by a writer that stopped before sealing them
    urls, schools = chained
    write_audit(urls.app, schools.a.id, *changes(schools.a.id, "marks", 4), sealed=False)
    # when verified
    before = verify(urls, "--school", str(schools.a.id))
    # then the sealed chain is intact, and the 4 rows are reported as not sealed yet
    assert before.returncode == 0, before.stderr
    assert "5 rows, chain intact; 4 rows not sealed yet" in before.stdout
    # when `zhurnal audit seal` runs (as the server does at start-up)
    sealed = run("audit", "seal", env={"DATABASE_URL": libpq_dsn(urls.owner)})
    # then they are chained after the others, and verify
    assert sealed.returncode == 0 and "sealed 4 audit rows" in sealed.stdout, sealed.stderr
    after = verify(urls, "--school", str(schools.a.id))
    assert after.returncode == 0 and "9 rows, chain intact" in after.stdout, after
    assert "not sealed" not in after.stdout
