"""Backups: the whole database with pg_dump, or one school as a portable CSV export.

Both write a directory with `manifest.json` (when, which database and migration, and per
table a row count and an md5 checksum of the rows' text) and `SHA256SUMS` (for checking a
copy on external media with `sha256sum -c`). Counts and checksums are taken in the same
snapshot the dump or export reads, so a restore can be compared with them exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from db.engine import libpq_dsn

FORMAT = "zhurnal-backup/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
DUMP_FILE = "zhurnal.dump"


class BackupError(RuntimeError):
    """A backup or restore cannot proceed; the message says why, in one line."""


# Row text depends on these settings; fixing them makes checksums comparable across sessions
# and clusters.
STABLE_TEXT = (
    "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
    "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; "
    "SET LOCAL bytea_output = 'hex'"
)


@dataclass(frozen=True)
class Selection:
    """Which rows of a table a backup holds: a WHERE clause with `%(school)s`, or all."""

    table: str
    where: sql.Composable | None = None


def connect(url: URL, **kwargs: Any) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_dsn(url), **kwargs)
    except psycopg.OperationalError as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise BackupError(f"cannot connect to the database: {first}") from err


def user_tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname")]


def tenant_tables(conn: psycopg.Connection) -> list[str]:
    """Tables with a `school_id` column, parents before children (foreign keys)."""
    tables = [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind = 'r' AND a.attname = 'school_id' AND NOT a.attisdropped")]
    edges = conn.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid <> confrelid").fetchall()
    parents = {t: {p for c, p in edges if c == t and p in tables} for t in tables}
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, ps in parents.items() if not ps - set(ordered))
        if not ready:
            raise BackupError("the tenant tables' foreign keys form a cycle: "
                              + ", ".join(sorted(parents)))
        ordered += ready
        for t in ready:
            del parents[t]
    return ordered


def school_selections(conn: psycopg.Connection) -> list[Selection]:
    """One school's rows in every tenant table, and the global rows they need: the school,
    its municipality and region, and the login accounts of its persons (password hashes
    included, so people can still log in after a restore into another cluster)."""
    school = sql.SQL("id = %(school)s")
    return [
        Selection("regions", sql.SQL(
            "id = (SELECT m.region_id FROM municipalities m JOIN schools s "
            "ON s.municipality_id = m.id WHERE s.id = %(school)s)")),
        Selection("municipalities", sql.SQL(
            "id = (SELECT municipality_id FROM schools WHERE id = %(school)s)")),
        Selection("schools", school),
        Selection("accounts", sql.SQL(
            "id IN (SELECT account_id FROM persons WHERE school_id = %(school)s)")),
        *[Selection(t, sql.SQL("school_id = %(school)s")) for t in tenant_tables(conn)],
    ]


def selected(sel: Selection) -> sql.Composable:
    base = sql.SQL("SELECT * FROM {} t").format(sql.Identifier(sel.table))
    return base if sel.where is None else sql.SQL("{} WHERE {}").format(base, sel.where)


def table_stats(conn: psycopg.Connection, selections: list[Selection],
                school_id: uuid.UUID | None = None) -> dict[str, dict[str, Any]]:
    """Row count and md5 of the rows' text in a fixed order, per table (or per selection)."""
    stats: dict[str, dict[str, Any]] = {}
    for sel in selections:
        rows, digest = conn.execute(
            sql.SQL("SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) "
                    "FROM ({}) t").format(selected(sel)),
            {"school": school_id}).fetchone() or (0, None)
        stats[sel.table] = {"rows": rows, "md5": digest}
    return stats


def set_all_schools(conn: psycopg.Connection) -> None:
    """RLS is forced on tenant tables even for their owner (unless a superuser)."""
    conn.execute("SELECT set_config('zhurnal.school_ids', "
                 "COALESCE((SELECT string_agg(id::text, ',') FROM schools), ''), true)")


def alembic_revision(conn: psycopg.Connection) -> str | None:
    if conn.execute("SELECT to_regclass('public.alembic_version')").fetchone() == (None,):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def audit_heads(conn: psycopg.Connection, school_id: uuid.UUID | None = None
                ) -> dict[str, dict[str, Any]]:
    """The last row of each school's audit chain: keep it off-site as an anchor, since a
    chain alone cannot show that its newest rows were cut off."""
    rows = conn.execute(
        "SELECT DISTINCT ON (school_id) school_id, seq, encode(hash, 'hex') FROM audit_log "
        "WHERE (%(school)s::uuid IS NULL OR school_id = %(school)s) AND seq IS NOT NULL "
        "ORDER BY school_id, seq DESC", {"school": school_id}).fetchall()
    return {str(s): {"seq": seq, "hash": h} for s, seq, h in rows}


