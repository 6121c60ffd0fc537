"""Teaching without marks (безотметочное обучение), and the offline window of journal entries.

Revision ID: 0013
Revises: 0012

A school teaches some grade levels (usually grade 1), or some subjects in some grade levels
(e.g. ОРКСЭ in grade 4), without marks: their journal takes topics, attendance and comments,
and their students are neither missing period grades nor in the denominators of успеваемость
and качество. A row with no subject covers the whole grade level.

`offline_window_hours`: how long after the fact a teacher may say an entry was recorded
offline (`recordedAt`); lateness is otherwise judged by the server's clock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"
OFFICER_ROLE = "zhurnal_officer"

TABLE_SECURITY = f"""
ALTER TABLE teaching_without_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE teaching_without_marks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON teaching_without_marks FOR ALL
  USING (school_id = ANY (zhurnal_school_ids()))
  WITH CHECK (school_id = ANY (zhurnal_school_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON teaching_without_marks TO {APP_ROLE};
GRANT SELECT ON teaching_without_marks TO {OFFICER_ROLE};
"""


def upgrade() -> None:
    op.create_table(
        'teaching_without_marks',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('grade_level', sa.SmallInteger(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('grade_level BETWEEN 1 AND 11',
                           name=op.f('ck_teaching_without_marks_grade_level_range')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_teaching_without_marks_school_id_schools')),
        sa.ForeignKeyConstraint(['school_id', 'subject_id'],
                                ['subjects.school_id', 'subjects.id'],
                                name=op.f('fk_teaching_without_marks_school_id_subject_id_subjects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_teaching_without_marks')),
        sa.UniqueConstraint('school_id', 'grade_level', 'subject_id',
                            name=op.f('uq_teaching_without_marks_school_id_grade_level_subject_id'),
                            postgresql_nulls_not_distinct=True),
    )
    op.execute(TABLE_SECURITY)
    op.add_column('school_settings', sa.Column('offline_window_hours', sa.SmallInteger(),
                                               server_default='72', nullable=False))
    op.create_check_constraint(op.f('ck_school_settings_offline_window_range'),
                               'school_settings', 'offline_window_hours BETWEEN 0 AND 720')


def downgrade() -> None:
    op.drop_constraint('ck_school_settings_offline_window_range', 'school_settings')
    op.drop_column('school_settings', 'offline_window_hours')
    op.drop_table('teaching_without_marks')
