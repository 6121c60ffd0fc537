"""The access context follows dates: teacher assignments and substitutions count on the days
they hold.

Revision ID: 0009
Revises: 0008

`zhurnal_access()` (0006) built the groups taught from every `teacher_assignments` row of the
viewer, whatever its `starts_on`/`ends_on`: after `endTeacherAssignment` the teacher kept
reading the group's students and journal and writing its marks, and an assignment that starts
next month gave them now. The relations are now resolved for today, the school's local date
(`now() AT TIME ZONE schools.timezone`, as the deadlines in resolvers/timeliness.py count):

- a teacher assignment holds from `starts_on` to `ends_on` inclusive (open-ended: no end);
- a substitution (a lesson whose actual teacher is not its scheduled one) gives that lesson
  from its day on, not before; writing it later is closed by the posting window as for
  everyone else;
- a class teacher appointment (`classes.class_teacher_id`) and a guardianship have no dates:
  they hold while the row names the person (`updateClass`, `unlinkGuardian` end them).

Still one statement; only the relations' part of the function changes. `CREATE OR REPLACE`
keeps the function's owner and grants. The SQL is kept here in full, not imported.
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Everything up to the relations, as in 0006.
HEAD = """
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
  v_persons := coalesce(v_persons, '{}');
  v_schools := coalesce(v_schools, '{}');
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
  v_officer_schools := coalesce(v_officer_schools, '{}');
  RETURN QUERY
    SELECT CASE WHEN o.municipality_id IS NOT NULL THEN 'municipality' ELSE 'region' END,
           NULL::uuid, coalesce(o.municipality_id, o.region_id), NULL
      FROM officer_roles o WHERE o.account_id = p_account
    UNION ALL
    SELECT 'officer_school', x, x, NULL FROM unnest(v_officer_schools) AS x;

  v_schools := ARRAY(SELECT DISTINCT x FROM unnest(v_schools || v_officer_schools) AS x);
  PERFORM set_config('zhurnal.school_ids', array_to_string(v_schools, ','), true);

"""

DATED_RELATIONS = """
  -- the relations the permission rules need, in the viewer's schools only, as they hold
  -- today: the school's local date (now() is the transaction's start)
  RETURN QUERY
    WITH today AS (
      SELECT s.id AS school_id, (now() AT TIME ZONE s.timezone)::date AS day
        FROM schools s WHERE s.id = ANY (v_schools))
    SELECT 'taught_group_ids', t.school_id, t.group_id, NULL
      FROM teacher_assignments t JOIN today d ON d.school_id = t.school_id
     WHERE t.school_id = ANY (v_schools) AND t.teacher_id = ANY (v_persons)
       AND t.starts_on <= d.day AND (t.ends_on IS NULL OR t.ends_on >= d.day)
    UNION ALL
    SELECT 'substitute_lesson_ids', l.school_id, l.id, NULL
      FROM lessons l JOIN today d ON d.school_id = l.school_id
     WHERE l.school_id = ANY (v_schools) AND l.actual_teacher_id = ANY (v_persons)
       AND l.actual_teacher_id IS DISTINCT FROM l.scheduled_teacher_id
       AND l.date <= d.day
    UNION ALL
    SELECT 'led_class_ids', c.school_id, c.id, NULL FROM classes c
     WHERE c.school_id = ANY (v_schools) AND c.class_teacher_id = ANY (v_persons)
    UNION ALL
    SELECT 'child_ids', g.school_id, g.student_id, NULL FROM guardianships g
     WHERE g.school_id = ANY (v_schools) AND g.guardian_id = ANY (v_persons);
END $$;
"""

# 0006's relations, for the downgrade.
UNDATED_RELATIONS = """
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
"""


def upgrade() -> None:
    op.execute(HEAD + DATED_RELATIONS)


def downgrade() -> None:
    op.execute(HEAD + UNDATED_RELATIONS)
