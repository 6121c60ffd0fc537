"""The tenancy rules, proved from the PostgreSQL catalog rather than from the models.

Every check reads pg_class, pg_constraint, pg_index, pg_policy and information_schema, so a
table added by a later migration (or by hand) is held to the same rules: a table with a
`school_id` column is a tenant table and must carry RLS and Citus-shaped keys; a table without
one must be on the explicit allow-list of global tables and hold no personal data.

Each rule is a function returning a list of violations (empty = the rule holds), so the tests
can show both that the real schema passes and that a bad table is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import psycopg
import pytest

from db.settings import APP_ROLE, OFFICER_ROLE

GLOBAL_TABLES = frozenset({
    "accounts", "api_tokens", "refresh_tokens", "officer_roles", "regions", "municipalities",
    "schools", "grading_templates", "grading_template_values", "alembic_version",
    # Failed logins for rate limiting (resolvers/auth/ratelimit.py): a login string and an address.
    "login_attempts",
    # When an account's access context last changed (migration 0018): an account id and a
    # number from a sequence.
    "access_stamps",
})

PERSONAL_COLUMN = re.compile(
    r"last_name|first_name|middle_name|birth_date|phone|e_?mail|address"
)
PERSONAL_PERSON_COLUMNS = ("last_name", "first_name", "middle_name", "birth_date")
FREE_TEXT_ABOUT_STUDENTS = (
    ("marks", "comment"), ("grades", "comment"), ("grades", "deferred_reason"),
    ("attendance", "excuse_reason"),
)
# Facts about one person that officers see only as counts (zhurnal_attendance_counts): a
# student's absences and illnesses, the reason a teacher was replaced.
PERSONAL_FACTS = (
    ("attendance", "kind"), ("attendance", "late_minutes"), ("lessons", "substitution_reason"),
)

ALL_COMMANDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
POLICY_COMMANDS = {
    "r": {"SELECT"}, "a": {"INSERT"}, "w": {"UPDATE"}, "d": {"DELETE"}, "*": set(ALL_COMMANDS),
}

Violations = list[str]

# The one tenant expression (db/rls.py tenant_policy) as pg_get_expr prints it back.
TENANT_EXPRESSION = "(school_id = ANY (zhurnal_school_ids()))"


# --- reading the catalog ---------------------------------------------------------------------


def _rows(conn: psycopg.Connection, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def tables(conn: psycopg.Connection) -> list[str]:
    """Every ordinary or partitioned table in schema public."""
    return [r[0] for r in _rows(conn, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname
    """)]


def tenant_tables(conn: psycopg.Connection) -> list[str]:
    """Every table in public with a `school_id` column (alembic_version is never one)."""
    return [r[0] for r in _rows(conn, """
        SELECT c.relname
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND a.attname = 'school_id' AND NOT a.attisdropped
           AND c.relname <> 'alembic_version'
         ORDER BY c.relname
    """)]


def _attnums(conn: psycopg.Connection, table: str) -> dict[int, str]:
    return {r[0]: r[1] for r in _rows(conn, """
        SELECT attnum, attname FROM pg_attribute
         WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
    """, (f"public.{table}",))}


# --- the rules -------------------------------------------------------------------------------


