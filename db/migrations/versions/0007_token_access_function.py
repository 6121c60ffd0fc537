"""An integrator token's access context in one function, as a person's is (0006).

Revision ID: 0007
Revises: 0006

`zhurnal_token_access(hash)` finds a live token by its SHA-256 hash, returns its name, scopes
and the schools of its reach, records its use (to the minute: recording every use would turn
each read into a write) and scopes the transaction's RLS setting to those schools; three or
four statements before. It runs as the caller (the application role may read and update
tokens); an unknown, revoked or expired token returns no rows and sets no school.
"""

from __future__ import annotations

from alembic import op

from db.settings import APP_ROLE

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TOKEN_ACCESS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zhurnal_token_access(p_hash bytea)
RETURNS TABLE (kind text, target uuid, detail text)
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
  t api_tokens%ROWTYPE;
  v_schools uuid[];
BEGIN
  PERFORM set_config('zhurnal.school_ids', '', true);
  PERFORM set_config('zhurnal.account_id', '', true);
  SELECT * INTO t FROM api_tokens a
   WHERE a.token_hash = p_hash AND a.revoked_at IS NULL
     AND (a.expires_at IS NULL OR a.expires_at > now());
  IF NOT FOUND THEN
    RETURN;  -- no rows: anonymous
  END IF;
  SELECT coalesce(array_agg(s.id), '{{}}') INTO v_schools
    FROM schools s JOIN municipalities m ON m.id = s.municipality_id
   WHERE s.id = t.reach_school_id OR m.id = t.reach_municipality_id
      OR m.region_id = t.reach_region_id;
  IF t.last_used_at IS NULL OR now() - t.last_used_at > interval '1 minute' THEN
    UPDATE api_tokens SET last_used_at = now() WHERE id = t.id;
  END IF;
  PERFORM set_config('zhurnal.school_ids', array_to_string(v_schools, ','), true);
  RETURN QUERY
    SELECT 'token'::text, t.id, t.name::text
    UNION ALL
    SELECT 'scope', NULL::uuid, x::text FROM unnest(t.scopes) AS x
    UNION ALL
    SELECT 'school', x, NULL FROM unnest(v_schools) AS x;
END $$;
REVOKE ALL ON FUNCTION zhurnal_token_access(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_token_access(bytea) TO {APP_ROLE};
"""


def upgrade() -> None:
    op.execute(TOKEN_ACCESS_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION zhurnal_token_access(bytea)")
