"""Reading schools: public reference data for any authenticated viewer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from db import models

# By name; the id breaks ties between namesakes.
SCHOOL_ORDER = (models.School.name, models.School.id)


def schools() -> Select[Any]:
    """Every school of the platform (names and municipalities are not personal data)."""
    return select(models.School)