@contextmanager
def snapshot(url: URL) -> Iterator[tuple[psycopg.Connection, str]]:
    """A read-only repeatable-read transaction as the owner, its snapshot exported so
    pg_dump reads exactly the same data."""
    with connect(url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(STABLE_TEXT)
        set_all_schools(conn)
        snap = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snap is not None
        yield conn, snap[0]
        conn.rollback()


def server_major(conn: psycopg.Connection) -> int:
    return int(conn.info.server_version) // 10000


def pg_tool(name: str, major: int) -> Path:
    """pg_dump/pg_restore no older than the server: with DATABASE_URL set, the one on PATH
    when it is new enough (it matches the server's packages), else the embedded wheel's."""
    candidates: list[Path] = []
    on_path = shutil.which(name)
    if os.environ.get("DATABASE_URL") and on_path:
        candidates.append(Path(on_path))
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH) / name)
    except ImportError:  # pragma: no cover - installed without the embedded server
        pass
    if on_path and Path(on_path) not in candidates:
        candidates.append(Path(on_path))
    found = []
    for tool in candidates:
        try:
            out = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                                 check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        version = int(out.split()[-1].split(".")[0].split("beta")[0])
        found.append(f"{tool} ({version})")
        if version >= major:
            return tool
    raise BackupError(f"no {name} of PostgreSQL {major} or newer found (tried "
                      f"{', '.join(found) or 'none'}): install the server's client tools")


def tool_env(url: URL, extra_options: str = "") -> tuple[str, dict[str, str]]:
    """A connection string without the password (it goes in PGPASSWORD, not argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    if extra_options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {extra_options}".strip()
    return libpq_dsn(url.set(password=None)), env


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def prepare_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not an empty directory: a backup never "
                          "overwrites another; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != SUMS)
    (out / SUMS).write_text("".join(f"{sha256_file(p)}  {p.name}\n" for p in files),
                            encoding="utf-8")


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} is not a zhurnal backup: no {MANIFEST}") from None
    except (OSError, ValueError) as err:
        raise BackupError(f"cannot read {path}: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return manifest


def check_sums(directory: Path) -> None:
    """Every file listed in SHA256SUMS is present and intact (e.g. after a copy to USB)."""
    sums = directory / SUMS
    if not sums.exists():
        raise BackupError(f"{directory} has no {SUMS}: the backup is incomplete")
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = directory / name
        if not path.is_file() or sha256_file(path) != digest:
            raise BackupError(f"{path} is missing or does not match its checksum in {SUMS}")


def backup_database(url: URL, out: Path) -> dict[str, Any]:
    """The whole database with pg_dump (custom format) and its manifest."""
    prepare_out(out)
    started = datetime.now(UTC)
    with snapshot(url) as (conn, snap):
        bypass = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                              "WHERE rolname = current_user").fetchone() == (True,)
        options = ""
        args = []
        if not bypass:
            # pg_dump turns row security off and fails where it is forced; an owner without
            # BYPASSRLS dumps with it on, every school set.
            ids = ",".join(str(r[0]) for r in conn.execute("SELECT id FROM schools"))
            options, args = f"-c zhurnal.school_ids={ids}", ["--enable-row-security"]
        dsn, env = tool_env(url, options)
        dump = subprocess.Popen(
            [str(pg_tool("pg_dump", server_major(conn))), "--format=custom", f"--snapshot={snap}",
             f"--file={out / DUMP_FILE}", *args, f"--dbname={dsn}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        tables = table_stats(conn, [Selection(t) for t in user_tables(conn)])
        manifest = {
            "format": FORMAT, "kind": "database", "created_at": started.isoformat(),
            "database": conn.info.dbname,
            "server_version": conn.info.parameter_status("server_version"),
            "alembic_revision": alembic_revision(conn), "file": DUMP_FILE,
            "tables": tables, "audit_heads": audit_heads(conn),
        }
        _, stderr = dump.communicate()
        if dump.returncode != 0:
            raise BackupError("pg_dump failed: " + (stderr.strip().splitlines() or ["?"])[-1])
    manifest["finished_at"] = datetime.now(UTC).isoformat()
    write_manifest(out, manifest)
    return manifest


def export_school(url: URL, school_id: uuid.UUID, out: Path) -> dict[str, Any]:
    """One school as CSV files (one per table, header row, NULL as an unquoted empty field)
    with the global rows it needs: restorable into any cluster at the same migration."""
    with snapshot(url) as (conn, _):
        name = conn.execute("SELECT name FROM schools WHERE id = %s", (school_id,)).fetchone()
        if name is None:
            raise BackupError(f"no school with id {school_id} in this database")
        prepare_out(out)
        started = datetime.now(UTC)
        selections = school_selections(conn)
        params = {"school": school_id}
        with conn.cursor() as cur:
            for sel in selections:
                query = sql.SQL("COPY ({} ORDER BY t::text) TO STDOUT WITH (FORMAT csv, "
                                "HEADER)").format(selected(sel))
                with (out / f"{sel.table}.csv").open("wb") as f, \
                        cur.copy(query, params) as copy:
                    for chunk in copy:
                        f.write(chunk)
        manifest = {
            "format": FORMAT, "kind": "school", "created_at": started.isoformat(),
            "database": conn.info.dbname,
            "server_version": conn.info.parameter_status("server_version"),
            "alembic_revision": alembic_revision(conn),
            "school": {"id": str(school_id), "name": name[0]},
            "tables": table_stats(conn, selections, school_id),
            "order": [s.table for s in selections],
            "audit_heads": audit_heads(conn, school_id),
        }
    manifest["finished_at"] = datetime.now(UTC).isoformat()
    write_manifest(out, manifest)
    return manifest
