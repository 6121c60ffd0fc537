"""The fixed cost of a request and writes that do not queue (issue 18): access stamps, and an
audit chain sealed after commit.

Revision ID: 0018
Revises: 0015

**Access stamps.** A server keeps each session's access context between requests and asks the
database, in the statement that opens every transaction, whether it still holds:
`zhurnal_access_cached(account, session, stamp, schools)` checks the account and the login
session as `zhurnal_access` does (a revoked session or a deactivated account is refused on
the very next request, in any process), reads the account's stamp and, when it is the one the
context was built under, sets the RLS scope to the given schools and returns that stamp alone.
Otherwise it returns the new stamp and `zhurnal_access`'s rows. The stamp changes
- when anything the context is built from changes for that account: triggers on persons
  (their account), person_roles, teacher_assignments, lessons (substitutions), classes (class
  teacher), guardianships and officer_roles bump `access_stamps` in the writing transaction, so
  the next request after its commit sees a new stamp;
- every 15 minutes: the relations hold "today" in each school's time zone, and every time
  zone's midnight falls on a quarter hour of UTC;
- when a school's time zone or municipality changes (every account's stamp).

**Audit rows sealed after commit.** The chain trigger used to take a per-school lock and read
the last row for every audit row inserted, so each write of a school waited for the previous
one to commit. Rows are now inserted unsealed (`seq`, `prev_hash`, `hash` null; `occurred_at`
still the server's clock) and `zhurnal_audit_seal()` chains the committed unsealed rows of
each school in a short transaction of its own: one sealer per school at a time (the same
advisory lock, now held only while sealing), writers never wait for it. The hash is the one
0001 defined, so chains written before verify unchanged. The append-only trigger lets a row be
sealed once (seq, prev_hash and hash filled, nothing else changed) and refuses any other
update. docs/audit.md says what a verifier can prove.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = "0017"
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"

ACCESS_STAMPS = """
CREATE SEQUENCE zhurnal_access_stamp;

