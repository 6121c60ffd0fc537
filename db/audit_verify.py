"""Verifying the audit log's hash chains: a changed, removed, inserted or reordered row is found.

Each school's sealed rows are walked in `seq` order with a server-side cursor (constant
memory); every row's hash is recomputed in SQL with the same function the sealer uses, so the
check cannot drift from how the chain was written. Rows committed but not sealed yet (a
writer's moment between its commit and the sealer, or a process that stopped in between) are
counted apart: the chain says nothing about them until they are sealed (docs/audit.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import URL

from db.engine import libpq_dsn

BATCH = 2000


@dataclass(frozen=True)
class ChainBreak:
    """The first row of a school's chain that does not verify."""

    seq: int
    id: uuid.UUID
    problem: str


@dataclass(frozen=True)
class ChainReport:
    """One school's chain: how many rows were checked, and the first break if any."""

    school_id: uuid.UUID
    school_name: str
    rows: int
    last_seq: int
    last_hash: bytes | None
    broken: ChainBreak | None
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        where = f"school {self.school_name} ({self.school_id})"
        waiting = (f"; {self.unsealed} rows not sealed yet (`zhurnal audit seal` chains "
                   "them)" if self.unsealed else "")
        if self.broken is None:
            return f"{where}: {self.rows} rows, chain intact{waiting}"
        b = self.broken
        return f"{where}: audit row seq {b.seq} (id {b.id}) {b.problem}"


class UnknownSchool(LookupError):
    """--school names no school of this database."""


def _schools(conn: psycopg.Connection, school_id: uuid.UUID | None
             ) -> list[tuple[uuid.UUID, str]]:
    if school_id is None:
        return conn.execute("SELECT id, name FROM schools ORDER BY name, id").fetchall()
    rows = conn.execute("SELECT id, name FROM schools WHERE id = %s", (school_id,)).fetchall()
    if not rows:
        raise UnknownSchool(f"no school with id {school_id} in this database")
    return rows


def walk_chain(conn: psycopg.Connection, school_id: uuid.UUID, name: str) -> ChainReport:
    unsealed_row = conn.execute("SELECT count(*) FROM audit_log WHERE school_id = %s "
                                "AND seq IS NULL", (school_id,)).fetchone()
    unsealed = int(unsealed_row[0]) if unsealed_row else 0
    expected_seq, prev_hash, rows = 1, None, 0
    with conn.cursor(name=f"audit_walk_{school_id.hex}") as cur:
        cur.itersize = BATCH
        cur.execute(
            "SELECT seq, id, prev_hash, hash, hash = zhurnal_audit_hash(a) "
            "FROM audit_log a WHERE school_id = %s AND seq IS NOT NULL ORDER BY seq",
            (school_id,))
        for seq, row_id, row_prev, row_hash, hash_ok in cur:
            problem = None
            if seq != expected_seq:
                problem = (f"follows seq {expected_seq - 1}: rows are missing before it "
                           "(removed)" if seq > expected_seq else
                           f"repeats or precedes seq {expected_seq - 1} (inserted)")
            elif row_prev != prev_hash:
                problem = ("does not link to the hash of the previous row: a row was removed "
                           "or inserted before it")
            elif not hash_ok:
                problem = "does not match its hash: the row was changed"
            if problem is not None:
                return ChainReport(school_id, name, rows, expected_seq - 1, prev_hash,
                                   ChainBreak(seq, row_id, problem), unsealed)
            rows += 1
            expected_seq, prev_hash = seq + 1, row_hash
    return ChainReport(school_id, name, rows, expected_seq - 1, prev_hash, None, unsealed)


def verify_chains(owner_url: URL, school_id: uuid.UUID | None = None) -> Iterator[ChainReport]:
    """Walk each school's chain (or one school's) and report it; one read-only snapshot for
    all schools, so rows appended meanwhile are simply not seen."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        schools = _schools(conn, school_id)
        # RLS is forced on audit_log even for its owner (unless a superuser).
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)",
                     (",".join(str(s) for s, _ in schools),))
        for sid, name in schools:
            yield walk_chain(conn, sid, name)
        conn.rollback()


def seal_chains(owner_url: URL, school_id: uuid.UUID | None = None) -> int:
    """Chain the committed unsealed rows (every school's, or one school's) now, as the server
    does after each write and at start-up; how many were sealed."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        if school_id is not None:
            _schools(conn, school_id)  # an unknown school is the caller's mistake
        row = conn.execute("SELECT zhurnal_audit_seal(%s)", (school_id,)).fetchone()
    return int(row[0]) if row else 0
