"""The school's curriculum (учебный план), and changing a school's time zone through the API.

Revision ID: 0014
Revises: 0013

`curriculum_plans`: hours a year of a subject in a grade level, by lesson type, as the school
adopts them; the per-group, per-period `curriculum_lines` that the fulfilment figures read are
derived from it when it is written.

`zhurnal_set_school_timezone`: the time zone lives on the global `schools` table, which the
application role may only read. An administrator's setting changes it through this function,
which refuses a school outside the request's tenant scope and a name PostgreSQL does not know
(the reports use it in `AT TIME ZONE`), so the application role gets no UPDATE on `schools`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"
OFFICER_ROLE = "zhurnal_officer"

TABLE_SECURITY = f"""
ALTER TABLE curriculum_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE curriculum_plans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON curriculum_plans FOR ALL
  USING (school_id = ANY (zhurnal_school_ids()))
  WITH CHECK (school_id = ANY (zhurnal_school_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON curriculum_plans TO {APP_ROLE};
GRANT SELECT ON curriculum_plans TO {OFFICER_ROLE};
"""

SET_TIMEZONE = f"""
CREATE OR REPLACE FUNCTION zhurnal_set_school_timezone(p_school uuid, p_timezone text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- the definer is exempt from the application's limits: scope to the request's schools
  IF p_school IS NULL OR NOT p_school = ANY (zhurnal_school_ids()) THEN
    RAISE EXCEPTION 'school outside the request''s scope'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p_timezone) THEN
    RAISE EXCEPTION 'unknown time zone %', p_timezone USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE schools SET timezone = p_timezone WHERE id = p_school;
END $$;
REVOKE ALL ON FUNCTION zhurnal_set_school_timezone(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_set_school_timezone(uuid, text) TO {APP_ROLE};
"""


def upgrade() -> None:
    op.create_table(
        'curriculum_plans',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('academic_year_id', sa.Uuid(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('grade_level', sa.SmallInteger(), nullable=False),
        sa.Column('lesson_type_id', sa.Uuid(), nullable=False),
        sa.Column('hours_per_year', sa.Numeric(precision=5, scale=1), nullable=False),
        sa.CheckConstraint('grade_level BETWEEN 1 AND 11',
                           name=op.f('ck_curriculum_plans_grade_level_range')),
        sa.CheckConstraint('hours_per_year BETWEEN 0 AND 1000',
                           name=op.f('ck_curriculum_plans_hours_range')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_curriculum_plans_school_id_schools')),
        sa.ForeignKeyConstraint(
            ['school_id', 'academic_year_id'],
            ['academic_years.school_id', 'academic_years.id'],
            name=op.f('fk_curriculum_plans_school_id_academic_year_id_academic_years'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['school_id', 'subject_id'],
                                ['subjects.school_id', 'subjects.id'],
                                name=op.f('fk_curriculum_plans_school_id_subject_id_subjects')),
        sa.ForeignKeyConstraint(
            ['school_id', 'lesson_type_id'], ['lesson_types.school_id', 'lesson_types.id'],
            name=op.f('fk_curriculum_plans_school_id_lesson_type_id_lesson_types')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_curriculum_plans')),
        sa.UniqueConstraint(
            'school_id', 'academic_year_id', 'subject_id', 'grade_level', 'lesson_type_id',
            name=op.f('uq_curriculum_plans_line')),
    )
    op.execute(TABLE_SECURITY)
    op.execute(SET_TIMEZONE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS zhurnal_set_school_timezone(uuid, text)")
    op.drop_table('curriculum_plans')
