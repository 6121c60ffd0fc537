"""Exams and final grades (промежуточная и государственная итоговая аттестация).

Revision ID: 0016
Revises: 0015

`exam_kinds`: the exams a school holds (ОГЭ, ЕГЭ, переводной экзамен), each with its level
(intermediate: ПА, state: ГИА), the school grading system its grades are in, an optional
maximum test score (100 for ЕГЭ) when the exam has one, the grade levels it is held in (empty:
any) and whether its grade counts in the final grade (итоговая отметка; ОГЭ does, ЕГЭ does not).

`grades`: an exam result is a row of kind 'exam' naming its kind (`exam_kind_id`, a tenant key
that a used kind cannot be deleted under) and its test score when graded. One row per student,
subject, year, kind, period and exam kind: the unique key takes `exam_kind_id`, so a student
has one result per exam kind, and still one period, year and final grade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_app"
OFFICER_ROLE = "zhurnal_officer"

# 0001's name for it was longer than PostgreSQL's 63 characters: SQLAlchemy shortened it so.
OLD_UNIQUE = 'uq_grades_school_id_student_id_subject_id_academic_year_133e'
KEY = ['school_id', 'student_id', 'subject_id', 'academic_year_id', 'kind', 'period_id']

TABLE_SECURITY = f"""
ALTER TABLE exam_kinds ENABLE ROW LEVEL SECURITY;
ALTER TABLE exam_kinds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON exam_kinds FOR ALL
  USING (school_id = ANY (zhurnal_school_ids()))
  WITH CHECK (school_id = ANY (zhurnal_school_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON exam_kinds TO {APP_ROLE};
GRANT SELECT ON exam_kinds TO {OFFICER_ROLE};
"""


def upgrade() -> None:
    op.create_table(
        'exam_kinds',
        sa.Column('school_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('short_name', sa.String(length=20), nullable=False),
        sa.Column('level', sa.Enum('intermediate', 'state', name='exam_level',
                                   native_enum=False, create_constraint=True, length=32),
                  nullable=False),
        sa.Column('system_id', sa.Uuid(), nullable=False),
        sa.Column('max_test_score', sa.SmallInteger(), nullable=True),
        sa.Column('grade_levels', sa.ARRAY(sa.SmallInteger()), server_default='{}',
                  nullable=False),
        sa.Column('counts_in_final', sa.Boolean(), server_default='true', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('max_test_score IS NULL OR max_test_score BETWEEN 1 AND 1000',
                           name=op.f('ck_exam_kinds_max_test_score_range')),
        sa.CheckConstraint('grade_levels <@ ARRAY[1,2,3,4,5,6,7,8,9,10,11]::smallint[]',
                           name=op.f('ck_exam_kinds_grade_levels_range')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_exam_kinds_school_id_schools')),
        sa.ForeignKeyConstraint(['school_id', 'system_id'],
                                ['grading_systems.school_id', 'grading_systems.id'],
                                name=op.f('fk_exam_kinds_school_id_system_id_grading_systems')),
        sa.PrimaryKeyConstraint('school_id', 'id', name=op.f('pk_exam_kinds')),
        sa.UniqueConstraint('school_id', 'name', name=op.f('uq_exam_kinds_school_id_name')),
    )
    op.execute(TABLE_SECURITY)
    op.add_column('grades', sa.Column('exam_kind_id', sa.Uuid(), nullable=True))
    op.add_column('grades', sa.Column('test_score', sa.Numeric(precision=6, scale=2),
                                      nullable=True))
    op.create_foreign_key(op.f('fk_grades_school_id_exam_kind_id_exam_kinds'), 'grades',
                          'exam_kinds', ['school_id', 'exam_kind_id'], ['school_id', 'id'])
    op.execute(f'ALTER TABLE grades DROP CONSTRAINT "{OLD_UNIQUE}"')
    op.create_unique_constraint('uq_grades_one_per_key', 'grades', [*KEY, 'exam_kind_id'],
                                postgresql_nulls_not_distinct=True)
    op.create_check_constraint(op.f('ck_grades_exam_iff_kind'), 'grades',
                               "(kind = 'exam') = (exam_kind_id IS NOT NULL)")
    op.create_check_constraint(op.f('ck_grades_test_score_of_graded_exam'), 'grades',
                               "test_score IS NULL OR (kind = 'exam' AND state = 'graded' "
                               "AND test_score >= 0)")


def downgrade() -> None:
    # exam results mean nothing without their kind, and would break the older unique key
    op.execute("DELETE FROM grades WHERE kind = 'exam'")
    op.drop_constraint('ck_grades_test_score_of_graded_exam', 'grades')
    op.drop_constraint('ck_grades_exam_iff_kind', 'grades')
    op.drop_constraint('uq_grades_one_per_key', 'grades')
    op.execute(f'ALTER TABLE grades ADD CONSTRAINT "{OLD_UNIQUE}" UNIQUE NULLS NOT DISTINCT '
               f'({", ".join(KEY)})')
    op.drop_constraint('fk_grades_school_id_exam_kind_id_exam_kinds', 'grades')
    op.drop_column('grades', 'test_score')
    op.drop_column('grades', 'exam_kind_id')
    op.drop_table('exam_kinds')
