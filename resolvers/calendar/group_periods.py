"""A group's own reporting periods: those of the scheme its grade level uses in its year.

The rule of resolvers/grades/closing.py (grade_level_schemes; the grade level by the shared
rule of resolvers/grading/uses.py, so a cross-class group takes its youngest class); a grade
level without a scheme takes every period of the year. The journal (resolvers/journal/sql.py)
accepts exactly these periods.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.grading.uses import GROUP_GRADE_LEVEL


def own_scheme(group: str, grade_level: str) -> str:
    """SQL: the id of the scheme the group's grade level uses in its year, or NULL. `group` is
    a study_groups row alias, `grade_level` an SQL expression of its grade level."""
    return f"""(SELECT lvl.scheme_id FROM grade_level_schemes lvl
   WHERE lvl.school_id = {group}.school_id AND lvl.academic_year_id = {group}.academic_year_id
     AND lvl.grade_level = {grade_level})"""


GROUP_PERIODS = text(f"""
WITH own AS (
  SELECT sg.id AS group_id, sg.school_id, sg.academic_year_id,
         {own_scheme("sg", GROUP_GRADE_LEVEL)} AS scheme_id
  FROM study_groups sg WHERE sg.id = ANY (CAST(:ids AS uuid[]))
)
SELECT own.group_id, p.school_id, p.id, p.scheme_id, p.ordinal, p.name, p.starts_on,
       p.ends_on, p.closed_at
FROM own
JOIN period_schemes ps ON ps.school_id = own.school_id
 AND ps.academic_year_id = own.academic_year_id
 AND (own.scheme_id IS NULL OR ps.id = own.scheme_id)
JOIN periods p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
ORDER BY p.starts_on, p.ordinal, p.id""")


async def periods_of_groups(session: AsyncSession, group_ids: Sequence[uuid.UUID]
                            ) -> list[list[models.Period]]:
    """Each group's own periods by start date, in one statement however many groups."""
    found: dict[uuid.UUID, list[models.Period]] = {g: [] for g in group_ids}
    if group_ids:
        rows = await session.execute(GROUP_PERIODS, {"ids": list(group_ids)})
        for r in rows:
            found[r.group_id].append(models.Period(
                school_id=r.school_id, id=r.id, scheme_id=r.scheme_id, ordinal=r.ordinal,
                name=r.name, starts_on=r.starts_on, ends_on=r.ends_on, closed_at=r.closed_at))
    return [found[g] for g in group_ids]


def period_on(periods: Sequence[models.Period], day: date) -> models.Period | None:
    """The period holding `day` (the earliest-ending one if schemes overlap), or None."""
    holding = [p for p in periods if p.starts_on <= day <= p.ends_on]
    return min(holding, key=lambda p: (p.ends_on, p.id)) if holding else None
