"""A school's settings of the journal rules: read with the defaults the rules apply when the
school has no settings row, and changed by an administrator (validated, audited).

The rules read these values at each request (resolvers/timeliness.py `deadlines`,
resolvers/grading/averages.py `school_rules`, the aggregates' `min_size`), so a change takes
effect from the next request. The time zone is a column of the global `schools` table; it is
changed through `zhurnal_set_school_timezone`, which scopes the change to the request's schools.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.input_ids import KEEP, Keep
from resolvers.notifications.purge import DEFAULT_RETENTION_DAYS
from resolvers.notifications.queue import DEFAULT_DIGEST_HOUR
from resolvers.school_config import to_decimal
from tenants.errors import DomainError, ErrorCode, Problem

MAX_DEADLINE_DAYS = 60
MAX_POSTING_WINDOW_DAYS = 366
MAX_MIN_GROUP_SIZE = 50
MAX_OFFLINE_WINDOW_HOURS = 720
MAX_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Settings:
    """The values in force: the school's row, or the defaults where it has none."""

    mark_deadline_days: int = 7
    posting_window_days: int | None = None
    rounding_threshold: Decimal = Decimal("0.5")
    min_group_size: int = 5
    offline_window_hours: int = 72
    time_zone: str = "Asia/Yakutsk"
    digest_hour: int = DEFAULT_DIGEST_HOUR
    notification_retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def of(cls, row: models.SchoolSettings | None, time_zone: str) -> Settings:
        if row is None:
            return cls(time_zone=time_zone)
        return cls(mark_deadline_days=row.mark_deadline_days,
                   posting_window_days=row.posting_window_days,
                   rounding_threshold=Decimal(row.rounding_threshold),
                   min_group_size=row.min_group_size,
                   offline_window_hours=row.offline_window_hours, time_zone=time_zone,
                   digest_hour=row.digest_hour,
                   notification_retention_days=row.notification_retention_days)

    def audited(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _whole(value: int, field: str, low: int, high: int, errors: list[Problem]) -> int | None:
    if not low <= value <= high:
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                                message=f"must be between {low} and {high}"))
        return None
    return value


def _threshold(value: float, errors: list[Problem]) -> Decimal | None:
    field = "input.roundingThreshold"
    found = to_decimal(value, field, errors, limit=1)
    if found is not None and not Decimal(0) < found < Decimal(1):
        errors.append(Problem(field=field, code=ErrorCode.OUT_OF_RANGE,
                                message="must be more than 0 and less than 1"))
        return None
    return found


async def _time_zone(session: AsyncSession, value: str, errors: list[Problem]) -> str | None:
    """An IANA name both Python (the journal's deadlines) and PostgreSQL (the reports'
    `AT TIME ZONE`) know."""
    field = "input.timeZone"
    name = value.strip()
    try:
        ZoneInfo(name)
        known = bool(name) and "\x00" not in name
    except (ValueError, OSError, KeyError):
        known = False
    if known:
        known = bool(await session.scalar(
            text("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :n)"),
            {"n": name}))
    if not known:
        errors.append(Problem(field=field, code=ErrorCode.INVALID,
                                message="must be an IANA time zone name, e.g. Asia/Yakutsk"))
        return None
    return name


async def _validated(session: AsyncSession, changes: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[Problem] = []
    out: dict[str, Any] = {}
    checks = {
        "mark_deadline_days": ("input.markDeadlineDays", 0, MAX_DEADLINE_DAYS),
        "posting_window_days": ("input.postingWindowDays", 0, MAX_POSTING_WINDOW_DAYS),
        "min_group_size": ("input.minGroupSize", 1, MAX_MIN_GROUP_SIZE),
        "offline_window_hours": ("input.offlineWindowHours", 0, MAX_OFFLINE_WINDOW_HOURS),
        "digest_hour": ("input.digestHour", 0, 23),
        "notification_retention_days": ("input.notificationRetentionDays", 1,
                                        MAX_RETENTION_DAYS),
    }
    for key, value in changes.items():
        if value is KEEP:
            continue
        if key in checks:
            field, low, high = checks[key]
            if value is None and key == "posting_window_days":
                out[key] = None  # no window: entries stay open for teachers
            elif value is None:
                errors.append(Problem(field=field, code=ErrorCode.REQUIRED,
                                        message="cannot be cleared"))
            else:
                out[key] = _whole(value, field, low, high, errors)
        elif key == "rounding_threshold":
            if value is None:
                errors.append(Problem(field="input.roundingThreshold",
                                        code=ErrorCode.REQUIRED, message="cannot be cleared"))
            else:
                out[key] = _threshold(value, errors)
        elif key == "time_zone":
            if value is None:
                errors.append(Problem(field="input.timeZone", code=ErrorCode.REQUIRED,
                                        message="cannot be cleared"))
            else:
                out[key] = await _time_zone(session, value, errors)
        else:  # pragma: no cover - schema/ passes only the fields above
            raise ValueError(key)
    if errors:
        raise DomainError(*errors)
    return out


async def settings(session: AsyncSession, school_id: uuid.UUID) -> Settings:
    school = await session.get(models.School, school_id)
    assert school is not None
    row = await session.scalar(select(models.SchoolSettings)
                               .where(models.SchoolSettings.school_id == school_id))
    return Settings.of(row, school.timezone)


async def update_school_settings(
    session: AsyncSession, actor: Actor, school_id: uuid.UUID,
    changes: Mapping[str, Any | Keep],
) -> Settings:
    """Change the settings of a school the viewer administers (schema/ checks it); fields
    given as KEEP stay. The settings row is created when the school has none."""
    values = await _validated(session, changes)
    school = await session.get(models.School, school_id, populate_existing=True)
    assert school is not None
    table = models.SchoolSettings
    created = (await session.execute(
        insert(table).values(school_id=school_id, id=uuid.uuid4())
        .on_conflict_do_nothing(index_elements=["school_id"])
        .returning(table.id))).scalar_one_or_none() is not None
    row = await session.scalar(select(table).where(table.school_id == school_id)
                               .with_for_update().execution_options(populate_existing=True))
    assert row is not None
    before = Settings.of(row, school.timezone)
    zone = values.pop("time_zone", school.timezone)
    for key, value in values.items():
        setattr(row, key, value)
    if zone != school.timezone:
        await session.execute(text("SELECT zhurnal_set_school_timezone(:s, :z)"),
                              {"s": school_id, "z": zone})
        await session.refresh(school, ["timezone"])
    await session.flush()
    after = Settings.of(row, zone)
    if created or after != before:
        await audit.record(session, actor, Change(
            school_id=school_id, action="create" if created else "update",
            entity="school_settings", entity_id=row.id,
            before=None if created else before.audited(), after=after.audited()))
    return after
