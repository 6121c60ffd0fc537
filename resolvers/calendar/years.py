"""Reading the calendar: the academic years of a school, a page at a time."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, select

from db import models

# Latest first; the id breaks ties between years starting on one day.
ACADEMIC_YEAR_ORDER = (models.AcademicYear.starts_on, models.AcademicYear.id)


def academic_years(school_id: uuid.UUID | None) -> Select[Any]:
    """The years of a school the viewer may read (None: one they may not, so no year)."""
    return select(models.AcademicYear).where(
        models.AcademicYear.school_id == school_id if school_id else false())
