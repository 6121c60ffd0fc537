"""Restores: a whole-database backup into an empty database, or one school's export into a
running cluster in one transaction; both compare the result with the manifest's checksums.
"""

from __future__ import annotations

import csv
import io
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from db.audit_verify import ChainReport, walk_chain
from db.backup import (
    DUMP_FILE,
    STABLE_TEXT,
    BackupError,
    Selection,
    alembic_revision,
    check_sums,
    connect,
    pg_tool,
    read_manifest,
    school_selections,
    server_major,
    set_all_schools,
    table_stats,
    tenant_tables,
    tool_env,
    user_tables,
)
from db.rls import ROLES
from db.settings import APP_ROLE, OFFICER_ROLE

# Global rows a school export carries: shared ones already present are kept as they are
# (another school may use them; an existing account keeps its current password), the school
# row itself is put back as it was.
KEEP_EXISTING = frozenset({"regions", "municipalities", "accounts"})
# Restoring the audit log as it was means bypassing the chain trigger (it would renumber and
# rehash the rows) and, with --replace, the append-only trigger; both are disabled inside the
# restore's transaction only, so no other writer ever sees them off.
AUDIT_TRIGGERS = ("audit_chain", "audit_append_only")


@dataclass
class RestoreResult:
    tables: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    chain: ChainReport | None = None


def _mismatches(expected: dict[str, Any], actual: dict[str, dict[str, Any]]) -> list[str]:
    return [f"{t} (rows {expected[t]['rows']} → {actual.get(t, {}).get('rows')})"
            for t in expected if expected[t] != actual.get(t)]


def restore_database(url: URL, directory: Path) -> RestoreResult:
    """pg_restore into an empty database (as its owner), then compare every table's count and
    checksum with the manifest."""
    manifest = read_manifest(directory)
    if manifest.get("kind") != "database":
        raise BackupError(f"{directory} holds one school's export: restore it into a migrated "
                          "database (it is restored as a school, not as a whole database)")
    check_sums(directory)
    with connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
            "('pg_catalog', 'information_schema')").fetchone()
        if tables and tables[0]:
            raise BackupError(f"database {conn.info.dbname} already has {tables[0]} tables: a "
                              "full backup is restored only into an empty database (create "
                              "a new one)")
        # The roles are cluster-wide: a new cluster needs them before the grants are restored.
        present = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)",
                               (APP_ROLE, OFFICER_ROLE)).fetchone()
        try:
            if present != (2,):
                conn.execute(ROLES)
        except psycopg.Error as err:
            raise BackupError(f"cannot create the roles zhurnal_app/zhurnal_officer: "
                              f"{err.diag.message_primary}") from None
        major = server_major(conn)
    dsn, env = tool_env(url)
    done = subprocess.run(
        [str(pg_tool("pg_restore", major)), "--no-owner", "--single-transaction",
         "--exit-on-error", f"--dbname={dsn}", str(directory / DUMP_FILE)],
        env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError("pg_restore failed (nothing was restored): "
                          + (done.stderr.strip().splitlines() or ["?"])[-1])
    with connect(url) as conn:
        conn.execute(STABLE_TEXT)
        set_all_schools(conn)
        actual = table_stats(conn, [Selection(t) for t in user_tables(conn)])
        conn.rollback()
    bad = _mismatches(manifest["tables"], actual)
    if bad:
        raise BackupError("restored, but these tables differ from the manifest: "
                          + ", ".join(bad))
    return RestoreResult(tables={t: s["rows"] for t, s in actual.items()})


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(io.StringIO(f.readline())), [])


def _load(conn: psycopg.Connection, table: str, path: Path) -> int:
    """COPY into a temporary table, then INSERT: COPY FROM refuses tables with row security,
    INSERT goes through the policies like any write."""
    columns = _header(path)
    known = {r[0] for r in conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped", (table,))}
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise BackupError(f"{path.name}: columns {', '.join(unknown)} do not exist in {table}")
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    tmp = sql.Identifier(f"restore_{table}")
    target = sql.Identifier(table)
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(tmp, target))
    with conn.cursor() as cur, path.open("rb") as f, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER)").format(tmp, cols)
    ) as copy:
        while chunk := f.read(1 << 20):
            copy.write(chunk)
    insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(target, cols, cols, tmp)
    if table in KEEP_EXISTING:
        insert = sql.SQL("{} ON CONFLICT (id) DO NOTHING").format(insert)
    elif table == "schools":
        insert = sql.SQL("{} ON CONFLICT (id) DO UPDATE SET ({}) = ROW({})").format(
            insert, cols, sql.SQL(", ").join(sql.SQL("EXCLUDED.") + sql.Identifier(c)
                                             for c in columns))
    count = conn.execute(insert).rowcount
    conn.execute(sql.SQL("DROP TABLE {}").format(tmp))
    return count


