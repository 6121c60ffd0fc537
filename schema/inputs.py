"""Building input objects from their GraphQL values, with the field plan worked out once.

Strawberry converts an input object field by field, and for every value it resolves each
field's type and GraphQL name again (about 18 µs a field here): `setMarks` with 30 entries
of 10 fields spent 5 ms of its request there. graphql-core has already parsed the scalars,
so a scalar field needs no conversion at all. `plan_inputs` gives each input type
Strawberry's `from_input` hook (the one it offers integrations that build their own values),
which computes the field plan on first use and then only renames and copies; fields that are
not plain scalars still go through Strawberry's own conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
)

# (GraphQL name, Python name, type, whether the value is used as it is)
Plan = list[tuple[str, str, StrawberryType | type, bool]]


def _as_is(type_: StrawberryType | type, context: InputContext) -> bool:
    """A scalar, or an optional one: Strawberry would return the value unchanged."""
    if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
        type_ = type_.of_type
    return type_ is not GlobalID and not isinstance(type_, StrawberryType) \
        and type_ in context.scalar_registry


def _builder(definition: StrawberryObjectDefinition
             ) -> Callable[[type, Mapping[str, Any], InputContext], Any]:
    plan: Plan | None = None
    # As Strawberry does: a field without a default is None unless given (graphql-core has
    # already refused a document that leaves out a required one).
    nulls = {f.python_name: None for f in definition.fields
             if f.default_value is MISSING and f.default_factory is MISSING}

    def from_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        nonlocal plan
        if plan is None:
            plan = []
            for f in definition.fields:
                type_ = f.resolve_type(type_definition=definition)
                plan.append((context.config.name_converter.from_field(f), f.python_name,
                             type_, _as_is(type_, context)))
        kwargs = dict(nulls)
        for graphql_name, python_name, type_, as_is in plan:
            if graphql_name in value:
                given = value[graphql_name]
                kwargs[python_name] = given if as_is or given is None else \
                    context.convert(given, type_, graphql_name)
        return cls(**kwargs)

    return from_input


def plan_inputs(schema: strawberry.Schema) -> None:
    """Give the schema's input types the planned `from_input`. Types with a `Maybe` field
    keep Strawberry's conversion: it validates their nulls only for types without the hook."""
    for entry in schema.schema_converter.type_map.values():
        definition = entry.definition
        if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input \
                or definition.from_input is not None:
            continue
        if any(isinstance(f.type, StrawberryMaybe) for f in definition.fields):
            continue
        definition.from_input = _builder(definition)