-- SECURITY DEFINER: the application role has no privilege on access_stamps itself.
CREATE OR REPLACE FUNCTION zhurnal_bump_access(p_accounts uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO access_stamps (account_id, stamp)
  SELECT a, nextval('zhurnal_access_stamp')
    FROM (SELECT DISTINCT a FROM unnest(p_accounts) AS a WHERE a IS NOT NULL) x
   ORDER BY a
  ON CONFLICT (account_id) DO UPDATE SET stamp = EXCLUDED.stamp
$$;
REVOKE ALL ON FUNCTION zhurnal_bump_access(uuid[]) FROM PUBLIC;

-- The accounts of persons of one school. The writer's RLS scope includes the school (it just
-- wrote a row of it); a person deleted in the same statement is gone, but the persons trigger
-- bumps their account itself.
CREATE OR REPLACE FUNCTION zhurnal_bump_persons(p_school uuid, p_persons uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT zhurnal_bump_access(ARRAY(
    SELECT p.account_id FROM persons p
     WHERE p.school_id = p_school AND p.id = ANY (p_persons) AND p.account_id IS NOT NULL))
$$;
REVOKE ALL ON FUNCTION zhurnal_bump_persons(uuid, uuid[]) FROM PUBLIC;

-- A definer too: the writer (the application role) may not call the bump functions itself.
CREATE OR REPLACE FUNCTION zhurnal_access_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  col text := TG_ARGV[0];
  r_old jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  r_new jsonb := CASE WHEN TG_OP IN ('UPDATE', 'INSERT') THEN to_jsonb(NEW) END;
  ids uuid[] := ARRAY[(r_old ->> col)::uuid, (r_new ->> col)::uuid];
  school uuid := coalesce(r_new ->> 'school_id', r_old ->> 'school_id')::uuid;
BEGIN
  IF TG_TABLE_NAME IN ('persons', 'officer_roles') THEN
    PERFORM zhurnal_bump_access(ids);  -- the column is the account itself
  ELSE
    PERFORM zhurnal_bump_persons(school, ids);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_access_changed_everywhere() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE access_stamps SET stamp = nextval('zhurnal_access_stamp');
  RETURN NULL;
END $$;

CREATE TRIGGER access_persons AFTER INSERT OR DELETE OR UPDATE OF account_id ON persons
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('account_id');
CREATE TRIGGER access_person_roles AFTER INSERT OR DELETE OR UPDATE ON person_roles
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('person_id');
CREATE TRIGGER access_teacher_assignments AFTER INSERT OR DELETE OR UPDATE
  ON teacher_assignments
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('teacher_id');
-- Only substitutions: most lessons are written with no actual teacher of their own.
CREATE TRIGGER access_lessons_insert AFTER INSERT ON lessons
  FOR EACH ROW WHEN (NEW.actual_teacher_id IS NOT NULL)
  EXECUTE FUNCTION zhurnal_access_changed('actual_teacher_id');
CREATE TRIGGER access_lessons_delete AFTER DELETE ON lessons
  FOR EACH ROW WHEN (OLD.actual_teacher_id IS NOT NULL)
  EXECUTE FUNCTION zhurnal_access_changed('actual_teacher_id');
CREATE TRIGGER access_lessons_update AFTER UPDATE OF actual_teacher_id, scheduled_teacher_id,
  date, school_id, id ON lessons
  FOR EACH ROW WHEN ((OLD.actual_teacher_id IS NOT NULL OR NEW.actual_teacher_id IS NOT NULL)
    AND (OLD.actual_teacher_id, OLD.scheduled_teacher_id, OLD.date)
        IS DISTINCT FROM (NEW.actual_teacher_id, NEW.scheduled_teacher_id, NEW.date))
  EXECUTE FUNCTION zhurnal_access_changed('actual_teacher_id');
CREATE TRIGGER access_classes AFTER INSERT OR DELETE OR UPDATE OF class_teacher_id ON classes
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('class_teacher_id');
CREATE TRIGGER access_guardianships AFTER INSERT OR DELETE OR UPDATE ON guardianships
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('guardian_id');
CREATE TRIGGER access_officer_roles AFTER INSERT OR DELETE OR UPDATE ON officer_roles
  FOR EACH ROW EXECUTE FUNCTION zhurnal_access_changed('account_id');
CREATE TRIGGER access_schools AFTER UPDATE OF timezone, municipality_id ON schools
  FOR EACH STATEMENT EXECUTE FUNCTION zhurnal_access_changed_everywhere();

CREATE OR REPLACE FUNCTION zhurnal_access_cached(p_account uuid, p_session uuid,
                                                 p_stamp text, p_schools uuid[])
RETURNS TABLE (kind text, school_id uuid, target uuid, detail text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_stamp text;
BEGIN
  -- fail closed: until the session is checked, the transaction sees no school
  PERFORM set_config('zhurnal.school_ids', '', true);
  PERFORM set_config('zhurnal.account_id', coalesce(p_account::text, ''), true);
  IF NOT EXISTS (
      SELECT 1 FROM accounts a
       WHERE a.id = p_account AND a.is_active
         AND (p_session IS NULL OR EXISTS (
               SELECT 1 FROM refresh_tokens r
                WHERE r.id = p_session AND r.account_id = p_account
                  AND r.revoked_at IS NULL AND r.expires_at > now()))) THEN
    RETURN;  -- no rows: anonymous
  END IF;
  -- read before the context is: a change committed after this read gives the next request
  -- another stamp, so a context is never kept past a change it missed
  v_stamp := coalesce((SELECT s.stamp FROM access_stamps s WHERE s.account_id = p_account), 0)
             || '@' || floor(extract(epoch FROM now()) / 900)::bigint;
  RETURN QUERY SELECT 'stamp'::text, NULL::uuid, NULL::uuid, v_stamp;
  IF v_stamp = p_stamp THEN
    PERFORM set_config('zhurnal.school_ids', array_to_string(p_schools, ','), true);
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM zhurnal_access(p_account, p_session);
END $$;
REVOKE ALL ON FUNCTION zhurnal_access_cached(uuid, uuid, text, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_access_cached(uuid, uuid, text, uuid[]) TO {app};
"""

# 0001's trigger body, for the downgrade.
CHAIN_ON_INSERT = """
CREATE OR REPLACE FUNCTION zhurnal_audit_chain() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  -- one writer per school at a time, so every row links to exactly one predecessor
  PERFORM pg_advisory_xact_lock(hashtextextended('zhurnal.audit:' || NEW.school_id::text, 0));
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log
   WHERE school_id = NEW.school_id ORDER BY seq DESC LIMIT 1;
  NEW.seq := COALESCE(last_seq, 0) + 1;
  NEW.prev_hash := last_hash;
  NEW.occurred_at := clock_timestamp();
  NEW.hash := zhurnal_audit_hash(NEW);
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

SEAL_AFTER_COMMIT = """
-- Inserted unsealed: no lock, no lookup; the sealer gives seq, prev_hash and hash.
CREATE OR REPLACE FUNCTION zhurnal_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.seq := NULL;
  NEW.prev_hash := NULL;
  NEW.hash := NULL;
  NEW.occurred_at := clock_timestamp();
  RETURN NEW;
END $$;

-- Append-only, except that an unsealed row is sealed once, with nothing else changed (every
-- column but the three the sealer fills; a column added later must be added here too, as to
-- zhurnal_audit_hash).
CREATE OR REPLACE FUNCTION zhurnal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND (OLD.school_id, OLD.id, OLD.occurred_at, OLD.recorded_at, OLD.actor_account_id,
            OLD.actor_person_id, OLD.actor_token_id, OLD.action, OLD.entity, OLD.entity_id,
            OLD.before, OLD.after, OLD.request_id)
           IS NOT DISTINCT FROM
           (NEW.school_id, NEW.id, NEW.occurred_at, NEW.recorded_at, NEW.actor_account_id,
            NEW.actor_person_id, NEW.actor_token_id, NEW.action, NEW.entity, NEW.entity_id,
            NEW.before, NEW.after, NEW.request_id) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- Chains every committed unsealed row, school by school (one school: p_school), and returns
-- how many it sealed. Run in a transaction of its own after the writers' commits; a sealer
-- that stops half-way rolls back, and the next one seals the same rows.
CREATE OR REPLACE FUNCTION zhurnal_audit_seal(p_school uuid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp SET enable_seqscan = off AS $$
DECLARE
  v_scope text := current_setting('zhurnal.school_ids', true);
  v_school uuid;
  v_seq bigint;
  v_hash bytea;
  r audit_log;
  v_ids uuid[];
  v_seqs bigint[];
  v_prevs bytea[];
  v_hashes bytea[];
  v_sealed bigint := 0;
BEGIN
  -- A seal is derived data: its commit need not wait for the disk. Lost in a crash, its rows
  -- are unsealed again and the next sealer chains them (the writes themselves were committed
  -- durably). Transaction-local, so it covers the commit of the sealer's own transaction.
  PERFORM set_config('synchronous_commit', 'off', true);
  -- the sealer reads every school's log (RLS is forced even for the owner)
  PERFORM set_config('zhurnal.school_ids',
                     coalesce((SELECT string_agg(s.id::text, ',') FROM schools s), ''), true);
  FOR v_school IN
    SELECT DISTINCT a.school_id FROM audit_log a
     WHERE a.seq IS NULL AND (p_school IS NULL OR a.school_id = p_school) ORDER BY 1
  LOOP
    -- one sealer per school at a time (schools in one order: sealers never deadlock);
    -- each statement below reads what the previous sealer committed
    PERFORM pg_advisory_xact_lock(hashtextextended('zhurnal.audit:' || v_school::text, 0));
    SELECT a.seq, a.hash INTO v_seq, v_hash FROM audit_log a
     WHERE a.school_id = v_school AND a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0);
    v_ids := '{}'; v_seqs := '{}'; v_prevs := '{}'; v_hashes := '{}';
    -- each hash needs the one before: worked out row by row, written in one statement
    FOR r IN SELECT * FROM audit_log a WHERE a.school_id = v_school AND a.seq IS NULL
              ORDER BY a.occurred_at, a.id LOOP
      v_seq := v_seq + 1;
      r.seq := v_seq;
      r.prev_hash := v_hash;
      r.hash := zhurnal_audit_hash(r);
      v_ids := v_ids || r.id;
      v_seqs := v_seqs || r.seq;
      v_prevs := v_prevs || r.prev_hash;
      v_hashes := v_hashes || r.hash;
      v_hash := r.hash;
    END LOOP;
    UPDATE audit_log a SET seq = x.seq, prev_hash = x.prev_hash, hash = x.hash
      FROM unnest(v_ids, v_seqs, v_prevs, v_hashes) AS x(id, seq, prev_hash, hash)
     WHERE a.school_id = v_school AND a.id = x.id;
    v_sealed := v_sealed + cardinality(v_ids);
  END LOOP;
  PERFORM set_config('zhurnal.school_ids', coalesce(v_scope, ''), true);
  RETURN v_sealed;
END $$;
REVOKE ALL ON FUNCTION zhurnal_audit_seal(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_audit_seal(uuid) TO {app};
"""


def upgrade() -> None:
    op.create_table(
        'access_stamps',
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('stamp', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_access_stamps_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_access_stamps')),
    )
    op.execute(ACCESS_STAMPS.replace("{app}", APP_ROLE))

    op.alter_column('audit_log', 'seq', existing_type=sa.BigInteger(), nullable=True)
    op.alter_column('audit_log', 'hash', existing_type=sa.LargeBinary(), nullable=True)
    op.create_index(op.f('ix_audit_log_unsealed'), 'audit_log', ['school_id', 'occurred_at', 'id'],
                    unique=False, postgresql_where=sa.text('seq IS NULL'))
    op.execute(SEAL_AFTER_COMMIT.replace("{app}", APP_ROLE))


def downgrade() -> None:
    op.execute("SELECT zhurnal_audit_seal()")
    op.execute("DROP FUNCTION zhurnal_audit_seal(uuid)")
    op.execute(CHAIN_ON_INSERT)
    op.drop_index(op.f('ix_audit_log_unsealed'), table_name='audit_log')
    op.alter_column('audit_log', 'hash', existing_type=sa.LargeBinary(), nullable=False)
    op.alter_column('audit_log', 'seq', existing_type=sa.BigInteger(), nullable=False)

    for trigger, table in (("access_persons", "persons"), ("access_person_roles", "person_roles"),
                           ("access_teacher_assignments", "teacher_assignments"),
                           ("access_lessons_insert", "lessons"),
                           ("access_lessons_delete", "lessons"),
                           ("access_lessons_update", "lessons"), ("access_classes", "classes"),
                           ("access_guardianships", "guardianships"),
                           ("access_officer_roles", "officer_roles"),
                           ("access_schools", "schools")):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    op.execute("DROP FUNCTION zhurnal_access_cached(uuid, uuid, text, uuid[])")
    op.execute("DROP FUNCTION zhurnal_access_changed_everywhere()")
    op.execute("DROP FUNCTION zhurnal_access_changed()")
    op.execute("DROP FUNCTION zhurnal_bump_persons(uuid, uuid[])")
    op.execute("DROP FUNCTION zhurnal_bump_access(uuid[])")
    op.drop_table('access_stamps')
    op.execute("DROP SEQUENCE zhurnal_access_stamp")
