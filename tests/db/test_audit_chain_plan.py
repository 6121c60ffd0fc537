"""The audit chain finds a school's last row by its index even when the statistics say the
log is empty (migration 0008; since 0018 the sealer does the lookup): a fresh deployment, or a
bulk load followed by VACUUM."""

from __future__ import annotations

import time

import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn, owner_engine
from tests.factories import seed_two_schools
from tests.migrating import upgrade
from tests.scratch import changes, scratch_database, write_audit


def _scans(owner: str) -> tuple[int, int]:
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                           "WHERE relname = 'audit_log'").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("revision", ["head", "0007"])
def test_appending_to_a_log_the_planner_thinks_empty_scans_no_table(
    database: DatabaseUrls, revision: str
) -> None:
    with scratch_database(database, migrate=False) as urls:
        upgrade(urls.owner, revision)
        schools = seed_two_schools(urls.owner)
        owner = libpq_dsn(urls.owner)
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) audit_log")  # the statistics now say: empty
        seq_before, idx_before = _scans(owner)
        # when: three requests' worth of audit rows (each a new session: a fresh plan)
        for _ in range(3):
            write_audit(urls.app, schools.a.id, *changes(schools.a.id, "marks", 10),
                        sealed=revision == "head")  # 0007 chains in its insert trigger
        # the writers' statistics reach the counters when their sessions end
        deadline = time.monotonic() + 5
        while (scans := _scans(owner))[1] == idx_before and scans[0] == seq_before \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        owner_engine(urls.owner).dispose()
    seq_scans = scans[0] - seq_before
    if revision == "head":
        assert seq_scans == 0 and scans[1] > idx_before
    else:  # without the migration the same appends scan the table: the test can tell
        assert seq_scans > 0
