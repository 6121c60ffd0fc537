"""Which grading system applies to a group: the school's most specific rule wins.

Specificity: subject and grade level > subject only > grade level only > the year's default.
A cross-class group takes the grade level of its youngest class.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import GradingSystemUse, StudyGroup


def pick(uses: Sequence[GradingSystemUse], subject_id: uuid.UUID, grade: int | None
         ) -> uuid.UUID | None:
    ranked = sorted(
        (u for u in uses
         if u.subject_id in (subject_id, None) and u.grade_level in (grade, None)),
        key=lambda u: (u.subject_id is None, u.grade_level is None),
    )
    return ranked[0].system_id if ranked else None


def group_grade_level(group: str = "sg") -> str:
    """A group's grade level as SQL over `group` (a study_groups row): its class's, or for a
    cross-class group the youngest class its members are enrolled in, in the group's own
    academic year. The one statement of the rule: the journal, closing, bulk writes, the
    aggregates, the curriculum and teaching without marks all use it, so they cannot
    disagree."""
    return f"""coalesce(
  (SELECT c.grade_level FROM classes c
    WHERE c.school_id = {group}.school_id AND c.id = {group}.class_id),
  (SELECT min(c2.grade_level) FROM group_memberships gm
   JOIN enrollments e ON e.school_id = gm.school_id AND e.student_id = gm.student_id
   JOIN classes c2 ON c2.school_id = e.school_id AND c2.id = e.class_id
    AND c2.academic_year_id = {group}.academic_year_id
   WHERE gm.school_id = {group}.school_id AND gm.group_id = {group}.id))"""


GROUP_GRADE_LEVEL = group_grade_level("sg")


def system_in_force(school: str, year: str, subject: str, grade_level: str) -> str:
    """SQL: the id of the grading system that applies to a subject at a grade level in a
    year, by `pick`'s rule (the most specific use wins). The arguments are SQL expressions."""
    return f"""(SELECT u.system_id FROM grading_system_uses u
   WHERE u.school_id = {school} AND u.academic_year_id = {year}
     AND (u.subject_id IS NULL OR u.subject_id = {subject})
     AND (u.grade_level IS NULL OR u.grade_level = {grade_level})
   ORDER BY u.subject_id IS NULL, u.grade_level IS NULL LIMIT 1)"""


GRADE_LEVELS = text(f"""
SELECT sg.id, {GROUP_GRADE_LEVEL} AS grade_level FROM study_groups sg
WHERE sg.id = ANY (CAST(:ids AS uuid[]))""")


async def grade_levels(session: AsyncSession, groups: Sequence[StudyGroup]
                       ) -> dict[uuid.UUID, int | None]:
    """Grade level of each group, in one statement."""
    if not groups:
        return {}
    rows = await session.execute(GRADE_LEVELS, {"ids": [g.id for g in groups]})
    return {r.id: r.grade_level for r in rows}


async def systems_for_groups(session: AsyncSession, groups: Sequence[StudyGroup]
                             ) -> dict[uuid.UUID, uuid.UUID | None]:
    """The grading system of each group's marks (None when the school configured none)."""
    if not groups:
        return {}
    years = {g.academic_year_id for g in groups}
    uses = (await session.scalars(select(GradingSystemUse)
                                  .where(GradingSystemUse.academic_year_id.in_(years)))).all()
    grades = await grade_levels(session, groups)
    by_year: dict[uuid.UUID, list[GradingSystemUse]] = {}
    for u in uses:
        by_year.setdefault(u.academic_year_id, []).append(u)
    return {g.id: pick(by_year.get(g.academic_year_id, []), g.subject_id, grades.get(g.id))
            for g in groups}