def rls_violations(conn: psycopg.Connection) -> Violations:
    """RLS enabled and forced; policies for every command; writes checked; keyed on school_id."""
    out: Violations = []
    for table in tenant_tables(conn):
        enabled, forced = _rows(conn, """
            SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass
        """, (f"public.{table}",))[0]
        if not enabled:
            out.append(f"{table}: row level security is not enabled")
        if not forced:
            out.append(f"{table}: row level security is not forced")
        policies = _rows(conn, """
            SELECT polname, polcmd::text, polpermissive,
                   pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)
              FROM pg_policy WHERE polrelid = %s::regclass ORDER BY polname
        """, (f"public.{table}",))
        covered: set[str] = set()
        for name, cmd, permissive, using, check in policies:
            if permissive:
                covered |= POLICY_COMMANDS[cmd]
            if cmd in ("*", "a", "w") and check is None:
                out.append(f"{table}.{name}: applies to writes but has no WITH CHECK")
            for label, expr in (("USING", using), ("WITH CHECK", check)):
                if expr is None or expr == TENANT_EXPRESSION:
                    continue
                if not re.search(r"\bschool_id\b", expr):
                    out.append(f"{table}.{name}: {label} ({expr}) does not reference school_id")
                elif "zhurnal_school_ids()" not in expr:
                    out.append(
                        f"{table}.{name}: {label} ({expr}) does not read zhurnal_school_ids()"
                    )
                else:
                    # Mentioning both is not enough: `true OR school_id = ANY (…)` does too.
                    out.append(f"{table}.{name}: {label} ({expr}) is not {TENANT_EXPRESSION}")
        for missing in sorted(ALL_COMMANDS - covered):
            out.append(f"{table}: no permissive tenant policy covers {missing}")
    return out


def key_violations(conn: psycopg.Connection) -> Violations:
    """PK (school_id, id); uniques include school_id; every index leads with it."""
    out: Violations = []
    for table in tenant_tables(conn):
        cols = _attnums(conn, table)
        pks = _rows(conn, """
            SELECT conkey FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'
        """, (f"public.{table}",))
        if not pks:
            out.append(f"{table}: no primary key")
        else:
            pk = [cols[n] for n in pks[0][0]]
            if pk != ["school_id", "id"]:
                out.append(f"{table}: primary key is ({', '.join(pk)}), not (school_id, id)")
        for name, contype, conkey in _rows(conn, """
            SELECT conname, contype::text, conkey FROM pg_constraint
             WHERE conrelid = %s::regclass AND contype IN ('u', 'x')
        """, (f"public.{table}",)):
            names = [cols.get(n, "<expr>") for n in conkey or []]
            if "school_id" not in names:
                kind = "unique" if contype == "u" else "exclusion"
                out.append(f"{table}: {kind} constraint {name} ({', '.join(names)}) "
                           "lacks school_id")
        for name, unique, keys in _rows(conn, """
            SELECT i.indexrelid::regclass::text, i.indisunique,
                   (i.indkey::int2[])[0:i.indnkeyatts - 1]
              FROM pg_index i WHERE i.indrelid = %s::regclass
        """, (f"public.{table}",)):
            names = [cols.get(n, "<expr>") for n in keys]
            if unique and "school_id" not in names:
                out.append(f"{table}: unique index {name} ({', '.join(names)}) lacks school_id")
            if not names or names[0] != "school_id":
                out.append(f"{table}: index {name} ({', '.join(names)}) "
                           "does not lead with school_id")
    return out


def foreign_key_violations(conn: psycopg.Connection) -> Violations:
    """Tenant-to-tenant keys map school_id to school_id; no key from global to tenant."""
    out: Violations = []
    tenants = set(tenant_tables(conn))
    for name, src, dst, conkey, confkey in _rows(conn, """
        SELECT con.conname, src.relname, dst.relname, con.conkey, con.confkey
          FROM pg_constraint con
          JOIN pg_class src ON src.oid = con.conrelid
          JOIN pg_class dst ON dst.oid = con.confrelid
          JOIN pg_namespace n ON n.oid = src.relnamespace
         WHERE con.contype = 'f' AND n.nspname = 'public'
         ORDER BY src.relname, con.conname
    """):
        if src not in tenants and dst in tenants:
            out.append(f"{src}: foreign key {name} from a global table to tenant table {dst}")
            continue
        if src not in tenants or dst not in tenants:
            continue
        src_cols, dst_cols = _attnums(conn, src), _attnums(conn, dst)
        pairs = [(src_cols[a], dst_cols[b]) for a, b in zip(conkey, confkey, strict=True)]
        if ("school_id", "school_id") not in pairs:
            shown = ", ".join(f"{a}->{b}" for a, b in pairs)
            out.append(f"{src}: foreign key {name} to {dst} ({shown}) "
                       "does not map school_id to school_id")
    return out


