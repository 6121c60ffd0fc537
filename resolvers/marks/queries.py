"""Marks and attendance: the journal's list of marks; the bulk writes are mark_writes.py and
attendance_writes.py (their fields: schema/marks_fields.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select

from db import models
from tenants.access import AccessContext
from tenants.errors import bad_argument
from tenants.rules import may_read_journal

MAX_RANGE_DAYS = 366


def check_range(start: date, end: date) -> None:
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise bad_argument("to", f"must be on or after `from`, at most {MAX_RANGE_DAYS} days "
                                 "later")


def group_marks(access: AccessContext, group: models.StudyGroup | None, start: date, end: date
                ) -> Select[Any] | None:
    """The marks of a group's journal between two work dates (to paginate by work date and
    id), or None when the viewer may not read the group's journal."""
    if group is None or not may_read_journal(access, group.school_id, group.id, group.class_id):
        return None
    m = models.Mark
    return select(m).where(m.school_id == group.school_id, m.group_id == group.id,
                           m.work_date >= start, m.work_date <= end)
