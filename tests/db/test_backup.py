"""The restore drill: back up, restore into fresh databases, compare table by table.

Everything runs through the real `zhurnal` command against scratch databases of the test
cluster; the comparisons are computed here, independently of the backup code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from db.engine import DatabaseUrls, libpq_dsn
from tests.factories import TwoSchools, seed_two_schools
from tests.journal_factory import make_journal_group
from tests.scratch import changes, scratch_database, write_audit
from tests.system.test_cli import assert_one_clear_line, run

SETTINGS = ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; "
            "SET bytea_output = 'hex'")


def zhurnal(urls: DatabaseUrls, *args: str):
    return run(*args, env={"DATABASE_URL": libpq_dsn(urls.owner)}, timeout=120)


def tables(urls: DatabaseUrls) -> list[str]:
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        return [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]


def digests(urls: DatabaseUrls, tables: list[str], where: str = "true", **params: object
            ) -> dict[str, tuple[int, str | None]]:
    """Row count and md5 of the rows' text per table, as the owner with every school set."""
    out = {}
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute(SETTINGS)
        conn.execute("SELECT set_config('zhurnal.school_ids', (SELECT string_agg(id::text, "
                     "',') FROM schools), false)")
        for table in tables:
            row = conn.execute(f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY "
                               f"t::text)) FROM {table} t WHERE {where}", params).fetchone()
            assert row is not None
            out[table] = (row[0], row[1])
    return out


def digest(urls: DatabaseUrls, table: str, where: str = "true", **params: object
           ) -> tuple[int, str | None]:
    return digests(urls, [table], where, **params)[table]


def has_school_id(urls: DatabaseUrls, table: str) -> bool:
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        return conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                            "'public' AND table_name = %s AND column_name = 'school_id'",
                            (table,)).fetchone() is not None


@pytest.fixture(scope="module")
def source(database: DatabaseUrls) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    """Two seeded schools with a few audit rows each, in a database of their own."""
    with scratch_database(database) as urls:
        schools = seed_two_schools(urls.owner)
        write_audit(urls.app, schools.a.id, *changes(schools.a.id, "lessons", 4),
                    person_id=schools.a.people["teacher"])
        write_audit(urls.app, schools.b.id, *changes(schools.b.id, "marks", 2))
        yield urls, schools


def test_restore_of_a_full_backup_matches_the_manifest_table_by_table(
    source, database: DatabaseUrls, tmp_path: Path
) -> None:
    # given a full backup
    urls, schools = source
    out = tmp_path / "full"
    backed_up = zhurnal(urls, "backup", "--out", str(out))
    assert backed_up.returncode == 0, backed_up.stderr
    assert {p.name for p in out.iterdir()} == {"zhurnal.dump", "manifest.json", "SHA256SUMS"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["alembic_revision"] and manifest["tables"]["schools"]["rows"] == 2
    assert set(manifest["tables"]) == set(tables(urls))
    with scratch_database(database, migrate=False) as target:
        # when it is restored into an empty database
        restored = zhurnal(target, "restore", str(out))
        # then every table has the manifest's count and checksum, like the source
        assert restored.returncode == 0, restored.stderr
        assert tables(target) == tables(urls)
        restored_digests = digests(target, list(manifest["tables"]))
        assert restored_digests == {t: (e["rows"], e["md5"])
                                    for t, e in manifest["tables"].items()}
        assert restored_digests == digests(urls, list(manifest["tables"]))
        # and the chains, policies and grants came back with the data
        verified = zhurnal(target, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "4 rows, chain intact" in verified.stdout
        with psycopg.connect(libpq_dsn(target.app)) as app:
            assert app.execute("SELECT count(*) FROM persons").fetchone() == (0,)
            app.execute("SELECT set_config('zhurnal.school_ids', %s, false)",
                        (str(schools.a.id),))
            assert app.execute("SELECT count(*) FROM persons").fetchone() == (5,)
        # and a second restore into the now full database is refused
        assert_one_clear_line(zhurnal(target, "restore", str(out)), "already has",
                              "empty database")


def test_restore_of_one_school_into_another_database_restores_that_school_only(
    source, database: DatabaseUrls, tmp_path: Path
) -> None:
    # given school A's export
    urls, schools = source
    a, b = schools.a.id, schools.b.id
    out = tmp_path / "school-a"
    exported = zhurnal(urls, "backup", "--out", str(out), "--school", str(a))
    assert exported.returncode == 0, exported.stderr
    with scratch_database(database, migrate=False) as target:
        assert zhurnal(target, "db", "upgrade").returncode == 0
        # when it is restored into a migrated database
        restored = zhurnal(target, "restore", str(out))
        # then school A's rows are identical and school B is absent
        assert restored.returncode == 0, restored.stderr
        tenant = [t for t in tables(urls) if has_school_id(urls, t)]
        of_a = digests(urls, tenant, "school_id = %(s)s", s=a)
        assert of_a["persons"][0] == 5 and of_a["audit_log"][0] == 4
        assert digests(target, tenant, "school_id = %(s)s", s=a) == of_a
        assert {n for n, _ in digests(target, tenant, "school_id = %(s)s", s=b).values()} == {0}
        assert digest(target, "schools") == digest(urls, "schools", "id = %(s)s", s=a)
        accounts = "id IN (SELECT account_id FROM persons)"
        assert digest(target, "accounts", accounts) == \
            digest(urls, "accounts", accounts + " AND id IN (SELECT account_id FROM persons "
                                                "WHERE school_id = %(s)s)", s=a)
        verified = zhurnal(target, "audit", "verify")
        assert verified.returncode == 0 and "4 rows, chain intact" in verified.stdout
        # when restored again: refused without --replace
        assert_one_clear_line(zhurnal(target, "restore", str(out)), str(a), "--replace")
        # and with --replace, a change made since is undone
        with psycopg.connect(libpq_dsn(target.owner)) as conn:
            conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(a),))
            conn.execute("UPDATE persons SET first_name = 'Изменено' WHERE school_id = %s", (a,))
        replaced = zhurnal(target, "restore", str(out), "--replace")
        assert replaced.returncode == 0, replaced.stderr
        assert digest(target, "persons") == digest(urls, "persons", "school_id = %(s)s", s=a)
        assert zhurnal(target, "audit", "verify").returncode == 0


