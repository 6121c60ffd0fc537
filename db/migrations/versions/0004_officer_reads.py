"""What officers' requests may read under the officer role: their tokens, and staff names.

Revision ID: 0004
Revises: 0003

Officers' queries run as `zhurnal_officer` (DESIGN.md), a role with no privilege on personal
data. Two things an officer legitimately reads need more than migration 0001 granted:
- `apiTokens`: the tokens they issued or that reach their schools, every column but the hash;
- the names of the teachers of the groups with the least timely journals (`worstGroups`):
  staff data, handed out by a function that returns names of staff only (never a student),
  in the schools of the transaction's setting, so the role itself keeps no SELECT on names.
"""

from __future__ import annotations

from alembic import op

from db.settings import APP_ROLE, OFFICER_ROLE

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

API_TOKEN_COLUMNS = [
    "id", "name", "scopes", "reach_school_id", "reach_municipality_id", "reach_region_id",
    "issued_by_account_id", "created_at", "expires_at", "last_used_at", "revoked_at",
]

STAFF_NAMES = f"""
CREATE OR REPLACE FUNCTION zhurnal_staff_names(p_ids uuid[])
RETURNS TABLE (school_id uuid, id uuid, full_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p.school_id, p.id, concat_ws(' ', p.last_name, p.first_name, p.middle_name)
    FROM persons p
   WHERE p.id = ANY (p_ids)
     -- the definer may be exempt from RLS: scope to the request's schools explicitly
     AND p.school_id = ANY (zhurnal_school_ids())
     AND EXISTS (SELECT 1 FROM person_roles r
                  WHERE r.school_id = p.school_id AND r.person_id = p.id
                    AND r.role IN ('teacher', 'administrator'))
     AND NOT EXISTS (SELECT 1 FROM person_roles r
                      WHERE r.school_id = p.school_id AND r.person_id = p.id
                        AND r.role IN ('student', 'guardian'))
$$;
REVOKE ALL ON FUNCTION zhurnal_staff_names(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_staff_names(uuid[]) TO {APP_ROLE}, {OFFICER_ROLE};
"""


def upgrade() -> None:
    op.execute(f"GRANT SELECT ({', '.join(API_TOKEN_COLUMNS)}) ON api_tokens TO {OFFICER_ROLE}")
    op.execute(STAFF_NAMES)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS zhurnal_staff_names(uuid[])")
    op.execute(f"REVOKE SELECT ({', '.join(API_TOKEN_COLUMNS)}) ON api_tokens "
               f"FROM {OFFICER_ROLE}")
