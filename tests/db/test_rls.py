"""Row-level security as the application role sees it, on the two seeded schools.

Every test runs on `app_conn` (the role `zhurnal_app`, RLS applies) inside a transaction that
the fixture rolls back, so nothing here changes the shared seed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import create_engine, text

from db.engine import DatabaseUrls
from db.settings import APP_ROLE, OFFICER_ROLE
from tests.factories import TwoSchools

PEOPLE_TABLES = ("persons", "classes", "person_roles")


def _tenant_tables(conn: psycopg.Connection) -> list[str]:
    """Every table in public with a school_id column, read from the catalog."""
    rows = conn.execute("""
        SELECT c.relname FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
           AND a.attname = 'school_id' AND NOT a.attisdropped
         ORDER BY c.relname
    """).fetchall()
    return [r[0] for r in rows]


def _set_schools(conn: psycopg.Connection, *school_ids: uuid.UUID) -> None:
    conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)",
                 (",".join(str(s) for s in school_ids),))


def _set_account(conn: psycopg.Connection, account_id: uuid.UUID) -> None:
    conn.execute("SELECT set_config('zhurnal.account_id', %s, true)", (str(account_id),))


def _ids(conn: psycopg.Connection, table: str, where: str = "true",
         params: tuple[object, ...] = ()) -> set[uuid.UUID]:
    return {r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE {where}", params)}


def _count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _insert_subject(conn: psycopg.Connection, school_id: uuid.UUID) -> None:
    conn.execute(
        "INSERT INTO subjects (school_id, id, name, short_name) VALUES (%s, %s, %s, 'T')",
        (school_id, uuid.uuid4(), f"Test {uuid.uuid4().hex[:8]}"),
    )


def _insert_audit(conn: psycopg.Connection, school_id: uuid.UUID,
                  entity: str = "mark") -> tuple[uuid.UUID, tuple[object, object, object]]:
    """An audit row with forged chain fields; returns its id and the (seq, hash, prev_hash)
    the trigger stored instead."""
    row_id = uuid.uuid4()
    row = conn.execute("""
        INSERT INTO audit_log (school_id, id, action, entity, seq, hash, prev_hash)
        VALUES (%s, %s, 'create', %s, 0, '\\x00'::bytea, '\\xff'::bytea)
        RETURNING seq, hash, prev_hash
    """, (school_id, row_id, entity)).fetchone()
    assert row is not None
    return row_id, (row[0], row[1], row[2])


def _sealed(conn: psycopg.Connection, school_id: uuid.UUID, *row_ids: uuid.UUID
            ) -> list[tuple[int, bytes, bytes | None]]:
    """Commit, seal (as a request does after its commit) and read the rows' chain fields."""
    conn.commit()
    conn.execute("SELECT zhurnal_audit_seal(%s)", (school_id,))
    conn.commit()
    _set_schools(conn, school_id)
    out = []
    for row_id in row_ids:
        row = conn.execute("SELECT seq, hash, prev_hash FROM audit_log WHERE school_id = %s "
                           "AND id = %s", (school_id, row_id)).fetchone()
        assert row is not None
        out.append((row[0], bytes(row[1]), None if row[2] is None else bytes(row[2])))
    return out


@pytest.fixture()
def account_of(owner_conn: psycopg.Connection, schools: TwoSchools):
    """The login account of a seeded person (read as the owner, who bypasses RLS)."""

    def lookup(school_id: uuid.UUID, person_id: uuid.UUID) -> uuid.UUID:
        row = owner_conn.execute(
            "SELECT account_id FROM persons WHERE school_id = %s AND id = %s",
            (school_id, person_id),
        ).fetchone()
        assert row is not None and row[0] is not None
        return row[0]

    return lookup


