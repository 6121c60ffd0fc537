"""How much one GraphQL operation asks for: its estimated cost, depth and aliases.

Fragments are measured once per document and remembered. A spread adds its fragment's
measure as if the fragment were written out (so limits count every expansion), but the walk
never re-enters a fragment: a document whose fragments each spread the one before twice
doubles its measure per level, not the time it takes to measure it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# How many items a plain (unpaginated) list field is assumed to hold: those lists are small
# and fixed by design (a viewer's schools, a day's lessons, a cell's marks).
LIST_ESTIMATE = 20
# Introspection is bounded by the schema, not by the data: free, as GraphiQL needs it whole.
SCHEMA_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Measure:
    cost: int = 0
    depth: int = 0
    aliases: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.cost + other.cost, max(self.depth, other.depth),
                       self.aliases + other.aliases)


NOTHING = Measure()


class DocumentMeasure:
    """Measures the operations of one document.

    Cost: each field costs 1, times the number of items the lists above it may hold (a
    connection multiplies by `first`, a variable counting as the maximum and no argument as
    the default page size; `nodes(ids:)` by the ids given; any other list by LIST_ESTIMATE).
    `__typename` costs 1 like any field: it is resolved once per object, and free it would let
    a document ask for millions of them. Depth: fields nested in fields, introspection
    fields not counted (as Strawberry's QueryDepthLimiter). Aliases: every alias, including
    those of fragments, once per spread (as Strawberry's MaxAliasesLimiter)."""

    def __init__(self, schema: GraphQLSchema,
                 fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.measured: dict[str, Measure] = {}
        self.open: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(OperationType(operation.operation))
        return self._selections(root, operation.selection_set)

    def _selections(self, parent: GraphQLNamedType | None,
                    selection_set: SelectionSetNode | None) -> Measure:
        total = NOTHING
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                on = (self.schema.get_type(selection.type_condition.name.value)
                      if selection.type_condition else parent)
                total += self._selections(on, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> Measure:
        if name in self.measured:
            return self.measured[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return NOTHING  # unknown or cyclic: other validation rules report it
        self.open.add(name)
        on = self.schema.get_type(fragment.type_condition.name.value)
        measure = self._selections(on, fragment.selection_set)
        self.open.discard(name)
        self.measured[name] = measure
        return measure

    def _field(self, parent: GraphQLNamedType | None, node: FieldNode) -> Measure:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        child_type = get_named_type(definition.type) if definition is not None else None
        children = self._selections(child_type, node.selection_set)
        aliases = children.aliases + (1 if node.alias else 0)
        if name.startswith("__"):
            cost = 0 if name in SCHEMA_FIELDS else 1
            return Measure(cost, 0, aliases)
        depth = 1 + children.depth if node.selection_set else 0
        if definition is None or parent is None:
            return Measure(0, depth, aliases)  # unknown: FieldsOnCorrectTypeRule reports it
        cost = 1 + _multiplier(parent, node, definition.type) * children.cost
        return Measure(cost, depth, aliases)


def estimate_cost(schema: GraphQLSchema, operation: OperationDefinitionNode,
                  fragments: dict[str, FragmentDefinitionNode]) -> int:
    return DocumentMeasure(schema, fragments).operation(operation).cost


def _multiplier(parent: GraphQLNamedType, node: FieldNode, field_type: Any) -> int:
    child = get_named_type(field_type)
    if _is_connection(child):
        return _argument_size(node, "first", default=DEFAULT_PAGE_SIZE)
    if not isinstance(get_nullable_type(field_type), GraphQLList):
        return 1
    if _is_connection(parent) and node.name.value == "edges":
        return 1  # the connection field already counted its page
    if node.name.value == "nodes":
        return _argument_size(node, "ids", default=LIST_ESTIMATE)
    return LIST_ESTIMATE


def _is_connection(named: GraphQLNamedType) -> bool:
    return (isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")
            and "edges" in named.fields)


def _argument_size(node: FieldNode, argument: str, *, default: int) -> int:
    for arg in node.arguments or ():
        if arg.name.value != argument:
            continue
        value = arg.value
        if isinstance(value, VariableNode):
            return MAX_PAGE_SIZE  # not known at validation (and validation is cached)
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), MAX_PAGE_SIZE))
        if isinstance(value, ListValueNode):
            return len(value.values)
        return default
    return default
