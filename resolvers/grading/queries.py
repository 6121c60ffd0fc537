"""Reading the grading domain: templates, a school's systems and conversion tables, and which
system applies where in a year (writes in resolvers/grading/writes.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from tenants.access import AccessContext
from tenants.rules import can_read_structure


async def grading_templates(session: AsyncSession) -> Sequence[models.GradingTemplate]:
    """The global templates, by code (reference data every viewer may read)."""
    return (await session.scalars(
        select(models.GradingTemplate).order_by(models.GradingTemplate.code))).all()


async def grading_systems(session: AsyncSession, school_id: uuid.UUID
                          ) -> Sequence[models.GradingSystem]:
    """The grading systems of a school the viewer may read, by name."""
    return (await session.scalars(
        select(models.GradingSystem).where(models.GradingSystem.school_id == school_id)
        .order_by(models.GradingSystem.name, models.GradingSystem.id))).all()


async def conversion_tables(session: AsyncSession, school_id: uuid.UUID
                            ) -> Sequence[models.ConversionTable]:
    """The conversion tables of a school the viewer may read, by start date."""
    t = models.ConversionTable
    return (await session.scalars(
        select(t).where(t.school_id == school_id).order_by(t.valid_from, t.id))).all()


async def grading_system_uses(session: AsyncSession, access: AccessContext,
                              year: models.AcademicYear | None
                              ) -> Sequence[models.GradingSystemUse]:
    """The rules of the year by grade level, then subject (each "any" first); none for a year
    the viewer may not read."""
    if year is None or not can_read_structure(access, year.school_id):
        return []
    u = models.GradingSystemUse
    return (await session.scalars(
        select(u).where(u.school_id == year.school_id, u.academic_year_id == year.id)
        .order_by(u.grade_level.nulls_first(), u.subject_id.nulls_first(), u.id))).all()
