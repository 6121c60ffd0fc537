"""Checks of one mark of `setMarks`: the value against the group's grading system, the kind
of work, the comment; and the entry being resolved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Row

from resolvers.input_ids import Id
from tenants.errors import ErrorCode, Problem

if TYPE_CHECKING:
    from resolvers.marks.context import GroupRef, LessonRef

MAX_COMMENT = 1000
Scales = dict[uuid.UUID, tuple[str, list[tuple[str, uuid.UUID]]]]


@dataclass(frozen=True)
class MarkEntry:
    """One mark of `setMarks` as given (schema/marks_fields.py fills it from MarkEntryInput):
    None leaves a column as it is on a change, except `comment`, which `keep_comment` keeps
    (an omitted comment) and None clears."""

    student_id: Id
    value: str | None = None
    work_type_id: Id = None
    lesson_id: Id = None
    comment: str | None = None
    keep_comment: bool = True
    mark_id: Id = None
    expected_version: int | None = None
    remove: bool | None = None
    excluded_from_average: bool | None = None
    recorded_at: datetime | None = None


@dataclass
class Entry:
    """One input mark, resolved: where it goes and what it becomes."""

    n: int
    path: str
    raw: MarkEntry
    student_id: uuid.UUID
    target_field: str
    group: GroupRef | None = None
    lesson: LessonRef | None = None
    work_date: date | None = None
    existing: Row[Any] | None = None
    values: dict[str, Any] = field(default_factory=dict)


def conflict_message(what: str, current: str, version: int) -> str:
    return f"the {what} changed since it was read: it is now {current} (version {version})"


def label_of(row: Any, scales: Scales) -> str:
    for _, values in scales.values():
        for label, value_id in values:
            if value_id == row.value_id:
                return label
    return "another value"


def mark_columns(e: Entry, systems: dict[uuid.UUID, uuid.UUID | None],
                 scales: Scales,
                 work_types: set[uuid.UUID], errors: list[Problem]) -> dict[str, Any]:
    """value_id, work_type_id, comment, excluded_from_average of a new or changed mark."""
    assert e.group is not None
    raw, row, path = e.raw, e.existing, e.path
    cols: dict[str, Any] = {}
    if raw.value is not None:
        system = systems.get(e.group.id)
        name, values = scales.get(system, ("", [])) if system else ("", [])
        labels = dict(values)
        if system is None:
            errors.append(Problem(field=f"{path}.value", code=ErrorCode.INVALID,
                                    message="no grading system applies to the group: ask the "
                                            "administrator to set one"))
        elif raw.value.strip() not in labels:
            errors.append(Problem(
                field=f"{path}.value", code=ErrorCode.INVALID,
                message=f"«{raw.value}» is not a mark of «{name}»: use "
                        + ", ".join(label for label, _ in values)))
        else:
            cols["value_id"] = labels[raw.value.strip()]
    elif row is None:
        errors.append(Problem(field=f"{path}.value", code=ErrorCode.REQUIRED,
                                message="a new mark needs a value"))
    else:
        cols["value_id"] = row.value_id
    work_type = e.values.get("work_type_id")
    if work_type is not None:
        if work_type not in work_types:
            errors.append(Problem(field=f"{path}.workTypeId", code=ErrorCode.NOT_FOUND,
                                    message="no such work type"))
        cols["work_type_id"] = work_type
    elif row is None:
        errors.append(Problem(field=f"{path}.workTypeId", code=ErrorCode.REQUIRED,
                                message="a new mark needs a kind of work"))
    else:
        cols["work_type_id"] = row.work_type_id
    if raw.comment is not None:
        comment = raw.comment.strip() or None
        if comment and len(comment) > MAX_COMMENT:
            errors.append(Problem(field=f"{path}.comment", code=ErrorCode.OUT_OF_RANGE,
                                    message=f"at most {MAX_COMMENT} characters"))
        cols["comment"] = comment
    elif not raw.keep_comment or row is None:
        cols["comment"] = None
    else:
        cols["comment"] = row.comment
    if raw.excluded_from_average is not None:
        cols["excluded_from_average"] = raw.excluded_from_average
    else:
        cols["excluded_from_average"] = row.excluded_from_average if row is not None else False
    return cols
