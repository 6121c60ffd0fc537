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


# A group's grade level, as SQL over `sg` (a study_groups row): its class's, or for a
# cross-class group the youngest of its members' classes. Also used by closing.LOCK_CTES and
# journal_context, so the three cannot disagree.
GROUP_GRADE_LEVEL = """coalesce(
  (SELECT c.grade_level FROM classes c WHERE c.school_id = sg.school_id AND c.id = sg.class_id),
  (SELECT min(c2.grade_level) FROM group_memberships gm
   JOIN enrollments e ON e.school_id = gm.school_id AND e.student_id = gm.student_id
   JOIN classes c2 ON c2.school_id = e.school_id AND c2.id = e.class_id
   WHERE gm.school_id = sg.school_id AND gm.group_id = sg.id))"""

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