def id_type_violations(conn: psycopg.Connection) -> Violations:
    """The `id` of every tenant table is a uuid."""
    out: Violations = []
    for table in tenant_tables(conn):
        found = _rows(conn, """
            SELECT data_type FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = %s AND column_name = 'id'
        """, (table,))
        if not found:
            out.append(f"{table}: has no id column")
        elif found[0][0] != "uuid":
            out.append(f"{table}: id is {found[0][0]}, not uuid")
    return out


def global_table_violations(conn: psycopg.Connection) -> Violations:
    """A table without school_id is on the allow-list and holds no personal data."""
    out: Violations = []
    tenants = set(tenant_tables(conn))
    for table in tables(conn):
        if table in tenants:
            continue
        if table not in GLOBAL_TABLES:
            out.append(f"{table}: has no school_id and is not on the list of global tables")
        for (column,) in _rows(conn, """
            SELECT column_name FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position
        """, (table,)):
            if PERSONAL_COLUMN.search(column):
                out.append(f"{table}: global table has personal-data column {column}")
    return out


def view_violations(conn: psycopg.Connection) -> Violations:
    """Views run with the invoker's rights, so RLS applies through them."""
    out: Violations = []
    for name, options in _rows(conn, """
        SELECT c.relname, c.reloptions FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'v' ORDER BY c.relname
    """):
        opts = {o.split("=", 1)[0]: o.split("=", 1)[1].lower() for o in options or []}
        if opts.get("security_invoker") not in {"true", "on", "1", "yes"}:
            out.append(f"{name}: view is not security_invoker")
    # A materialized view cannot carry RLS: the request roles must not read one.
    for name, role in _rows(conn, """
        SELECT c.relname, r.rolname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN pg_roles r
         WHERE n.nspname = 'public' AND c.relkind = 'm' AND r.rolname IN (%s, %s)
           AND has_table_privilege(r.oid, c.oid, 'SELECT')
    """, (APP_ROLE, OFFICER_ROLE)):
        out.append(f"{name}: materialized view (no RLS) is readable by {role}")
    return out


def role_violations(conn: psycopg.Connection) -> Violations:
    """Request roles are unprivileged, own nothing, cannot read secrets or rewrite history."""
    out: Violations = []
    for role in (APP_ROLE, OFFICER_ROLE):
        found = _rows(conn, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                      (role,))
        if not found:
            out.append(f"{role}: role does not exist")
            continue
        superuser, bypass = found[0]
        if superuser:
            out.append(f"{role}: is a superuser")
        if bypass:
            out.append(f"{role}: has BYPASSRLS")
    for (table,) in _rows(conn, """
        SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s
    """, (APP_ROLE,)):
        out.append(f"{table}: owned by {APP_ROLE}")
    # Membership in an owner's role would hand the owner's rights (and RLS exemption) over.
    for (table, owner) in _rows(conn, """
        SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
           AND pg_has_role(%s, c.relowner, 'MEMBER')
    """, (APP_ROLE,)):
        out.append(f"{table}: {APP_ROLE} is a member of its owner {owner}")
    checks = [
        (f"has_schema_privilege('{APP_ROLE}', 'public', 'CREATE')",
         f"{APP_ROLE} can CREATE in schema public (and would own what it creates)"),
        (f"has_column_privilege('{APP_ROLE}', 'public.accounts', 'password_hash', 'SELECT')",
         f"{APP_ROLE} can SELECT accounts.password_hash"),
        *(
            (f"has_table_privilege('{APP_ROLE}', 'public.audit_log', '{priv}')",
             f"{APP_ROLE} can {priv} audit_log")
            for priv in ("UPDATE", "DELETE", "TRUNCATE")
        ),
        *(
            (f"has_column_privilege('{OFFICER_ROLE}', 'public.persons', '{col}', 'SELECT')",
             f"{OFFICER_ROLE} can SELECT persons.{col}")
            for col in PERSONAL_PERSON_COLUMNS
        ),
        (f"has_table_privilege('{OFFICER_ROLE}', 'public.audit_log', 'SELECT')",
         f"{OFFICER_ROLE} can SELECT audit_log (before/after hold personal data)"),
        *(
            (f"has_column_privilege('{OFFICER_ROLE}', 'public.{table}', '{col}', 'SELECT')",
             f"{OFFICER_ROLE} can SELECT {table}.{col} (free text about a student)")
            for table, col in FREE_TEXT_ABOUT_STUDENTS
        ),
        *(
            (f"has_column_privilege('{OFFICER_ROLE}', 'public.{table}', '{col}', 'SELECT')",
             f"{OFFICER_ROLE} can SELECT {table}.{col} (a fact about one person)")
            for table, col in PERSONAL_FACTS
        ),
    ]
    for expr, message in checks:
        if conn.execute(f"SELECT {expr}").fetchone()[0]:
            out.append(message)
    return out


