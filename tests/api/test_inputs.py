"""schema/inputs.py builds input objects exactly as Strawberry's own conversion does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.unset import UNSET

from schema.marks import AttendanceInputKind, SetAttendanceInput, SetMarksInput
from schema.root import schema

SCALARS = schema.schema_converter.scalar_registry
CONFIG = schema.config
WHEN = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)

CASES = [
    (SetMarksInput, {"lessonId": "TGVzc29uOjE=", "clientKey": "k-1", "marks": [
        {"studentId": "UGVyc29uOjE=", "value": "5", "workTypeId": "V29ya1R5cGU6MQ=="},
        {"studentId": "UGVyc29uOjI=", "markId": "TWFyazox", "comment": None,
         "expectedVersion": 3, "recordedAt": WHEN, "excludedFromAverage": True},
        {"studentId": "UGVyc29uOjM=", "remove": True, "markId": "TWFyazoy",
         "lessonId": None},
    ]}),
    (SetAttendanceInput, {"lessonId": "TGVzc29uOjE=", "entries": [
        {"studentId": "UGVyc29uOjE=", "kind": AttendanceInputKind.LATE, "lateMinutes": 10},
        {"studentId": "UGVyc29uOjI=", "kind": AttendanceInputKind.PRESENT, "recordedAt": WHEN},
    ]}),
]


def _strawberrys_own(type_: type, value: dict) -> object:
    """The conversion with the hooks of every input type taken away for the call."""
    taken: dict[StrawberryObjectDefinition, object] = {}
    for entry in schema.schema_converter.type_map.values():
        definition = entry.definition
        if isinstance(definition, StrawberryObjectDefinition) and definition.is_input:
            taken[definition] = definition.from_input
            definition.from_input = None
    try:
        return convert_argument(value, type_, SCALARS, CONFIG)
    finally:
        for definition, hook in taken.items():
            definition.from_input = hook  # type: ignore[assignment]


@pytest.mark.parametrize(("type_", "value"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_planned_inputs_equal_strawberrys_conversion(type_: type, value: dict) -> None:
    assert type_.__strawberry_definition__.from_input is not None  # type: ignore[attr-defined]
    planned = convert_argument(value, type_, SCALARS, CONFIG)
    assert planned == _strawberrys_own(type_, value)
    # omitted fields keep their defaults: UNSET stays distinguishable from an explicit null
    entries = planned.marks if isinstance(planned, SetMarksInput) else planned.entries
    if isinstance(planned, SetMarksInput):
        assert entries[0].comment is UNSET and entries[1].comment is None
    # the enum field is converted, not passed through as a raw value
    else:
        assert entries[0].kind is AttendanceInputKind.LATE


def test_every_input_type_without_maybe_fields_is_planned() -> None:
    unplanned = [entry.definition.name for entry in schema.schema_converter.type_map.values()
                 if isinstance(entry.definition, StrawberryObjectDefinition)
                 and entry.definition.is_input and entry.definition.from_input is None]
    assert unplanned == []
