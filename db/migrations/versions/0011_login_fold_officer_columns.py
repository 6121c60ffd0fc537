"""Logins in one normalised form; officers lose the last personal columns they could read.

Revision ID: 0011
Revises: 0010

Logins. The login lookup lower-cased in PostgreSQL and the rate limit in Python, and the two
disagree (`İ`, `ß`, the Kelvin sign…): a variant of a login reached the account with a failure
counter of its own. Every path now normalises in Python (db/logins.py: NFKC, then case folding)
and the lookup compares exactly, so the unique index on `accounts.login` serves it. Existing
logins and rate-limit rows are normalised here with a copy of that function (a migration keeps
the code it ran). Two accounts whose logins become equal are not merged: the migration stops
and names them, for an operator to rename one. The check constraint `login = lower(login)`
followed the database's collation, which may lower letters that case folding leaves alone
(Cherokee); it now says what holds whatever the collation: no ASCII capitals.

Officers. The officer role still read `lessons.substitution_reason` (free text about a
teacher, e.g. an illness) and `attendance.kind`/`late_minutes` (a student's absences and
illnesses). It now has no privilege on them; the aggregates count attendance through
`zhurnal_attendance_counts`, which returns counts per lesson and never a student.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"
OFFICER_ROLE = "zhurnal_officer"

LOOKUP = """
CREATE OR REPLACE FUNCTION zhurnal_login_lookup(p_login text)
RETURNS TABLE (account_id uuid, password_hash text, is_active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, password_hash, is_active FROM accounts WHERE login = {compared}
$$;
"""

ATTENDANCE_COUNTS = f"""
CREATE OR REPLACE FUNCTION zhurnal_attendance_counts(p_lesson_ids uuid[])
RETURNS TABLE (school_id uuid, lesson_id uuid, absent bigint, ill bigint, excused bigint,
               late bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT l.school_id, l.id,
         count(*) FILTER (WHERE a.kind = 'absent'),
         count(*) FILTER (WHERE a.kind = 'ill'),
         count(*) FILTER (WHERE a.kind = 'excused'),
         count(*) FILTER (WHERE a.kind = 'late')
    FROM lessons l
    JOIN attendance a ON a.school_id = l.school_id AND a.lesson_id = l.id
   -- the definer may be exempt from RLS: scope to the request's schools explicitly
   WHERE l.school_id = ANY (zhurnal_school_ids()) AND l.id = ANY (p_lesson_ids)
     -- only members of the group on the day count (a student who left keeps their rows)
     AND EXISTS (SELECT 1 FROM group_memberships gm
                  WHERE gm.school_id = l.school_id AND gm.group_id = l.group_id
                    AND gm.student_id = a.student_id AND gm.starts_on <= l.date
                    AND (gm.ends_on IS NULL OR gm.ends_on >= l.date))
   GROUP BY l.school_id, l.id
$$;
REVOKE ALL ON FUNCTION zhurnal_attendance_counts(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_attendance_counts(uuid[]) TO {APP_ROLE}, {OFFICER_ROLE};
"""

OFFICER_HIDDEN = {
    "lessons": ["substitution_reason"],
    "attendance": ["kind", "late_minutes"],
}


def normalize_login(login: str) -> str:
    """db/logins.py as of this migration."""
    return unicodedata.normalize("NFKC", login.strip()).casefold().strip()


def _grant_columns_except(table: str, hidden: list[str]) -> str:
    excluded = ", ".join(f"'{c}'" for c in hidden)
    return f"""
REVOKE SELECT ON {table} FROM {OFFICER_ROLE};
DO $$
DECLARE cols text;
BEGIN
  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
    FROM information_schema.columns
   WHERE table_schema = 'public' AND table_name = '{table}'
     AND column_name NOT IN ({excluded});
  EXECUTE format('GRANT SELECT (%s) ON {table} TO {OFFICER_ROLE}', cols);
END $$;
"""


def _normalise_logins(conn: sa.Connection) -> None:
    accounts = conn.execute(sa.text("SELECT id, login FROM accounts")).all()
    by_form: dict[str, list[str]] = {}
    for _, login in accounts:
        by_form.setdefault(normalize_login(login), []).append(login)
    clashes = {form: logins for form, logins in by_form.items() if len(logins) > 1}
    if clashes:
        listed = "; ".join(f"{', '.join(map(repr, v))} -> {k!r}" for k, v in clashes.items())
        raise RuntimeError(f"these logins become equal when normalised: {listed}; rename all "
                           "but one (UPDATE accounts SET login = …) and upgrade again")
    for account_id, login in accounts:
        if normalize_login(login) != login:
            conn.execute(sa.text("UPDATE accounts SET login = :login WHERE id = :id"),
                         {"login": normalize_login(login), "id": account_id})
    attempts = conn.execute(sa.text("SELECT DISTINCT login FROM login_attempts")).scalars()
    for login in list(attempts):
        if normalize_login(login)[:200] != login:
            conn.execute(sa.text("UPDATE login_attempts SET login = :new WHERE login = :old"),
                         {"new": normalize_login(login)[:200], "old": login})


def upgrade() -> None:
    op.execute("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_login_lowercase")
    _normalise_logins(op.get_bind())
    op.execute('ALTER TABLE accounts ADD CONSTRAINT ck_accounts_login_folded '
               'CHECK (login = lower(login COLLATE "C"))')
    op.execute(LOOKUP.format(compared="p_login"))
    op.execute(ATTENDANCE_COUNTS)
    for table, hidden in OFFICER_HIDDEN.items():
        op.execute(_grant_columns_except(table, hidden))


def downgrade() -> None:
    for table in OFFICER_HIDDEN:
        op.execute(f"REVOKE SELECT ON {table} FROM {OFFICER_ROLE}")
        op.execute(f"GRANT SELECT ON {table} TO {OFFICER_ROLE}")
    op.execute("DROP FUNCTION zhurnal_attendance_counts(uuid[])")
    op.execute(LOOKUP.format(compared="lower(p_login)"))
    # The logins stay normalised: the old constraint holds for every one of them that the
    # old code could have stored (ASCII), and the old lookup lower-cases its input anyway.
    op.execute("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_login_folded")
    op.execute("ALTER TABLE accounts ADD CONSTRAINT ck_accounts_login_lowercase "
               "CHECK (login = lower(login))")