@pytest.fixture()
def pooled_engine(database: DatabaseUrls) -> Iterator[object]:
    engine = create_engine(database.app, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


# --- one school set --------------------------------------------------------------------------


@pytest.mark.parametrize("table", PEOPLE_TABLES)
def test_rows_of_another_school_are_invisible(
    app_conn: psycopg.Connection, owner_conn: psycopg.Connection, schools: TwoSchools,
    table: str,
) -> None:
    # given school A set on the application role's transaction
    a, b = schools.a.id, schools.b.id
    _set_schools(app_conn, a)
    # when the table is read with and without a filter on school B
    visible = _ids(app_conn, table)
    asked_for_b = _ids(app_conn, table, "school_id = %s", (b,))
    # then exactly school A's rows (as the owner sees them) come back, none of B's
    assert asked_for_b == set()
    assert visible == _ids(owner_conn, table, "school_id = %s", (a,))
    assert visible
    assert visible.isdisjoint(_ids(owner_conn, table, "school_id = %s", (b,)))


def test_no_tenant_table_shows_a_row_of_another_school(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given school A set
    _set_schools(app_conn, schools.a.id)
    # when every tenant table is asked for rows outside school A
    leaks = {
        table: app_conn.execute(f"SELECT count(*) FROM {table} WHERE school_id <> %s",
                                (schools.a.id,)).fetchone()[0]
        for table in _tenant_tables(app_conn)
    }
    # then none has any
    assert {t: n for t, n in leaks.items() if n} == {}


def test_inserting_a_row_for_another_school_is_refused(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given school A set
    _set_schools(app_conn, schools.a.id)
    # when a row for school B is inserted
    # then the WITH CHECK of the policy refuses it
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        _insert_subject(app_conn, schools.b.id)


def test_a_row_of_the_set_school_can_be_inserted(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given school A set
    _set_schools(app_conn, schools.a.id)
    before = _count(app_conn, "subjects")
    # when a row for school A is inserted
    _insert_subject(app_conn, schools.a.id)
    # then it is there (the refusal above is about the school, not the statement)
    assert _count(app_conn, "subjects") == before + 1


@pytest.mark.parametrize("table", PEOPLE_TABLES)
def test_updating_and_deleting_rows_of_another_school_affects_nothing(
    app_conn: psycopg.Connection, owner_conn: psycopg.Connection, schools: TwoSchools,
    table: str,
) -> None:
    # given school A set, and rows of school B that exist (as the owner sees them)
    b = schools.b.id
    assert _ids(owner_conn, table, "school_id = %s", (b,))
    _set_schools(app_conn, schools.a.id)
    # when B's rows are updated and deleted
    updated = app_conn.execute(
        f"UPDATE {table} SET id = id WHERE school_id = %s", (b,)).rowcount
    deleted = app_conn.execute(f"DELETE FROM {table} WHERE school_id = %s", (b,)).rowcount
    # then no row is touched
    assert (updated, deleted) == (0, 0)


def test_moving_a_row_to_another_school_is_refused(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given school A set and a row of A that nothing refers to
    _set_schools(app_conn, schools.a.id)
    subject_id = uuid.uuid4()
    app_conn.execute(
        "INSERT INTO subjects (school_id, id, name, short_name) VALUES (%s, %s, 'Move me', 'M')",
        (schools.a.id, subject_id),
    )
    # when the row is moved to school B
    # then the WITH CHECK refuses the new row
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        app_conn.execute(
            "UPDATE subjects SET school_id = %s WHERE school_id = %s AND id = %s",
            (schools.b.id, schools.a.id, subject_id),
        )


# --- no school set ---------------------------------------------------------------------------


@pytest.mark.parametrize("setting", [None, ""], ids=["unset", "empty"])
def test_without_a_school_every_tenant_table_is_empty(
    app_conn: psycopg.Connection, schools: TwoSchools, setting: str | None,
) -> None:
    # given a transaction with no school setting at all, or an empty one
    if setting is not None:
        app_conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (setting,))
    tables = _tenant_tables(app_conn)
    assert "persons" in tables
    # when every tenant table is read
    counts = {table: _count(app_conn, table) for table in tables}
    # then each one returns nothing
    assert {t: n for t, n in counts.items() if n} == {}


@pytest.mark.parametrize("setting", [None, ""], ids=["unset", "empty"])
def test_without_a_school_inserting_is_refused(
    app_conn: psycopg.Connection, schools: TwoSchools, setting: str | None,
) -> None:
    # given a transaction with no school setting, or an empty one
    if setting is not None:
        app_conn.execute("SELECT set_config('zhurnal.school_ids', %s, true)", (setting,))
    # when a row for school A is inserted
    # then it is refused
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        _insert_subject(app_conn, schools.a.id)


def test_a_pooled_connection_does_not_carry_the_school_into_the_next_transaction(
    pooled_engine, schools: TwoSchools,
) -> None:
    # given a pool of one connection as the application role
    # when transaction 1 sets school A, reads and commits
    with pooled_engine.begin() as conn:
        conn.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                     {"s": str(schools.a.id)})
        first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        first_count = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    # and transaction 2 runs without a setting
    with pooled_engine.begin() as conn:
        second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        setting = conn.execute(
            text("SELECT current_setting('zhurnal.school_ids', true)")).scalar_one()
        second_count = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    # then it is the same backend, but the school is gone and so are the rows
    assert first_pid == second_pid
    assert first_count > 0
    assert setting in (None, "")
    assert second_count == 0


# --- the audit log ---------------------------------------------------------------------------


def test_the_application_role_appends_to_a_hash_chained_audit_log(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given school A set
    _set_schools(app_conn, schools.a.id)
    # when two audit rows are inserted with forged chain fields
    first, stored1 = _insert_audit(app_conn, schools.a.id)
    second, stored2 = _insert_audit(app_conn, schools.a.id)
    # then the trigger dropped the forged fields: the rows wait, unsealed, for their commit
    assert stored1 == stored2 == (None, None, None)
    # and once committed and sealed they are numbered and chained: the second links to the
    # first
    (seq1, hash1, _), (seq2, hash2, prev2) = _sealed(app_conn, schools.a.id, first, second)
    assert seq2 == seq1 + 1
    assert seq1 >= 1
    assert prev2 == hash1
    assert len(hash1) == len(hash2) == 32
    assert hash1 != b"\x00"


def test_the_stored_audit_hash_is_the_hash_of_the_row(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given an audit row written by the application role, sealed after its commit
    _set_schools(app_conn, schools.a.id)
    row_id, _ = _insert_audit(app_conn, schools.a.id)
    [(seq, stored, _)] = _sealed(app_conn, schools.a.id, row_id)
    # when the hash is recomputed from the stored row
    recomputed = app_conn.execute(
        "SELECT zhurnal_audit_hash(a) FROM audit_log a WHERE school_id = %s AND seq = %s",
        (schools.a.id, seq),
    ).fetchone()[0]
    # then it matches: the chain is verifiable
    assert bytes(recomputed) == stored


def test_the_audit_hash_does_not_depend_on_the_session_time_zone(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given an audit row written and sealed in one time zone
    app_conn.execute("SET TimeZone = 'UTC'")
    _set_schools(app_conn, schools.a.id)
    row_id, _ = _insert_audit(app_conn, schools.a.id)
    [(seq, stored, _)] = _sealed(app_conn, schools.a.id, row_id)
    # when a verifier recomputes it in the school's time zone
    app_conn.execute("SET LOCAL TimeZone = 'Asia/Yakutsk'")
    recomputed = app_conn.execute(
        "SELECT zhurnal_audit_hash(a) FROM audit_log a WHERE school_id = %s AND seq = %s",
        (schools.a.id, seq),
    ).fetchone()[0]
    # then the hash is the same
    assert bytes(recomputed) == stored


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged'",
    "DELETE FROM audit_log",
])
def test_the_application_role_cannot_rewrite_the_audit_log(
    app_conn: psycopg.Connection, schools: TwoSchools, statement: str,
) -> None:
    # given school A set and an audit row of A
    _set_schools(app_conn, schools.a.id)
    _insert_audit(app_conn, schools.a.id)
    # when the application role updates or deletes audit rows
    # then it has no privilege to
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        app_conn.execute(statement)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged' WHERE school_id = %s",
    "DELETE FROM audit_log WHERE school_id = %s",
    "TRUNCATE audit_log",
])
def test_even_the_owner_is_refused_by_the_append_only_trigger(
    owner_conn: psycopg.Connection, schools: TwoSchools, statement: str,
) -> None:
    # given an audit row of school A written by the owner
    _set_schools(owner_conn, schools.a.id)
    _insert_audit(owner_conn, schools.a.id)
    # when the owner (a superuser here) updates, deletes or truncates
    # then the trigger raises
    params = (schools.a.id,) if "%s" in statement else ()
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        owner_conn.execute(statement, params)


# --- the access function ----------------------------------------------------------------------


def _access(conn: psycopg.Connection, account_id: uuid.UUID | None,
            session_id: uuid.UUID | None = None) -> set[tuple[str, uuid.UUID | None, str]]:
    rows = conn.execute("SELECT kind, school_id, target, detail FROM zhurnal_access(%s, %s)",
                        (account_id, session_id)).fetchall()
    return {(kind, school, target if detail is None else detail)
            for kind, school, target, detail in rows}


def _setting(conn: psycopg.Connection) -> set[uuid.UUID]:
    return {r[0] for r in conn.execute("SELECT unnest(zhurnal_school_ids())")}


def test_with_only_the_account_set_no_row_of_any_school_is_visible(
    app_conn: psycopg.Connection, schools: TwoSchools, account_of,
) -> None:
    # given only the account of school A's teacher set (no school): no self policy remains
    _set_account(app_conn, account_of(schools.a.id, schools.a.people["teacher"]))
    # when every tenant table is read
    counts = {table: _count(app_conn, table) for table in _tenant_tables(app_conn)}
    # then nothing is visible, the viewer's own person row included
    assert {t: n for t, n in counts.items() if n} == {}


def test_the_access_function_finds_the_viewers_persons_roles_and_relations_only(
    app_conn: psycopg.Connection, owner_conn: psycopg.Connection, schools: TwoSchools,
    account_of,
) -> None:
    # given school A's teacher, and what the owner knows about them
    teacher = schools.a.people["teacher"]
    account = account_of(schools.a.id, teacher)
    roles = {r[0] for r in owner_conn.execute(
        "SELECT role::text FROM person_roles WHERE school_id = %s AND person_id = %s",
        (schools.a.id, teacher))}
    groups = {r[0] for r in owner_conn.execute(
        "SELECT group_id FROM teacher_assignments WHERE school_id = %s AND teacher_id = %s",
        (schools.a.id, teacher))}
    # when the application role (no school set) asks the access function
    found = _access(app_conn, account)
    # then it returns the account, the one person, its roles and the groups taught, nothing
    # of school B, and the transaction now sees school A only
    login = owner_conn.execute("SELECT login FROM accounts WHERE id = %s",
                               (account,)).fetchone()[0]
    assert ("account", None, login) in found
    assert {(s, t) for k, s, t in found if k == "person"} == {(schools.a.id, teacher)}
    assert {t for k, s, t in found if k == "role"} == roles and roles
    assert {t for k, s, t in found if k == "taught_group_ids"} == groups and groups
    assert {s for k, s, t in found if s is not None} == {schools.a.id}
    assert _setting(app_conn) == {schools.a.id}
    assert _ids(app_conn, "persons", "school_id = %s", (schools.b.id,)) == set()
    assert teacher in _ids(app_conn, "persons")


def test_the_access_function_fails_closed_for_an_unknown_or_inactive_account(
    app_conn: psycopg.Connection, owner_conn: psycopg.Connection, schools: TwoSchools,
    account_of,
) -> None:
    # given a transaction that had school B set, and school A's teacher's account deactivated
    account = account_of(schools.a.id, schools.a.people["teacher"])
    owner_conn.execute("UPDATE accounts SET is_active = false WHERE id = %s", (account,))
    owner_conn.commit()
    _set_schools(app_conn, schools.b.id)
    try:
        # when the function is asked for that account, for an unknown one, for a dead session
        inactive = _access(app_conn, account)
        unknown = _access(app_conn, uuid.uuid4())
    finally:
        owner_conn.execute("UPDATE accounts SET is_active = true WHERE id = %s", (account,))
        owner_conn.commit()
    live_account = account_of(schools.a.id, schools.a.people["student"])
    dead_session = _access(app_conn, live_account, uuid.uuid4())
    # then no rows, and the setting is cleared: not even school B stays visible
    assert (inactive, unknown, dead_session) == (set(), set(), set())
    assert _setting(app_conn) == set()
    assert _count(app_conn, "persons") == 0


def test_the_access_function_works_when_its_owner_is_subject_to_rls(
    owner_conn: psycopg.Connection, schools: TwoSchools, account_of,
) -> None:
    # given the function owned by a role without superuser or BYPASSRLS, as on a managed
    # PostgreSQL (here the tests' owner is a superuser, whom RLS never applies to); all of it
    # inside the owner's transaction, which the fixture rolls back
    teacher = schools.a.people["teacher"]
    account = account_of(schools.a.id, teacher)
    probe = f"zhurnal_probe_{uuid.uuid4().hex[:8]}"
    owner_conn.execute(f"CREATE ROLE {probe} NOSUPERUSER NOBYPASSRLS")
    owner_conn.execute(f"""GRANT SELECT ON accounts, refresh_tokens, persons, person_roles,
        officer_roles, municipalities, schools, teacher_assignments, lessons, classes,
        guardianships TO {probe}""")
    owner_conn.execute(f"ALTER FUNCTION zhurnal_access(uuid, uuid) OWNER TO {probe}")
    owner_conn.execute(f"SET LOCAL ROLE {probe}")
    premise = _count(owner_conn, "persons")  # RLS applies to it: no school set, no rows
    owner_conn.execute("RESET ROLE")
    owner_conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
    # when the application role asks it for school A's teacher
    found = _access(owner_conn, account)
    # then it still finds the teacher's person and roles, and scopes the transaction to A
    assert premise == 0
    assert {(s, t) for k, s, t in found if k == "person"} == {(schools.a.id, teacher)}
    assert {t for k, s, t in found if k == "role"}
    assert _setting(owner_conn) == {schools.a.id}


def test_the_token_function_fails_closed_for_an_unknown_token(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given a transaction that had school B set
    _set_schools(app_conn, schools.b.id)
    # when an unknown token's hash is asked for
    rows = app_conn.execute("SELECT * FROM zhurnal_token_access(%s)",
                            (b"\x00" * 32,)).fetchall()
    # then no rows, and the setting is cleared
    assert rows == []
    assert _setting(app_conn) == set()
    assert _count(app_conn, "persons") == 0


def test_the_officer_role_may_not_call_the_access_function(
    app_conn: psycopg.Connection, schools: TwoSchools, account_of,
) -> None:
    # given a transaction under the officer role
    account = account_of(schools.a.id, schools.a.people["teacher"])
    app_conn.execute(f"SET LOCAL ROLE {OFFICER_ROLE}")
    # when it calls the access function, then it is refused
    with pytest.raises(errors.InsufficientPrivilege):
        _access(app_conn, account)


# --- login and officer roles -----------------------------------------------------------------


def test_the_login_function_returns_the_hash_the_role_cannot_select(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given the application role with no setting
    # when it asks the login function for a login
    rows = app_conn.execute(
        "SELECT account_id, password_hash, is_active FROM zhurnal_login_lookup(%s)",
        (schools.a.logins["teacher"],),
    ).fetchall()
    # then it gets that account's hash
    assert len(rows) == 1
    assert rows[0][1]
    assert rows[0][2] is True
    # but selecting the column directly is refused
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("SELECT password_hash FROM accounts")


def test_the_officer_role_counts_marks_but_cannot_read_names(
    app_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given a transaction as the officer role with school A set
    _set_schools(app_conn, schools.a.id)
    app_conn.execute(f"SET LOCAL ROLE {OFFICER_ROLE}")
    # when it counts marks
    marks = app_conn.execute("SELECT count(*) FROM marks").fetchone()[0]
    # then it may
    assert marks >= 0
    # but reading names is refused
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("SELECT last_name FROM persons")


def test_the_officer_role_can_count_the_roles_of_a_school(
    app_conn: psycopg.Connection, owner_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    # given a transaction as the officer role with school A set
    expected = owner_conn.execute(
        "SELECT count(*) FROM person_roles WHERE school_id = %s AND role = 'teacher'",
        (schools.a.id,),
    ).fetchone()[0]
    _set_schools(app_conn, schools.a.id)
    app_conn.execute(f"SET LOCAL ROLE {OFFICER_ROLE}")
    # when it counts the teachers of the school (an aggregate, no names)
    teachers = app_conn.execute(
        "SELECT count(*) FROM person_roles WHERE role = 'teacher'").fetchone()[0]
    # then it gets the number
    assert teachers == expected


# --- every tenant table, on rows made here ---------------------------------------------------


def _fillable_columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str]]:
    """(name, SQL type, first enum label or '') of the columns an INSERT must give."""
    return conn.execute("""
        SELECT a.attname, format_type(a.atttypid, a.atttypmod),
               COALESCE((SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = a.atttypid
                          ORDER BY e.enumsortorder LIMIT 1), '')
          FROM pg_attribute a
         WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attgenerated = '' AND a.attidentity = ''
           AND (a.attname IN ('school_id', 'id') OR (a.attnotnull AND NOT a.atthasdef))
         ORDER BY a.attnum
    """, (f"public.{table}",)).fetchall()


def _value(name: str, sql_type: str, enum_label: str, school_id: uuid.UUID, n: int) -> str:
    """A text literal of the column's type; unique per call where a key might need it."""
    if name == "school_id":
        return str(school_id)
    if enum_label:
        return enum_label
    if sql_type.endswith("[]"):
        return "{}"
    base = sql_type.split("(")[0]
    literals = {
        "uuid": str(uuid.uuid4()), "smallint": str(n), "integer": str(n), "bigint": str(n),
        "numeric": "1", "real": "1", "double precision": "1", "boolean": "false",
        "date": "2024-09-02", "time without time zone": "08:00",
        "timestamp with time zone": "2024-09-02 08:00+09",
        "timestamp without time zone": "2024-09-02 08:00", "interval": "1 day",
        "jsonb": "{}", "json": "{}", "bytea": "\\x00", "inet": "127.0.0.1",
        "daterange": "[2024-09-01,2025-06-01)",
    }
    if base in literals:
        return literals[base]
    assert base in ("text", "character varying", "character", "citext"), (name, sql_type)
    width = int(sql_type.split("(")[1].rstrip(")")) if "(" in sql_type else 12
    return uuid.uuid4().hex[:width]


def _insert_made_up_row(conn: psycopg.Connection, table: str, school_id: uuid.UUID,
                        columns: list[tuple[str, str, str]], n: int) -> None:
    names = ", ".join(c[0] for c in columns)
    casts = ", ".join(f"%s::{c[1]}" for c in columns)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({casts})",
                 tuple(_value(*c, school_id, n) for c in columns))


def test_every_tenant_table_hides_and_refuses_rows_of_another_school(
    owner_conn: psycopg.Connection, schools: TwoSchools,
) -> None:
    """Guards against a policy that lets rows through, e.g. `USING (true OR school_id = …)`."""
    # given, in a transaction rolled back at the end, one made-up row of each school in every
    # tenant table (as the superuser owner, with foreign keys, triggers and CHECKs out of the
    # way: only the policies are under test, and no earlier test has to leave rows behind)
    conn = owner_conn
    a, b = schools.a.id, schools.b.id
    conn.execute("SET LOCAL session_replication_role = replica")
    tables = _tenant_tables(conn)
    assert len(tables) > 20
    regclasses = [f"public.{t}" for t in tables]
    for (table, constraint) in conn.execute("""
        SELECT conrelid::regclass::text, conname FROM pg_constraint
         WHERE contype IN ('c', 'x', 'u') AND conrelid = ANY(%s::regclass[])
    """, (regclasses,)).fetchall():
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{constraint}" CASCADE')
    for (index,) in conn.execute("""
        SELECT indexrelid::regclass::text FROM pg_index
         WHERE indisunique AND NOT indisprimary AND indrelid = ANY(%s::regclass[])
    """, (regclasses,)).fetchall():
        conn.execute(f"DROP INDEX {index}")
    columns = {t: _fillable_columns(conn, t) for t in tables}
    counter = iter(range(10_000, 20_000))
    for table in tables:
        for school in (a, b):
            _insert_made_up_row(conn, table, school, columns[table], next(counter))
    # when the application role works under school A's scope
    conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
    _set_schools(conn, a)
    seen = {t: dict(conn.execute(f"SELECT school_id, count(*) FROM {t} GROUP BY 1").fetchall())
            for t in tables}
    refused: dict[str, str] = {}
    for table in tables:
        for school in (a, b):
            try:
                with conn.transaction():
                    _insert_made_up_row(conn, table, school, columns[table], next(counter))
            except errors.InsufficientPrivilege as e:
                refused[f"{table} for {'A' if school == a else 'B'}"] = str(e).split(" for ")[0]
    # then every table shows A's rows and none of B's
    assert {t: set(by_school) for t, by_school in seen.items() if set(by_school) != {a}} == {}
    # and a row for B is refused by the policy in every table, while one for A goes in
    assert refused == {
        f"{t} for B": "new row violates row-level security policy" for t in tables
    }
