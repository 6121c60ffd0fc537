"""Account link codes, and officers kept out of schools.

Revision ID: 0010
Revises: 0009

A school administrator could bind any account of the region to one of their persons by its
login alone. Binding an existing account now takes a one-time code that the administrator
issues for the person and the account's holder redeems while logged in
(`account_link_codes`, a tenant table: the code's SHA-256, its expiry, who redeemed it).

The holder belongs to no school of the code yet, so the application role cannot see the code's
row: `zhurnal_link_code_school(hash)` (SECURITY DEFINER, like `zhurnal_access`) answers which
school holds a live code of this hash, and nothing else; the write itself then runs under RLS.

An officer's account must never belong to a school (a membership takes its requests out of
the officer database role): triggers refuse a person bound to an officer's account and an
officer role for an account bound to a person, whoever writes.

Self-contained: role names and SQL are frozen here, no project code is imported.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"

TABLE_SECURITY = f"""
ALTER TABLE account_link_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_link_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON account_link_codes FOR ALL
  USING (school_id = ANY (zhurnal_school_ids()))
  WITH CHECK (school_id = ANY (zhurnal_school_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON account_link_codes TO {APP_ROLE};
"""

LOOKUP_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zhurnal_link_code_school(p_code_hash bytea) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_saved text := coalesce(current_setting('zhurnal.school_ids', true), '');
  v_school uuid;
BEGIN
  -- the definer is subject to RLS too: open every school for this one lookup, then restore
  PERFORM set_config('zhurnal.school_ids', (SELECT string_agg(s.id::text, ',') FROM schools s),
                     true);
  SELECT c.school_id INTO v_school FROM account_link_codes c
   WHERE c.code_hash = p_code_hash AND c.redeemed_at IS NULL AND c.expires_at > now()
   LIMIT 1;
  PERFORM set_config('zhurnal.school_ids', v_saved, true);
  RETURN v_school;
END $$;
REVOKE ALL ON FUNCTION zhurnal_link_code_school(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_link_code_school(bytea) TO {APP_ROLE};
"""

OFFICER_GUARDS = """
CREATE OR REPLACE FUNCTION zhurnal_person_not_officer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM officer_roles o WHERE o.account_id = NEW.account_id) THEN
    RAISE EXCEPTION 'an officer''s account cannot belong to a school'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_persons_account_not_officer';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER person_account_not_officer BEFORE INSERT OR UPDATE OF account_id ON persons
  FOR EACH ROW WHEN (NEW.account_id IS NOT NULL)
  EXECUTE FUNCTION zhurnal_person_not_officer();

CREATE OR REPLACE FUNCTION zhurnal_officer_not_person() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_saved text := coalesce(current_setting('zhurnal.school_ids', true), '');
  v_found boolean;
BEGIN
  PERFORM set_config('zhurnal.school_ids', (SELECT string_agg(s.id::text, ',') FROM schools s),
                     true);
  SELECT EXISTS (SELECT 1 FROM persons p WHERE p.account_id = NEW.account_id) INTO v_found;
  PERFORM set_config('zhurnal.school_ids', v_saved, true);
  IF v_found THEN
    RAISE EXCEPTION 'an account that belongs to a school cannot get an officer role'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_officer_roles_account_not_person';
  END IF;
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION zhurnal_officer_not_person() FROM PUBLIC;
CREATE TRIGGER officer_account_not_person BEFORE INSERT OR UPDATE OF account_id
  ON officer_roles FOR EACH ROW EXECUTE FUNCTION zhurnal_officer_not_person();
"""


def upgrade() -> None:
    op.create_table('account_link_codes',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_by_account_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('redeemed_by_account_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['accounts.id'], name=op.f('fk_account_link_codes_created_by_account_id_accounts')),
    sa.ForeignKeyConstraint(['redeemed_by_account_id'], ['accounts.id'], name=op.f('fk_account_link_codes_redeemed_by_account_id_accounts')),
    sa.ForeignKeyConstraint(['school_id', 'person_id'], ['persons.school_id', 'persons.id'], name=op.f('fk_account_link_codes_school_id_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_account_link_codes_school_id_schools')),
    sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_account_link_codes')),
    sa.UniqueConstraint('school_id', 'code_hash', name=op.f('uq_account_link_codes_school_id_code_hash'))
    )
    op.execute(TABLE_SECURITY)
    op.execute(LOOKUP_FUNCTION)
    op.execute(OFFICER_GUARDS)


def downgrade() -> None:
    op.execute("DROP TRIGGER officer_account_not_person ON officer_roles")
    op.execute("DROP TRIGGER person_account_not_officer ON persons")
    op.execute("DROP FUNCTION zhurnal_officer_not_person(), zhurnal_person_not_officer()")
    op.execute("DROP FUNCTION zhurnal_link_code_school(bytea)")
    op.drop_table('account_link_codes')
