"""The access context in one function, and persons under the tenant policy alone.

Revision ID: 0006
Revises: 0005

Until now the access context was five statements, and its first step read the viewer's own
person rows through two extra SELECT policies (`own_person` on persons, `own_roles` on
person_roles, keyed on `zhurnal.account_id`). PostgreSQL ORs permissive policies, so every
read of persons carried `school_id = ANY(...) OR account_id = ...`, which no index can serve:
a join to a teacher's name scanned the whole school's persons for each lesson (the diary's
statement took 40 ms instead of 2 on a region's data).

`zhurnal_access(account, session)` now resolves the whole context in one round trip: the
account (active, session not revoked), its person in every school and their roles, the officer
reach, then the transaction's tenant setting, then the relations the rules need (groups taught,
lessons substituted, classes led, children) under that setting. It is SECURITY DEFINER because
the first lookup crosses schools, like the login function; it returns ids only (no names) and
only the given account's. The self policies are dropped.
"""

from __future__ import annotations

from alembic import op

from db.settings import APP_ROLE

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ACCESS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zhurnal_access(p_account uuid, p_session uuid)
RETURNS TABLE (kind text, school_id uuid, target uuid, detail text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_login text;
  v_persons uuid[];
  v_schools uuid[];
  v_officer_schools uuid[];
BEGIN
  -- fail closed: until the account is known, the transaction sees no school
  PERFORM set_config('zhurnal.school_ids', '', true);
  PERFORM set_config('zhurnal.account_id', coalesce(p_account::text, ''), true);
  SELECT a.login INTO v_login FROM accounts a
   WHERE a.id = p_account AND a.is_active
     AND (p_session IS NULL OR EXISTS (
           SELECT 1 FROM refresh_tokens r
            WHERE r.id = p_session AND r.account_id = p_account
              AND r.revoked_at IS NULL AND r.expires_at > now()));
  IF v_login IS NULL THEN
    RETURN;  -- no rows: anonymous
  END IF;
  RETURN QUERY SELECT 'account'::text, NULL::uuid, p_account, v_login;

  -- the one lookup across schools: this account's person in each school (the definer may be
  -- subject to RLS, so the setting opens every school for this statement only)
  PERFORM set_config('zhurnal.school_ids', (SELECT string_agg(s.id::text, ',') FROM schools s),
                     true);
  SELECT array_agg(p.id), array_agg(p.school_id) INTO v_persons, v_schools
    FROM persons p WHERE p.account_id = p_account;
  v_persons := coalesce(v_persons, '{{}}');
  v_schools := coalesce(v_schools, '{{}}');
  RETURN QUERY
    SELECT 'person', p.school_id, p.id, NULL FROM unnest(v_schools, v_persons) AS p(school_id, id)
    UNION ALL
    SELECT 'role', r.school_id, r.person_id, r.role::text FROM person_roles r
     WHERE r.school_id = ANY (v_schools) AND r.person_id = ANY (v_persons);

  -- officer reach: global tables
  SELECT array_agg(DISTINCT s.id) INTO v_officer_schools
    FROM officer_roles o
    JOIN municipalities m ON m.id = o.municipality_id OR m.region_id = o.region_id
    JOIN schools s ON s.municipality_id = m.id
   WHERE o.account_id = p_account;
  v_officer_schools := coalesce(v_officer_schools, '{{}}');
  RETURN QUERY
    SELECT CASE WHEN o.municipality_id IS NOT NULL THEN 'municipality' ELSE 'region' END,
           NULL::uuid, coalesce(o.municipality_id, o.region_id), NULL
      FROM officer_roles o WHERE o.account_id = p_account
    UNION ALL
    SELECT 'officer_school', x, x, NULL FROM unnest(v_officer_schools) AS x;

  v_schools := ARRAY(SELECT DISTINCT x FROM unnest(v_schools || v_officer_schools) AS x);
  PERFORM set_config('zhurnal.school_ids', array_to_string(v_schools, ','), true);

  -- the relations the permission rules need, in the viewer's schools only
  RETURN QUERY
    SELECT 'taught_group_ids', t.school_id, t.group_id, NULL FROM teacher_assignments t
     WHERE t.school_id = ANY (v_schools) AND t.teacher_id = ANY (v_persons)
    UNION ALL
    SELECT 'substitute_lesson_ids', l.school_id, l.id, NULL FROM lessons l
     WHERE l.school_id = ANY (v_schools) AND l.actual_teacher_id = ANY (v_persons)
       AND l.actual_teacher_id IS DISTINCT FROM l.scheduled_teacher_id
    UNION ALL
    SELECT 'led_class_ids', c.school_id, c.id, NULL FROM classes c
     WHERE c.school_id = ANY (v_schools) AND c.class_teacher_id = ANY (v_persons)
    UNION ALL
    SELECT 'child_ids', g.school_id, g.student_id, NULL FROM guardianships g
     WHERE g.school_id = ANY (v_schools) AND g.guardian_id = ANY (v_persons);
END $$;
REVOKE ALL ON FUNCTION zhurnal_access(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_access(uuid, uuid) TO {APP_ROLE};
"""


def upgrade() -> None:
    op.execute(ACCESS_FUNCTION)
    op.execute("DROP POLICY own_person ON persons")
    op.execute("DROP POLICY own_roles ON person_roles")


def downgrade() -> None:
    from db.rls import SELF_POLICIES

    op.execute(SELF_POLICIES)
    op.execute("DROP FUNCTION zhurnal_access(uuid, uuid)")