RULES: dict[str, Callable[[psycopg.Connection], Violations]] = {
    "rls": rls_violations,
    "keys": key_violations,
    "foreign_keys": foreign_key_violations,
    "id_type": id_type_violations,
    "global_tables": global_table_violations,
    "views": view_violations,
    "roles": role_violations,
}


def tenancy_violations(conn: psycopg.Connection) -> Violations:
    """Every rule at once."""
    return [v for rule in RULES.values() for v in rule(conn)]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture()
def scratch(owner_conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """The owner's connection inside a transaction that is always rolled back."""
    yield owner_conn
    owner_conn.rollback()


# --- the real schema -------------------------------------------------------------------------


def test_the_catalog_finds_the_tenant_tables_of_the_domain(owner_conn: psycopg.Connection) -> None:
    # given a migrated database
    # when the tenant tables are read from the catalog
    found = set(tenant_tables(owner_conn))
    # then the discovery is not vacuous: the core tables are there, the global ones are not
    assert {"persons", "person_roles", "classes", "marks", "audit_log", "grades"} <= found
    assert not found & GLOBAL_TABLES


@pytest.mark.parametrize("rule", list(RULES))
def test_the_migrated_schema_satisfies_the_rule(owner_conn: psycopg.Connection, rule: str) -> None:
    # given a migrated database
    # when the rule is checked against the catalog
    violations = RULES[rule](owner_conn)
    # then nothing violates it
    assert violations == []


def test_every_tenant_table_is_under_forced_rls(owner_conn: psycopg.Connection) -> None:
    # given the tenant tables of the catalog
    names = tenant_tables(owner_conn)
    # when their RLS flags are read
    flags = _rows(owner_conn, """
        SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s)
    """, (names,))
    # then every one is enabled and forced
    assert len(flags) == len(names)
    assert [n for n, enabled, forced in flags if not (enabled and forced)] == []


def test_every_tenant_table_has_the_tenant_policy_and_no_other(
    owner_conn: psycopg.Connection,
) -> None:
    # given every policy on a table with school_id (PostgreSQL ORs permissive policies, so any
    # second one widens what a row may be read by, and keeps indexes from serving the school)
    # when they are read from pg_policy
    found = _rows(owner_conn, """
        SELECT polrelid::regclass::text, polname FROM pg_policy ORDER BY 1, 2
    """)
    # then each tenant table has exactly one, `tenant` (migration 0006 dropped the self
    # policies: the access context reads the viewer's rows through zhurnal_access())
    assert sorted(found) == sorted((t, "tenant") for t in tenant_tables(owner_conn))


# --- the checks can fail ---------------------------------------------------------------------


def test_a_new_table_without_rls_is_reported(scratch: psycopg.Connection) -> None:
    # given a table with school_id and a proper key, but no RLS and no policy
    scratch.execute("""
        CREATE TABLE bad_notes (
          school_id uuid NOT NULL REFERENCES schools(id), id uuid NOT NULL,
          body text, PRIMARY KEY (school_id, id))
    """)
    # when the rules are checked
    violations = tenancy_violations(scratch)
    # then the table is reported as not enabled, not forced and uncovered
    assert "bad_notes: row level security is not enabled" in violations
    assert "bad_notes: row level security is not forced" in violations
    assert "bad_notes: no permissive tenant policy covers SELECT" in violations
    assert all(v.startswith("bad_notes") for v in violations)


def test_a_policy_without_with_check_or_school_id_is_reported(
    scratch: psycopg.Connection,
) -> None:
    # given a table under RLS whose policy lets writes through and ignores the school
    scratch.execute("""
        CREATE TABLE bad_notes (
          school_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (school_id, id));
        ALTER TABLE bad_notes ENABLE ROW LEVEL SECURITY;
        ALTER TABLE bad_notes FORCE ROW LEVEL SECURITY;
        CREATE POLICY open ON bad_notes FOR ALL USING (true);
        CREATE POLICY own_person ON bad_notes FOR ALL USING (school_id IS NOT NULL)
          WITH CHECK (school_id IS NOT NULL);
    """)
    # when the RLS rule is checked
    violations = rls_violations(scratch)
    # then the missing WITH CHECK, the missing school_id and the weak expression are reported
    assert "bad_notes.open: applies to writes but has no WITH CHECK" in violations
    assert "bad_notes.open: USING (true) does not reference school_id" in violations
    assert any(v.startswith("bad_notes.own_person: USING") and "zhurnal_school_ids" in v
               for v in violations)


def test_a_policy_that_names_the_school_but_lets_every_row_through_is_reported(
    scratch: psycopg.Connection,
) -> None:
    """Guards against `USING (true OR school_id = ANY (…))`, which mentions both names."""
    # given a tenant table whose policy reads the school setting but ORs it with true
    scratch.execute("""
        CREATE TABLE bad_notes (
          school_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (school_id, id));
        ALTER TABLE bad_notes ENABLE ROW LEVEL SECURITY;
        ALTER TABLE bad_notes FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON bad_notes FOR ALL
          USING (true OR school_id = ANY (zhurnal_school_ids()))
          WITH CHECK (school_id = ANY (zhurnal_school_ids()));
    """)
    # when the RLS rule is checked
    violations = rls_violations(scratch)
    # then the USING expression is reported as not the tenant expression, WITH CHECK is not
    assert [v for v in violations if v.startswith("bad_notes")] == [
        f"bad_notes.tenant: USING ((true OR (school_id = ANY (zhurnal_school_ids())))) "
        f"is not {TENANT_EXPRESSION}"
    ]


def test_a_key_that_does_not_lead_with_school_id_is_reported(
    scratch: psycopg.Connection,
) -> None:
    # given a tenant table keyed on (id, school_id) with a global unique and a stray index
    scratch.execute("""
        CREATE TABLE bad_notes (
          school_id uuid NOT NULL, id bigint NOT NULL, code text UNIQUE, body text,
          PRIMARY KEY (id, school_id));
        CREATE INDEX bad_notes_body ON bad_notes (body, school_id);
        CREATE UNIQUE INDEX bad_notes_lower_code ON bad_notes (lower(code));
    """)
    # when the key and id rules are checked
    violations = key_violations(scratch) + id_type_violations(scratch)
    # then each is reported
    assert "bad_notes: primary key is (id, school_id), not (school_id, id)" in violations
    assert "bad_notes: unique constraint bad_notes_code_key (code) lacks school_id" in violations
    assert "bad_notes: index bad_notes_body (body, school_id) does not lead with school_id" \
        in violations
    assert "bad_notes: unique index bad_notes_lower_code (<expr>) lacks school_id" in violations
    assert "bad_notes: id is bigint, not uuid" in violations


def test_a_foreign_key_that_skips_school_id_is_reported(scratch: psycopg.Connection) -> None:
    # given a tenant table pointing at persons by id alone, and one pairing school_id wrongly
    scratch.execute("""
        CREATE UNIQUE INDEX persons_bad_id ON persons (id);
        CREATE TABLE bad_notes (
          school_id uuid NOT NULL, id uuid NOT NULL, person_id uuid REFERENCES persons(id),
          other_school uuid, PRIMARY KEY (school_id, id),
          FOREIGN KEY (other_school, person_id) REFERENCES persons (school_id, id));
    """)
    # when the foreign-key rule is checked
    violations = foreign_key_violations(scratch)
    # then both keys are reported
    assert any("bad_notes_person_id_fkey" in v and "school_id to school_id" in v
               for v in violations)
    assert any("other_school->school_id" in v for v in violations)


def test_an_unlisted_global_table_with_personal_data_is_reported(
    scratch: psycopg.Connection,
) -> None:
    # given a table without school_id that stores names, and a listed one gaining an e-mail
    scratch.execute("""
        CREATE TABLE contacts (id uuid PRIMARY KEY, last_name text, phone text);
        ALTER TABLE accounts ADD COLUMN email text;
        CREATE TABLE global_notes (id uuid PRIMARY KEY,
                                   person_school uuid, person_id uuid,
                                   FOREIGN KEY (person_school, person_id)
                                     REFERENCES persons (school_id, id));
    """)
    # when the global-table and foreign-key rules are checked
    violations = global_table_violations(scratch) + foreign_key_violations(scratch)
    # then the table, its columns and the new column are reported
    assert "contacts: has no school_id and is not on the list of global tables" in violations
    assert "contacts: global table has personal-data column last_name" in violations
    assert "contacts: global table has personal-data column phone" in violations
    assert "accounts: global table has personal-data column email" in violations
    assert any(v.startswith("global_notes: foreign key") for v in violations)


def test_a_view_without_security_invoker_is_reported(scratch: psycopg.Connection) -> None:
    # given a definer-rights view over persons and an invoker-rights one
    scratch.execute("""
        CREATE VIEW bad_people AS SELECT school_id, id FROM persons;
        CREATE VIEW good_people WITH (security_invoker = true) AS SELECT school_id, id FROM persons;
    """)
    # when the view rule is checked
    violations = view_violations(scratch)
    # then only the definer-rights view is reported
    assert violations == ["bad_people: view is not security_invoker"]


def test_privileges_granted_to_the_request_roles_are_reported(
    scratch: psycopg.Connection,
) -> None:
    # given grants that break the rules (rolled back afterwards)
    scratch.execute(f"""
        GRANT CREATE ON SCHEMA public TO {APP_ROLE};
        GRANT SELECT (password_hash) ON accounts TO {APP_ROLE};
        GRANT UPDATE ON audit_log TO {APP_ROLE};
        GRANT SELECT (last_name) ON persons TO {OFFICER_ROLE};
    """)
    # when the role rule is checked
    violations = role_violations(scratch)
    # then each grant is reported
    assert f"{APP_ROLE} can SELECT accounts.password_hash" in violations
    assert any(v.startswith(f"{APP_ROLE} can CREATE in schema public") for v in violations)
    assert f"{APP_ROLE} can UPDATE audit_log" in violations
    assert f"{OFFICER_ROLE} can SELECT persons.last_name" in violations


def test_the_application_role_is_neither_superuser_nor_rls_exempt(
    owner_conn: psycopg.Connection,
) -> None:
    # given the application role
    # when its attributes are read
    row = owner_conn.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
    ).fetchone()
    # then it is neither a superuser nor exempt from RLS
    assert row == (False, False)


def test_the_application_role_owns_no_table(owner_conn: psycopg.Connection) -> None:
    # given the tables in public
    # when their owners are read
    owned = owner_conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
        (APP_ROLE,),
    ).fetchall()
    # then none belongs to the application role
    assert owned == []

