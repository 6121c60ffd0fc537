"""Which grading system applies to a group: the school's most specific rule wins.

Specificity: subject and grade level > subject only > grade level only > the year's default.
A cross-class group takes the grade level of its youngest class.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Enrollment, GradingSystemUse, GroupMembership, SchoolClass, StudyGroup


def pick(uses: Sequence[GradingSystemUse], subject_id: uuid.UUID, grade: int | None
         ) -> uuid.UUID | None:
    ranked = sorted(
        (u for u in uses
         if u.subject_id in (subject_id, None) and u.grade_level in (grade, None)),
        key=lambda u: (u.subject_id is None, u.grade_level is None),
    )
    return ranked[0].system_id if ranked else None


async def grade_levels(session: AsyncSession, groups: Sequence[StudyGroup]
                       ) -> dict[uuid.UUID, int | None]:
    """Grade level of each group, in at most two statements."""
    class_ids = {g.class_id for g in groups if g.class_id}
    grades: dict[uuid.UUID, int | None] = {}
    if class_ids:
        rows = await session.execute(select(SchoolClass.id, SchoolClass.grade_level)
                                     .where(SchoolClass.id.in_(class_ids)))
        by_class = dict(rows.all())
        grades.update({g.id: by_class.get(g.class_id) for g in groups if g.class_id})
    cross = [g.id for g in groups if g.class_id is None]
    if cross:
        rows = await session.execute(
            select(GroupMembership.group_id, func.min(SchoolClass.grade_level))
            .join(Enrollment, (Enrollment.school_id == GroupMembership.school_id)
                  & (Enrollment.student_id == GroupMembership.student_id))
            .join(SchoolClass, (SchoolClass.school_id == Enrollment.school_id)
                  & (SchoolClass.id == Enrollment.class_id))
            .where(GroupMembership.group_id.in_(cross))
            .group_by(GroupMembership.group_id))
        grades.update(dict(rows.all()))
    return grades


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