def test_backup_into_a_used_directory_is_refused(source, tmp_path: Path) -> None:
    urls, _ = source
    (tmp_path / "old.txt").write_text("an older backup")
    assert_one_clear_line(zhurnal(urls, "backup", "--out", str(tmp_path)), "not an empty")


def test_backup_of_an_unknown_school_is_refused(source, tmp_path: Path) -> None:
    urls, _ = source
    missing = uuid.uuid4()
    result = zhurnal(urls, "backup", "--out", str(tmp_path / "x"), "--school", str(missing))
    assert_one_clear_line(result, str(missing))


def test_restore_of_a_damaged_copy_is_refused_and_writes_nothing(
    source, database: DatabaseUrls, tmp_path: Path
) -> None:
    # given an export whose persons file was altered (e.g. a bad copy on external media)
    urls, schools = source
    out = tmp_path / "school-b"
    assert zhurnal(urls, "backup", "--out", str(out), "--school",
                   str(schools.b.id)).returncode == 0
    persons = out / "persons.csv"
    persons.write_text(persons.read_text().replace("Admin", "Adm1n"))
    with scratch_database(database) as target:
        # when
        result = zhurnal(target, "restore", str(out))
        # then
        assert_one_clear_line(result, "persons.csv", "checksum")
        assert digest(target, "schools")[0] == 0


def test_restore_of_a_full_backup_with_replace_is_refused(source, tmp_path: Path) -> None:
    urls, _ = source
    out = tmp_path / "full"
    assert zhurnal(urls, "backup", "--out", str(out)).returncode == 0
    assert_one_clear_line(zhurnal(urls, "restore", str(out), "--replace"), "--replace")


@pytest.fixture
def own_source(database: DatabaseUrls) -> Iterator[tuple[DatabaseUrls, TwoSchools]]:
    """Two seeded schools in a database of their own for one test: a test that adds people
    must not change what the module's other tests count in `source`."""
    with scratch_database(database) as urls:
        yield urls, seed_two_schools(urls.owner)


def test_a_school_restore_brings_the_diary_event_log_back_as_it_was_and_cursors_go_on_after_it(
    own_source, database: DatabaseUrls, tmp_path: Path
) -> None:
    # given school A with a diary event logged by the trigger (an attendance entry) and one
    # with a cursor far ahead of the target cluster's (a sequence default: explicit values go)
    urls, schools = own_source
    a = schools.a.id
    jg = make_journal_group(urls.owner, schools.a, students=1, lessons=1)
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(a),))
        conn.execute("INSERT INTO attendance (school_id, id, lesson_id, student_id, kind, "
                     "late_minutes) VALUES (%s, %s, %s, %s, 'late', 5)",
                     (a, uuid.uuid4(), jg.lesson_ids[0], jg.students[0]))
        conn.execute("INSERT INTO diary_events (school_id, id, cursor, entity, op, entity_id, "
                     "student_id) VALUES (%s, %s, 1000000, 'marks', 'delete', %s, %s)",
                     (a, uuid.uuid4(), uuid.uuid4(), jg.students[0]))
    logged = digest(urls, "diary_events", "school_id = %(s)s", s=a)
    assert logged[0] == 2
    out = tmp_path / "school-a"
    assert zhurnal(urls, "backup", "--out", str(out), "--school", str(a)).returncode == 0
    with scratch_database(database, migrate=False) as target:
        assert zhurnal(target, "db", "upgrade").returncode == 0
        # when it is restored into another database
        restored = zhurnal(target, "restore", str(out))
        assert restored.returncode == 0, restored.stderr
        # then the log is the exported one, nothing logged by the restore's own inserts
        assert digest(target, "diary_events") == logged
        assert digest(target, "attendance") == digest(urls, "attendance", "school_id = %(s)s",
                                                      s=a)
        # and the school's next event comes after every restored cursor
        with psycopg.connect(libpq_dsn(target.owner)) as conn:
            conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(a),))
            conn.execute("UPDATE attendance SET late_minutes = 7 WHERE school_id = %s", (a,))
            conn.commit()  # an event is numbered as its transaction commits
            cursors = conn.execute("SELECT cursor FROM diary_events ORDER BY cursor").fetchall()
        assert len(cursors) == 3 and cursors[-1][0] > 1000000