def _audit_triggers(conn: psycopg.Connection, action: str) -> None:
    conn.execute(sql.SQL("ALTER TABLE audit_log {}").format(sql.SQL(", ").join(
        sql.SQL(action + " TRIGGER ") + sql.Identifier(t) for t in AUDIT_TRIGGERS)))


def import_school(url: URL, directory: Path, *, replace: bool = False) -> RestoreResult:
    """One school's export into a migrated database, in one transaction: refused when the
    school exists unless `replace` (then its rows are deleted first, children before parents).
    The audit log comes back with its original seq and hashes, so its chain still verifies."""
    manifest = read_manifest(directory)
    if manifest.get("kind") != "school":
        raise BackupError(f"{directory} holds a whole-database backup: restore it into an "
                          "empty database without --replace")
    check_sums(directory)
    school_id = uuid.UUID(manifest["school"]["id"])
    result = RestoreResult()
    with connect(url) as conn:
        try:
            with conn.transaction():
                _import(conn, directory, manifest, school_id, replace, result)
        except psycopg.Error as err:
            raise BackupError(f"the database refused the restore (nothing was written): "
                              f"{err.diag.message_primary}") from None
    return result


def _import(conn: psycopg.Connection, directory: Path, manifest: dict[str, Any],
            school_id: uuid.UUID, replace: bool, result: RestoreResult) -> None:
    revision = alembic_revision(conn)
    if revision != manifest["alembic_revision"]:
        raise BackupError(f"the export was made at migration {manifest['alembic_revision']} "
                          f"but database {conn.info.dbname} is at {revision or 'none'}: "
                          "bring both to the same migration (zhurnal db upgrade)")
    conn.execute(STABLE_TEXT)
    conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (str(school_id),))
    name = manifest["school"]["name"]
    exists = conn.execute("SELECT 1 FROM schools WHERE id = %s", (school_id,)).fetchone()
    if exists and not replace:
        raise BackupError(f"school {name} ({school_id}) already exists in database "
                          f"{conn.info.dbname}: pass --replace to replace its data")
    _audit_triggers(conn, "DISABLE")
    # The diary event log comes back as exported: the triggers log nothing of the restore's
    # own writes (db/rls.py DIARY_EVENT_LOG), transaction-local like the school setting.
    conn.execute("SELECT set_config('zhurnal.restoring', 'on', true)")
    if replace:
        for table in reversed(tenant_tables(conn)):
            result.deleted[table] = conn.execute(
                sql.SQL("DELETE FROM {} WHERE school_id = %s").format(sql.Identifier(table)),
                (school_id,)).rowcount
    selections = school_selections(conn)
    for sel in selections:
        path = directory / f"{sel.table}.csv"
        if not path.is_file():
            raise BackupError(f"{directory} has no {path.name}: the export is incomplete")
        result.tables[sel.table] = _load(conn, sel.table, path)
    _audit_triggers(conn, "ENABLE")
    # Cursors of another cluster: this school's next events must still come after them.
    conn.execute("SELECT setval('diary_event_cursor', GREATEST("
                 "(SELECT last_value FROM diary_event_cursor), "
                 "(SELECT COALESCE(max(cursor), 1) FROM diary_events)))")
    checked = [s for s in selections if s.table not in KEEP_EXISTING]
    actual = table_stats(conn, checked, school_id)
    bad = _mismatches({s.table: manifest["tables"][s.table] for s in checked}, actual)
    if bad:
        raise BackupError("the restored rows differ from the manifest (nothing was written): "
                          + ", ".join(bad))
    result.chain = walk_chain(conn, school_id, name)
